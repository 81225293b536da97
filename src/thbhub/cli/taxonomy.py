"""`thbhub taxonomy ...`: browse the concept schemes."""

from __future__ import annotations

import typer

from thbhub.cli.context import state
from thbhub.cli.output import Format, FormatOption, emit
from thbhub.taxonomy import service

app = typer.Typer(help="Browse the taxonomy: schemes and concepts.", no_args_is_help=True)


@app.command("schemes")
def schemes(ctx: typer.Context, fmt: FormatOption = Format.table) -> None:
    """List the concept schemes with their versions and sizes."""
    emit(service.list_schemes(state(ctx).db()), fmt, columns=["id", "title", "version", "concepts"])


@app.command("list")
def list_(
    ctx: typer.Context,
    scheme: str | None = typer.Option(None, "--scheme", "-s", help="Only this scheme, e.g. form."),
    fmt: FormatOption = Format.table,
) -> None:
    """List concepts, optionally of one scheme."""
    emit(service.list_concepts(state(ctx).db(), scheme), fmt)


@app.command("show")
def show(ctx: typer.Context, concept_id: str, fmt: FormatOption = Format.table) -> None:
    """Show one concept: labels in every language, definition, links and source mappings."""
    emit(service.get_concept(state(ctx).db(), concept_id), fmt, title=concept_id)
