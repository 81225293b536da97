"""`thbhub trends` and `thbhub alerts`: trends of count series, from a file or from stored
observations, and the rises that alert."""

from __future__ import annotations

from pathlib import Path

import typer

from thbhub.analytics.service import DEFAULT_WINDOW, alerts, file_trends, flat, rows, stored_trends
from thbhub.analytics.trends import RESULT_FIELDS
from thbhub.cli.context import state
from thbhub.cli.output import Format, FormatOption, emit
from thbhub.domain.errors import UserError
from thbhub.stats.query import build_query

#: What the table shows (every field is in JSON and CSV).
TABLE_FIELDS = (
    "series",
    "annual_change",
    "ci_low",
    "ci_high",
    "p_value",
    "change_points",
    "alert",
    "reason",
)


def trends(
    ctx: typer.Context,
    input_file: Path | None = typer.Option(
        None,
        "--input",
        help="A CSV file with columns series,year,count[,status,lower,upper,flags] "
        "(docs/trends.md); without it, stored observations.",
    ),
    indicator: list[str] = typer.Option([], "--indicator", "-i", help="e.g. victims."),
    country: list[str] = typer.Option([], "--country", "-c", help="ISO alpha-2, e.g. LT."),
    year_from: int | None = typer.Option(None, "--from", help="First year."),
    year_to: int | None = typer.Option(None, "--to", help="Last year."),
    sex: list[str] = typer.Option([], "--sex", help="e.g. female."),
    age: list[str] = typer.Option([], "--age", help="e.g. child."),
    form: list[str] = typer.Option([], "--form", help="e.g. sexual-exploitation."),
    citizenship: list[str] = typer.Option([], "--citizenship", help="e.g. UA, nationals."),
    by: str | None = typer.Option(
        None, "--by", help="One series per value of sex,age,form,citizenship (comma-separated)."
    ),
    source: list[str] = typer.Option([], "--source", help="Only this source key."),
    across_breaks: bool = typer.Option(
        False, "--across-breaks", help="Fit across breaks in series (by default, only after)."
    ),
    fmt: FormatOption = Format.table,
) -> None:
    """Annual change of count series with 95% intervals (docs/trends.md)."""
    if input_file is not None:
        filters = (indicator, country, year_from, year_to, sex, age, form, citizenship, by, source)
        if any(f for f in filters if f not in (None, [])):
            raise UserError("give --input or filters on stored observations, not both")
        found = file_trends(input_file, across_breaks=across_breaks)
    else:
        query = build_query(
            indicator=indicator,
            country=country,
            year_from=year_from,
            year_to=year_to,
            sex=sex,
            age=age,
            form=form,
            citizenship=citizenship,
            by=by,
            source=source,
        )
        found = stored_trends(state(ctx).db(), query, across_breaks=across_breaks)
    records = rows(found)
    if fmt is Format.json:
        emit(records, fmt)
    elif fmt is Format.csv:
        emit(flat(records), fmt, columns=RESULT_FIELDS)
    else:
        emit(flat(records), fmt, columns=TABLE_FIELDS)


def alerts_command(
    ctx: typer.Context,
    indicator: str = typer.Option("victims", "--indicator", "-i", help="e.g. victims."),
    country: list[str] = typer.Option(
        [], "--country", "-c", help="ISO alpha-2, e.g. LT; by default every stored country."
    ),
    window: int = typer.Option(
        DEFAULT_WINDOW, "--window", help="Years to look back from the latest year in the data."
    ),
    fmt: FormatOption = Format.table,
) -> None:
    """Significant rises (Benjamini-Hochberg over every series tested) in the total and each
    sex, age, form and citizenship of each country, each with one sentence."""
    query = build_query(indicator=indicator, country=country)
    records = rows(alerts(state(ctx).db(), query, window=window))
    if fmt is Format.json:
        emit(records, fmt)
    elif fmt is Format.csv:
        emit(flat(records), fmt, columns=RESULT_FIELDS)
    else:
        emit(flat(records), fmt, columns=("series", "annual_change", "q_value", "reason"))


def register(app: typer.Typer) -> None:
    app.command("trends")(trends)
    app.command("alerts")(alerts_command)
