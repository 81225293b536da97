"""`thbhub import ...`: read a source file into the hub, one transaction per file.

Each statistics format is one small command calling :func:`run_import`; adding a format is
one more function decorated with ``@app.command(...)``.  The case-records command lives in
cli/cases.py and is registered here with one line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from thbhub.cli import cases, library
from thbhub.cli.context import state
from thbhub.cli.output import Format, FormatOption, emit, info
from thbhub.cli.progress import progress_bar
from thbhub.ingest.registry import get_importer

app = typer.Typer(help="Import data files (statistics, case records).", no_args_is_help=True)
app.command("cases")(cases.import_cases)
app.command("documents")(library.import_documents)

FileArg = typer.Argument(
    ..., exists=True, dir_okay=False, readable=True, help="The file, as published."
)


def run_import(
    ctx: typer.Context, importer: str, path: Path, fmt: Format, options: dict[str, Any] | None
) -> None:
    """Run a registered importer with a progress bar and print its summary."""
    st = state(ctx)
    with progress_bar(f"Importing {path.name}") as progress:
        summary = get_importer(importer).run(
            st.db(), st.settings(), path, progress=progress, options=options or {}
        )
    result = summary.as_dict()
    if fmt is not Format.table:
        emit(result, fmt)
        return
    if summary.unchanged:
        info(f"{path.name}: already imported; nothing changed.")
        return
    statuses = ", ".join(f"{k} {v:,}" for k, v in sorted(summary.by_status.items()))
    info(
        f"{path.name}: {summary.rows_read:,} rows read, {summary.rows_stored:,} cells stored "
        f"({statuses})."
    )
    for note in summary.notes:
        info(f"  note: {note}")


@app.command("glotip")
def glotip(
    ctx: typer.Context,
    path: Path = FileArg,
    suppressed_lower: float = typer.Option(
        0,
        "--suppressed-lower",
        help="Lowest value a `<5` cell may hide: 0 (default; the release publishes no zeros) "
        "or 1 if you know zeros are published as 0.",
    ),
    fmt: FormatOption = Format.table,
) -> None:
    """UNODC GLOTIP country data: data_glotip.xlsx as published, or its CSV form."""
    run_import(ctx, "glotip", path, fmt, {"suppressed_lower": suppressed_lower})


@app.command("eurostat")
def eurostat(
    ctx: typer.Context,
    path: Path = FileArg,
    table: str | None = typer.Option(
        None, "--table", help="Eurostat table code when the file name does not say it."
    ),
    fmt: FormatOption = Format.table,
) -> None:
    """Eurostat bulk TSV or SDMX-CSV: crim_thb_* tables, tps00001, demo_pjan."""
    run_import(ctx, "eurostat", path, fmt, {"table": table} if table else None)


@app.command("csv")
def mapped_csv(
    ctx: typer.Context,
    path: Path = FileArg,
    mapping: Path = typer.Option(
        ..., "--mapping", exists=True, dir_okay=False, help="Mapping file (YAML); see docs."
    ),
    fmt: FormatOption = Format.table,
) -> None:
    """Any national table, with a declared mapping of its columns and codes to the taxonomy."""
    run_import(ctx, "csv", path, fmt, {"mapping": str(mapping)})
