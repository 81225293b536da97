"""`thbhub report KIND [SUBJECT]`: a report of the evidence base as HTML, Markdown or PDF."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from thbhub.cli.context import state
from thbhub.cli.output import info
from thbhub.domain.errors import UserError


class ReportFormat(StrEnum):
    html = "html"
    pdf = "pdf"
    md = "md"


def report(
    ctx: typer.Context,
    kind: str = typer.Argument(..., help="country, region, topic or review."),
    subject: str | None = typer.Argument(
        None, help="The country code (country LV) or concept id (topic form:forced-criminality)."
    ),
    year: int | None = typer.Option(
        None, "--year", min=1900, max=2100, help="Only the data up to this year."
    ),
    edition: int | None = typer.Option(
        None,
        "--edition",
        min=1,
        help="Make a stored edition again (the data must not have changed), or the next one; "
        "default: the latest edition if the data has not changed, else a new one.",
    ),
    fmt: ReportFormat = typer.Option(ReportFormat.html, "--format", "-f", help="html, pdf or md."),
    out: Path = typer.Option(..., "-o", "--output", help="The file to write."),
) -> None:
    """Write a report: country CODE, region, topic CONCEPT-ID or review (public data only)."""
    st = state(ctx)
    if out.is_dir():
        raise UserError(f"{out}: is a directory; give a file name")
    if not out.parent.exists():
        raise UserError(f"{out.parent}: no such directory")
    # Imported here: the reports bring Altair and Typst, which every other `thbhub` command
    # would otherwise load at start (about 1 s).
    from thbhub.reports import service

    made, data = service.make(
        st.db(), st.settings(), kind, subject, fmt.value, year=year, edition=edition
    )
    out.write_bytes(data)
    info(
        f"wrote {out} ({len(data):,} bytes): {made.title}, edition {made.edition.number} "
        f"(data version {made.edition.data_version})"
    )


def register(app: typer.Typer) -> None:
    app.command("report")(report)
