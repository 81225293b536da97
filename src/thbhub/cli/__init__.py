"""The `thbhub` command: thin wrappers that parse, call one service and format the result."""

from __future__ import annotations

import typer

from thbhub import __version__
from thbhub.cli import access, analytics, cases, core, imports, library, query, taxonomy
from thbhub.cli import analytics_shares as shares_cli
from thbhub.cli import estimation as estimation_cli
from thbhub.cli import plan as plan_cli
from thbhub.cli import privacy as privacy_cli
from thbhub.cli import report_texts as report_texts_cli
from thbhub.cli import reports as reports_cli
from thbhub.cli.context import state
from thbhub.cli.errors import ASKS_HELP, HubGroup
from thbhub.cli.insights import insights_app

app = typer.Typer(
    cls=HubGroup,
    name="thbhub",
    help="THB Hub: evidence and knowledge hub against trafficking in human beings, "
    "Baltic Sea Region.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"thbhub {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: str | None = typer.Option(
        None,
        "--db",
        envvar="THBHUB_DATABASE_URL",
        help="Database URL (sqlite:///PATH or postgresql+psycopg://USER@HOST/DB).",
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    state(ctx).db_url = db
    ctx.call_on_close(state(ctx).close)
    if not ctx.meta.get(ASKS_HELP):  # help is shown whatever the settings
        state(ctx).check_settings()


core.register(app)
app.add_typer(taxonomy.app, name="taxonomy")
app.add_typer(privacy_cli.release_app, name="release")
app.add_typer(privacy_cli.privacy_app, name="privacy")
app.add_typer(insights_app, name="insights")
app.add_typer(query.app, name="query")
analytics.register(app)
shares_cli.register(app)
access.register(app)
app.add_typer(cases.app, name="cases")
app.add_typer(imports.app, name="import")
app.add_typer(cases.export_app, name="export")
estimation_cli.register(app)
app.add_typer(plan_cli.app, name="plan")
library.register(app)
app.add_typer(report_texts_cli.app, name="report-text")
reports_cli.register(app)


def main(argv: list[str] | None = None) -> int:
    """Console entry point; returns the process exit code."""
    command = typer.main.get_command(app)
    try:
        command.main(args=argv, prog_name="thbhub", standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0
