"""Commands for the hub as a whole: init, status, sources, serve."""

from __future__ import annotations

import typer

from thbhub.cli.context import state
from thbhub.cli.output import Format, FormatOption, emit, info
from thbhub.hub import health, init_hub, overview, require_current_schema


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("status")(status)
    app.command("sources")(sources)
    app.command("serve")(serve)


def init(
    ctx: typer.Context,
    sample: bool = typer.Option(
        False, "--sample", help="Also load the bundled real sample data if the database is empty."
    ),
    fmt: FormatOption = Format.table,
) -> None:
    """Create or upgrade the database schema and install the taxonomy (safe to repeat)."""
    st = state(ctx)
    from thbhub.cli.progress import progress_bar

    with progress_bar("Loading sample data") as progress:
        result = init_hub(st.db(), st.settings(), sample=sample, progress=progress)
    if fmt is Format.table:
        tax = result["taxonomy"]
        info(
            f"Database {result['database']} at schema {result['schema']} "
            f"(was {result['schema_before'] or 'empty'}); taxonomy: {tax['concepts']} concepts "
            f"in {tax['schemes']} schemes."
        )
        if "sample" in result:
            sample = result["sample"]
            info(f"Sample data: {sample if isinstance(sample, str) else 'loaded'}.")
    else:
        emit(result, fmt)


def status(ctx: typer.Context, fmt: FormatOption = Format.table) -> None:
    """Show the database's health and what the hub holds."""
    db = state(ctx).db()
    h = health(db)
    o = overview(db)
    emit({**h, **{f"count_{k}": v for k, v in o["counts"].items()}}, fmt)


def sources(ctx: typer.Context, fmt: FormatOption = Format.table) -> None:
    """List the registered data sources with publisher, version and licence."""
    emit(
        overview(state(ctx).db())["sources"],
        fmt,
        columns=["key", "publisher", "title", "version", "licence"],
    )


def serve(
    ctx: typer.Context,
    host: str | None = typer.Option(None, help="Interface to listen on (default 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port (default 8000)."),
) -> None:
    """Serve the web application and the API."""
    import uvicorn

    from thbhub.web.app import create_app

    st = state(ctx)
    settings = st.settings().model_copy(
        update={k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    )
    require_current_schema(st.db())
    app = create_app(settings, st.db())
    info(f"THB Hub at http://{settings.host}:{settings.port}/  (Ctrl+C to stop)")
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
