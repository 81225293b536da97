"""`thbhub plan ...`: the strategic plan monitor (import, export, coverage, review)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from thbhub.access.users import operator
from thbhub.cli.context import state
from thbhub.cli.output import Format, FormatOption, emit, info
from thbhub.plan import service

app = typer.Typer(
    help="The strategic plan monitor: portfolio import and export, objectives, projects, "
    "indicators, coverage and the review report.",
    no_args_is_help=True,
)

YearOption = typer.Option(None, "--year", min=1900, max=2100, help="Only this year.")
PresidencyOption = typer.Option(
    None, "--presidency", help="Only this presidency's period (its id in the portfolio)."
)
AsOfOption = typer.Option(
    None, "--as-of", help="Judge progress on this day (YYYY-MM-DD; default today)."
)


class FileFormat(StrEnum):
    yaml = "yaml"
    csv = "csv"


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a date YYYY-MM-DD", param_hint="--as-of"
        ) from None


@app.command("import")
def import_(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="A portfolio .yaml file or a directory of CSV sheets."),
    fmt: FormatOption = Format.table,
) -> None:
    """Replace the portfolio with the file's, all or nothing (one transaction)."""
    result = service.import_portfolio(state(ctx).db(), operator(), path)
    emit(result, fmt, title="plan import")


@app.command("export")
def export(
    ctx: typer.Context,
    file_format: FileFormat = typer.Option(FileFormat.yaml, "--format", "-f", help="yaml or csv."),
    out: Path = typer.Option(..., "-o", "--output", help="A .yaml file, or a directory for CSV."),
) -> None:
    """Write the whole portfolio as YAML or as CSV sheets (import reads it back)."""
    result = service.export_portfolio(state(ctx).db(), operator(), out, file_format.value)
    info(f"wrote {len(result['files'])} file(s) to {out}")


@app.command("objectives")
def objectives(
    ctx: typer.Context,
    year: int | None = YearOption,
    presidency: str | None = PresidencyOption,
    fmt: FormatOption = Format.table,
) -> None:
    """The 8 strategic objectives and what serves each in the period."""
    emit(service.objectives(state(ctx).db(), operator(), year, presidency), fmt)


@app.command("projects")
def projects(
    ctx: typer.Context,
    year: int | None = YearOption,
    presidency: str | None = PresidencyOption,
    objective: str | None = typer.Option(None, "--objective", help="e.g. objective:4"),
    concept: str | None = typer.Option(None, "--concept", help="e.g. form:forced-criminality"),
    fmt: FormatOption = Format.table,
) -> None:
    """Projects running in the period, with their activities and outputs counted."""
    rows = service.projects(state(ctx).db(), operator(), year, presidency, objective, concept)
    short = ["id", "title", "starts", "ends", "status", "objectives", "activities", "outputs"]
    emit(rows, fmt, columns=short if fmt is Format.table else None)


@app.command("indicators")
def indicators(
    ctx: typer.Context,
    as_of: str | None = AsOfOption,
    fmt: FormatOption = Format.table,
) -> None:
    """Indicators: latest value against baseline and target, on or off track."""
    rows = service.indicators(state(ctx).db(), operator(), _day(as_of))
    # A table on a terminal shows the essentials; json and csv carry every field.
    short = ["indicator", "title", "baseline", "latest", "target", "unit", "progress", "status"]
    emit(rows, fmt, columns=short if fmt is Format.table else None)


@app.command("coverage")
def coverage(
    ctx: typer.Context,
    year: int | None = YearOption,
    presidency: str | None = PresidencyOption,
    principles: bool = typer.Option(
        False, "--principles", help="Principles instead of objectives."
    ),
    fmt: FormatOption = Format.table,
) -> None:
    """One row per objective and year: projects, activities, outputs, gap."""
    scheme = "principle" if principles else "objective"
    emit(service.coverage(state(ctx).db(), operator(), year, presidency, scheme), fmt)


@app.command("review")
def review(
    ctx: typer.Context,
    year: int | None = YearOption,
    presidency: str | None = PresidencyOption,
    as_of: str | None = AsOfOption,
    fmt: FormatOption = Format.table,
) -> None:
    """The review report: progress per objective, indicators off track, gaps, outputs,
    projects with small prospects, the previous review's decisions."""
    report = service.review(state(ctx).db(), operator(), year, presidency, _day(as_of))
    if fmt is Format.json:
        emit(report, fmt)
        return
    emit(_review_rows(report), fmt)


def _review_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The report flattened to one table: section, subject, finding."""
    rows: list[dict[str, Any]] = []
    for o in report["objectives"]:
        rows.append(
            {
                "section": "objective",
                "subject": o["objective"],
                "finding": f"{o['projects']} projects, {o['activities']} activities, "
                f"{o['outputs']} outputs, {o['participants']['total']} participants",
            }
        )
    for i in report["indicators"]:
        rows.append(
            {
                "section": "indicator",
                "subject": i["indicator"],
                "finding": f"{i['status']}: {i['latest']} of target {i['target']} {i['unit']}",
            }
        )
    for g in report["gaps"]:
        rows.append(
            {"section": "gap", "subject": g["objective"], "finding": f"nothing in {g['year']}"}
        )
    for o in report["outputs"]:
        rows.append(
            {"section": "output", "subject": o["id"], "finding": f"{o['type']}: {o['title']}"}
        )
    for p in report["small_prospects"]:
        rows.append(
            {
                "section": "small prospects",
                "subject": p["project"],
                "finding": "; ".join(p["reasons"]),
            }
        )
    prev = report["previous_review"]
    if prev:
        rows.append(
            {"section": "previous review", "subject": prev["id"], "finding": prev["decisions"]}
        )
    return rows
