"""`thbhub cases ...`, `thbhub import cases` and `thbhub export cases`: case records.

Commands act as the server operator for the organisation given with --org: a contributor
principal of that organisation with origin "cli" (every action is audited under it).
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import typer

from thbhub.cases import exports, service
from thbhub.cases.htcds_template import describe
from thbhub.cases.publication import move_import
from thbhub.cli.context import state
from thbhub.cli.output import Format, FormatOption, emit, info
from thbhub.cli.progress import progress_bar
from thbhub.domain.principals import Principal, Role

app = typer.Typer(
    help="Case records: list and summarise an organisation's records.", no_args_is_help=True
)
export_app = typer.Typer(help="Export data in standard formats.", no_args_is_help=True)

OrgOption = typer.Option(..., "--org", help="Organisation (name or id) that owns the records.")


def operator(ctx: typer.Context, org: str) -> Principal:
    """The CLI user acting for ``org`` (which must exist)."""
    db = state(ctx).db()
    with db.connect() as conn:
        org_id = service.resolve_org(conn, org)
    return Principal(
        role=Role.contributor,
        email=f"cli:{getpass.getuser()}",
        organisation_id=org_id,
        origin="cli",
    )


def import_cases(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="HTCDS (.csv/.xlsx) or CTDC (.csv) file."),
    org: str = OrgOption,
    fmt: str | None = typer.Option(None, "--format", help="htcds or ctdc (detected if omitted)."),
    quarantine: bool = typer.Option(
        False, "--quarantine", help="Store valid rows; keep invalid ones in the quarantine."
    ),
    keep_text: list[str] = typer.Option(
        [], "--keep-text", help="Store this HTCDS free-text field (repeat per field)."
    ),
    again: bool = typer.Option(
        False, "--again", help="Import a file whose content this organisation imported before."
    ),
    output: Format = typer.Option(
        Format.table, "--report", help="The import report as table, json or csv."
    ),
) -> None:
    """Import case records for an organisation; all-or-nothing unless --quarantine."""
    st = state(ctx)
    who = operator(ctx, org)
    try:
        with progress_bar(f"Importing {file.name}") as progress:
            result = service.import_cases(
                st.db(),
                st.settings(),
                who,
                file,
                org,
                fmt=fmt,
                quarantine=quarantine,
                keep_text=keep_text,
                again=again,
                progress=progress,
            )
    except service.CaseFileRejected as exc:
        # The full report first (every problem, located), then the one-line error.
        for p in exc.problems:
            sys.stderr.write(f"  {p}\n")
        raise
    if output is Format.table:
        info(
            f"{result['file']}: {result['rows_stored']} of {result['rows_read']} rows stored "
            f"as draft ({result['format']}), {result['rows_quarantined']} quarantined."
        )
        for p in result["problems"]:
            info(
                f"  quarantined: row {p['row']}, column {p['column']!r}: {p['rule']}"
                + (f" (value {p['value']!r})" if p["value"] is not None else "")
            )
        for w in result["warnings"]:
            info(f"  warning: {w['count']} row(s), column {w['column']!r}: {w['rule']}")
        for note in result["notes"]:
            info(f"  note: {note}")
    else:
        emit(result, output)


@export_app.command("cases")
def export_cases(
    ctx: typer.Context,
    org: str = OrgOption,
    fmt: str = typer.Option("htcds", "--format", help="htcds or ctdc."),
    out: Path = typer.Option(..., "-o", "--output", help="File to write (.csv; .xlsx for HTCDS)."),
    template: str | None = typer.Option(
        None,
        "--template",
        help="plain or single-select: fill IOM's published HTCDS Excel template exactly "
        "(.xlsx; fields it has no column for are left out and named). Default: the hub "
        "layout, which keeps every field.",
    ),
) -> None:
    """Export an organisation's case records as HTCDS v2.0 or CTDC."""
    st = state(ctx)
    result = exports.export_cases(st.db(), operator(ctx, org), org, fmt, out, template=template)
    layout = f", template {template}" if template else ""
    info(f"Wrote {result['rows']} records to {result['file']} ({fmt}{layout}).")
    if result["left_out"]:
        info(
            "the template has no column for "
            + describe(result["left_out"])
            + "; those values were left out (export without --template to keep them)"
        )
    if result["single_valued"]:
        info(
            "single-select cells hold one value: kept the first of several in "
            + describe(result["single_valued"])
            + "; the others are in each cell's comment (--template plain keeps them all)"
        )


