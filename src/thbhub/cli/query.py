"""`thbhub query ...`: ask the evidence base."""

from __future__ import annotations

import typer

from thbhub.cli.context import state
from thbhub.cli.output import Format, FormatOption, emit
from thbhub.stats.query import (
    build_query,
    display_columns,
    list_datasets,
    query_observations,
    result_columns,
)

app = typer.Typer(help="Query the evidence base.", no_args_is_help=True)


@app.command("observations")
def observations(
    ctx: typer.Context,
    indicator: list[str] = typer.Option(
        [], "--indicator", "-i", help="e.g. victims, convicted (the indicator: prefix optional)."
    ),
    country: list[str] = typer.Option(
        [], "--country", "-c", help="ISO alpha-2 (LT), a country group, or a code such as EA19."
    ),
    year: int | None = typer.Option(None, "--year", help="One year."),
    year_from: int | None = typer.Option(None, "--from", help="First year."),
    year_to: int | None = typer.Option(None, "--to", help="Last year."),
    sex: list[str] = typer.Option([], "--sex", help="e.g. female or sex:female."),
    age: list[str] = typer.Option([], "--age", help="An age band concept, e.g. child."),
    form: list[str] = typer.Option([], "--form", help="e.g. sexual-exploitation."),
    citizenship: list[str] = typer.Option(
        [], "--citizenship", help="e.g. UA, country:UA, nationals, eu28-others."
    ),
    repatriation: list[str] = typer.Option(
        [], "--repatriation", help="Country of repatriation (UNODC), e.g. RO or abroad."
    ),
    extra: list[str] = typer.Option(
        [], "--extra", help="A further dimension as the extra column shows it: KEY=VALUE."
    ),
    by: str | None = typer.Option(
        None,
        "--by",
        help="Break down by year,sex,age,form,citizenship,repatriation; others are totals.",
    ),
    per_100k: bool = typer.Option(
        False, "--per-100k", help="Add rates per 100,000 population (says which population)."
    ),
    source: list[str] = typer.Option([], "--source", help="Only this source key."),
    dataset: int | None = typer.Option(
        None, "--dataset", help="An older release by dataset id (see `query datasets`)."
    ),
    fmt: FormatOption = Format.table,
) -> None:
    """Observations with their status (number, zero, missing, suppressed, not applicable)."""
    query = build_query(
        indicator=indicator,
        country=country,
        year=year,
        year_from=year_from,
        year_to=year_to,
        sex=sex,
        age=age,
        form=form,
        citizenship=citizenship,
        repatriation=repatriation,
        extra=extra,
        by=by,
        per_100k=per_100k,
        source=source,
        dataset=dataset,
    )
    rows = query_observations(state(ctx).db(), query)
    if fmt is Format.table:
        emit(rows, fmt, columns=display_columns(rows, query))
    elif fmt is Format.csv:
        # The header comes from the query, so an empty answer still says what it would hold.
        flat = [{k: ",".join(v) if isinstance(v, list) else v for k, v in r.items()} for r in rows]
        emit(flat, fmt, columns=result_columns(query))
    else:
        emit(rows, fmt)


@app.command("datasets")
def datasets(ctx: typer.Context, fmt: FormatOption = Format.table) -> None:
    """Imported datasets (one per file and release)."""
    emit(
        list_datasets(state(ctx).db()),
        fmt,
        columns=[
            "id",
            "source_key",
            "version",
            "file_name",
            "rows_read",
            "rows_stored",
            "cells_current",
        ],
    )
