"""`thbhub report-text ...`: the analysts' text blocks of the reports, with placeholders."""

from __future__ import annotations

import getpass
from pathlib import Path

import typer

from thbhub.cases.service import resolve_org
from thbhub.cli.context import state
from thbhub.cli.output import Format, FormatOption, emit
from thbhub.domain.errors import UserError
from thbhub.domain.principals import PUBLIC, Principal, Role
from thbhub.reports import narrative, narrative_edit

app = typer.Typer(
    help="Report text: an analyst's blocks per report section; numbers come from "
    "placeholders such as {{ victims LV 2020 }} (docs/report_texts.md).",
    no_args_is_help=True,
)

ReportOption = typer.Option(
    ..., "--report", help="country:LV, region, topic:<concept id> or review."
)
SectionOption = typer.Option(..., "--section", help="The report's section, e.g. trends.")
OrgOption = typer.Option(
    ..., "--org", help="Write as an analyst of this organisation (name or id; the secretariat)."
)
FileOption = typer.Option(None, "--file", help="Read the text from this UTF-8 file.")
TextOption = typer.Option(None, "--text", help="The text itself.")
PositionOption = typer.Option(None, "--position", help="Order within the section (1 first).")
COLUMNS = ["id", "report", "section", "position", "version", "state", "author", "markdown"]


def _as(ctx: typer.Context, org: str | None) -> Principal:
    """The CLI user as an analyst of ``org`` (the service checks it is the secretariat);
    without ``--org``, the public."""
    if org is None:
        return PUBLIC
    with state(ctx).db().connect() as conn:
        org_id = resolve_org(conn, org)
    return Principal(
        role=Role.analyst, email=f"cli:{getpass.getuser()}", organisation_id=org_id, origin="cli"
    )


def _text(file: Path | None, text: str | None, required: bool = True) -> tuple[str | None, str]:
    if (file is None) == (text is None):
        if file is None and not required:
            return None, "text"
        raise UserError("give the text with --file FILE or --text TEXT (one of them)")
    if file is None:
        return text, "--text"
    try:
        return file.read_text(encoding="utf-8"), file.name
    except UnicodeDecodeError as exc:
        raise UserError(f"{file}: not UTF-8 text (byte {exc.start})") from None


@app.command("add")
def add(
    ctx: typer.Context,
    report: str = ReportOption,
    section: str = SectionOption,
    org: str = OrgOption,
    file: Path | None = FileOption,
    text: str | None = TextOption,
    position: int | None = PositionOption,
    publish: bool = typer.Option(False, "--publish", help="Publish at once (default: draft)."),
    fmt: FormatOption = Format.table,
) -> None:
    """Add a block to a report section (a draft unless --publish)."""
    body, name = _text(file, text)
    st = state(ctx)
    result = narrative_edit.add_block(
        st.db(),
        st.settings(),
        _as(ctx, org),
        report,
        section,
        body or "",
        position=position,
        publish=publish,
        name=name,
    )
    emit(result, fmt)


@app.command("edit")
def edit(
    ctx: typer.Context,
    text_id: int = typer.Argument(..., min=1, max=2**31 - 1, help="The block's id."),
    org: str = OrgOption,
    file: Path | None = FileOption,
    text: str | None = TextOption,
    position: int | None = PositionOption,
    fmt: FormatOption = Format.table,
) -> None:
    """Save a new version of a block (new text and/or position)."""
    body, name = _text(file, text, required=False)
    st = state(ctx)
    result = narrative_edit.edit_block(
        st.db(), st.settings(), _as(ctx, org), text_id, body, position=position, name=name
    )
    emit(result, fmt)


@app.command("publish")
def publish(
    ctx: typer.Context,
    text_id: int = typer.Argument(..., min=1, max=2**31 - 1),
    org: str = OrgOption,
    fmt: FormatOption = Format.table,
) -> None:
    """Publish a draft block: reports shown to everyone then carry it."""
    st = state(ctx)
    emit(narrative_edit.set_state(st.db(), st.settings(), _as(ctx, org), text_id, "published"), fmt)


@app.command("withdraw")
def withdraw(
    ctx: typer.Context,
    text_id: int = typer.Argument(..., min=1, max=2**31 - 1),
    org: str = OrgOption,
    fmt: FormatOption = Format.table,
) -> None:
    """Withdraw a block (kept with its history; reports no longer show it)."""
    st = state(ctx)
    emit(narrative_edit.set_state(st.db(), st.settings(), _as(ctx, org), text_id, "withdrawn"), fmt)


@app.command("list")
def list_(
    ctx: typer.Context,
    report: str | None = typer.Option(None, "--report", help="Only this report."),
    section: str | None = typer.Option(None, "--section", help="Only this section."),
    org: str | None = typer.Option(
        None, "--org", help="As an analyst of this organisation (shows its drafts too)."
    ),
    fmt: FormatOption = Format.table,
) -> None:
    """Blocks with their placeholders filled (Markdown); published ones unless --org."""
    st = state(ctx)
    blocks = narrative.list_blocks(st.db(), st.settings(), _as(ctx, org), report, section)
    rows = [
        {**{k: v for k, v in b.as_dict().items() if k != "html"}, "stale": "; ".join(b.stale)}
        for b in blocks
    ]
    emit(rows, fmt, columns=None if fmt is Format.json else [*COLUMNS, "stale"])


@app.command("history")
def history(
    ctx: typer.Context,
    text_id: int = typer.Argument(..., min=1, max=2**31 - 1),
    org: str | None = typer.Option(None, "--org", help="As an analyst of this organisation."),
    fmt: FormatOption = Format.table,
) -> None:
    """Every version of a block, oldest first."""
    rows = narrative.history(state(ctx).db(), _as(ctx, org), text_id)
    cols = ["version", "action", "state", "author", "at", "data_version", "markdown"]
    emit(rows, fmt, columns=None if fmt is Format.json else cols)


@app.command("check")
def check(
    ctx: typer.Context,
    org: str = OrgOption,
    report: str | None = typer.Option(None, "--report", help="Only this report."),
    fmt: FormatOption = Format.table,
) -> None:
    """List the placeholders whose number changed since their block was written."""
    st = state(ctx)
    rows = narrative.stale_blocks(st.db(), st.settings(), _as(ctx, org), report)
    emit(rows, fmt, columns=["id", "report", "section", "version", "changed"])