@app.command("list")
def list_(
    ctx: typer.Context,
    org: str = OrgOption,
    year: int | None = typer.Option(None, help="Only this year of registration."),
    sex: str | None = typer.Option(None, help="Only this sex concept, e.g. sex:female."),
    citizenship: str | None = typer.Option(None, help="e.g. country:UA"),
    country: str | None = typer.Option(None, help="Country of exploitation, e.g. country:PL"),
    form: str | None = typer.Option(None, help="e.g. form:labour-exploitation"),
    limit: int | None = typer.Option(None, help="At most this many records."),
    fmt: FormatOption = Format.table,
) -> None:
    """List an organisation's case records (pseudonymised; audited)."""
    st = state(ctx)
    rows = service.list_cases(
        st.db(),
        operator(ctx, org),
        org,
        year=year,
        sex=sex,
        citizenship=citizenship,
        country=country,
        form=form,
        limit=limit,
    )
    emit(rows, fmt, columns=list(service.PUBLIC_COLUMNS))


@app.command("summary")
def summary(
    ctx: typer.Context,
    org: str = OrgOption,
    by: str = typer.Option(
        "year", "--by", help="Comma-separated: " + ",".join(service.SUMMARY_DIMENSIONS)
    ),
    fmt: FormatOption = Format.table,
) -> None:
    """Count an organisation's records by dimensions (owner's view; audited)."""
    dims = [d.strip() for d in by.split(",") if d.strip()]
    st = state(ctx)
    rows = service.summary(st.db(), operator(ctx, org), org, dims)
    emit(rows, fmt, columns=[*dims, "count"])


@app.command("quarantine")
def quarantine(
    ctx: typer.Context,
    org: str = OrgOption,
    fix_file: Path | None = typer.Option(
        None, "--fix-file", help="Write the rows as a CSV to correct and re-import."
    ),
    fmt: FormatOption = Format.table,
) -> None:
    """Show quarantined rows and what is wrong with them, or write them to a CSV to fix.

    With --fix-file, write them to a CSV: correct the cells, then `thbhub import cases` it;
    each row that imports resolves its quarantine entry (thb_QuarantineId).
    """
    st = state(ctx)
    if fix_file is not None:
        result = exports.export_quarantine(st.db(), operator(ctx, org), org, fix_file)
        info(f"Wrote {result['rows']} quarantined rows to {result['file']} ({result['format']}).")
        return
    rows = service.quarantine(st.db(), operator(ctx, org), org)
    emit(
        [
            {
                "id": r["id"],
                "import_id": r["import_id"],
                "row": r["source_row"],
                "problems": "; ".join(f"{p['column']}: {p['rule']}" for p in r["problems"]),
                "cells": r["cells"],
            }
            for r in rows
        ],
        fmt,
        columns=["id", "import_id", "row", "problems", "cells"],
    )


# --- publication of imports ------------------------------------------------------------------

ImportOption = typer.Option(
    ..., "--import", min=1, help="The import's id (`thbhub cases imports`)."
)
NoteOption = typer.Option(None, "--note", help="Why, for the publication history.")
_IMPORT_COLUMNS = ["id", "file_name", "created_at", "rows_stored", "state", "state_changed_at"]


@app.command("imports")
def imports(ctx: typer.Context, org: str = OrgOption, fmt: FormatOption = Format.table) -> None:
    """An organisation's imports, newest first, with their publication state."""
    rows = service.imports(state(ctx).db(), operator(ctx, org), org)
    emit(rows, fmt, columns=_IMPORT_COLUMNS if fmt is Format.table else None)


def _move(
    ctx: typer.Context, org: str, import_id: int, to: str, note: str | None, fmt: Format
) -> None:
    # As the owner's contributor; an admin publishes or sends back with `thbhub publication
    # set case_import ID --to published|draft`.
    event = move_import(state(ctx).db(), operator(ctx, org), import_id, to, note)
    if fmt is not Format.table:  # for scripts: the publication event itself
        emit(event, fmt)
        return
    info(
        f"import {import_id}: {event['from_state']} -> {event['to_state']} "
        f"({event.get('case_records', 0)} records)"
    )


@app.command("submit")
def submit(
    ctx: typer.Context,
    org: str = OrgOption,
    import_id: int = ImportOption,
    note: str | None = NoteOption,
    fmt: FormatOption = Format.table,
) -> None:
    """Submit a draft import for publication (an admin then publishes it or sends it back)."""
    _move(ctx, org, import_id, "submitted", note, fmt)


@app.command("recall")
def recall(
    ctx: typer.Context,
    org: str = OrgOption,
    import_id: int = ImportOption,
    note: str | None = NoteOption,
    fmt: FormatOption = Format.table,
) -> None:
    """Back to draft: a submitted import before an admin decides, or a withdrawn one.

    A withdrawn import recalled to draft can be submitted again.
    """
    _move(ctx, org, import_id, "draft", note, fmt)


@app.command("withdraw")
def withdraw(
    ctx: typer.Context,
    org: str = OrgOption,
    import_id: int = ImportOption,
    note: str | None = NoteOption,
    fmt: FormatOption = Format.table,
) -> None:
    """Withdraw an import in any state: a published one leaves the public tables."""
    _move(ctx, org, import_id, "withdrawn", note, fmt)
