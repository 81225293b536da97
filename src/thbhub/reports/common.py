"""Pieces every report builder uses: observations as the statistics query gives them, as a
table of years and as a chart with its sentence."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from thbhub.reports.cells import observation_cell
from thbhub.reports.charts import WIDTH, countries_sentence, series_sentence
from thbhub.reports.model import Cell, Figure, Items, Paragraph, Section, Table
from thbhub.stats.charts import series_chart, top_series
from thbhub.stats.query import build_query, labels, query_observations
from thbhub.storage import Database

#: At most this many years in a table (the latest): wider tables do not fit a page.
TABLE_YEARS = 10
#: At most this many series in a chart and a table of a breakdown (the largest).
TOP = 8


def observations(
    db: Database,
    indicator: str | Sequence[str],
    country: str | Sequence[str] | None,
    by: str | None = None,
    *,
    per_100k: bool = False,
    year: int | None = None,
) -> list[dict[str, Any]]:
    """The rows `thbhub query observations` prints for the same filters."""
    query = build_query(
        indicator=list(indicator) if not isinstance(indicator, str) else indicator,
        country=country,
        by="year" if by is None else f"year,{by}",
        per_100k=per_100k,
        year_to=year,
    )
    return query_observations(db, query)


def names_of(db: Database, rows: Sequence[Mapping[str, Any]], by: str | None) -> dict[str, str]:
    ids = {str(r["indicator"]) for r in rows} | {str(r[by]) for r in rows if by and r.get(by)}
    ids |= {f"country:{r['country']}" for r in rows if r.get("country")}
    return labels(db, sorted(ids))


def source_of(rows: Sequence[Mapping[str, Any]]) -> str:
    """The sources of the rows: each source id with the files its cells come from."""
    files: dict[str, set[str]] = {}
    for r in rows:
        files.setdefault(str(r.get("source")), set()).update(
            [str(r["file"])] if r.get("file") else []
        )
    if not files:
        return "no stored observations"
    return "; ".join(
        f"{src} ({', '.join(sorted(f))})" if f else src for src, f in sorted(files.items())
    )


def flow_source(found: Sequence[Mapping[str, Any]]) -> str:
    """The sources of flows (analytics.flows rows name their cells as 'FILE row N')."""
    return source_of(
        [
            {"source": f["source"], "file": cell.rsplit(" row ", 1)[0]}
            for f in found
            for cell in f.get("cells") or [""]
        ]
    )


def year_table(
    rows: Sequence[Mapping[str, Any]],
    *,
    caption: str,
    series: str | None,
    names: Mapping[str, str],
    measure: str = "value",
    series_title: str = "",
) -> Table:
    """Series down, the latest years across; every cell with its status symbol."""
    years = sorted({int(r["year"]) for r in rows})[-TABLE_YEARS:]
    by_key: dict[str, dict[int, Mapping[str, Any]]] = {}
    for r in rows:
        key = str(r[series]) if series else str(r["indicator"])
        if series is None and r.get("country") and len({x.get("indicator") for x in rows}) == 1:
            key = f"country:{r['country']}"
        by_key.setdefault(key, {})[int(r["year"])] = r
    out: list[list[Cell]] = []
    for key, cells in by_key.items():
        if not any(y in cells for y in years):
            continue  # a series that ends before the years shown
        out.append(
            [Cell(names.get(key, key))] + [observation_cell(cells.get(y), measure) for y in years]
        )
    return Table(
        caption=caption,
        columns=[series_title or (series or "indicator").capitalize(), *map(str, years)],
        rows=out,
        source=source_of(rows),
    )


def figure(
    rows: Sequence[dict[str, Any]],
    *,
    title: str,
    what: str,
    where: str,
    by: str | None,
    names: Mapping[str, str],
    measure: str = "value",
    y_title: str = "count",
) -> Figure:
    """A chart of yearly series (the pages' builder) with the sentence that says what it
    shows; a breakdown is cut to its TOP largest series, and the caption says so."""
    shown, count = top_series(rows, by, TOP) if by else (list(rows), 1)
    spec = series_chart(
        [{**r, "country": None} for r in shown] if by or _one_country(rows) else shown,
        series_dim=by,
        labels=dict(names),
        title=title,
        y_title=y_title,
        measure=measure,
        width=WIDTH,
        height=220,
    )
    caption = title
    if by and count > TOP:
        caption += f" (the {TOP} largest of {count} series)"
    return Figure(
        spec=spec,
        alt=(
            series_sentence(shown, what=what, where=where, by=by, labels=names, measure=measure)
            if by or _one_country(rows)
            else countries_sentence(rows, what=f"{what} in {where}", names=names, measure=measure)
        ),
        caption=caption,
        source=source_of(rows),
    )


def _one_country(rows: Sequence[Mapping[str, Any]]) -> bool:
    return len({r.get("country") for r in rows}) <= 1


def series_block(
    section: Section,
    rows: list[dict[str, Any]],
    *,
    title: str,
    what: str,
    where: str,
    by: str | None,
    names: Mapping[str, str],
    measure: str = "value",
    y_title: str = "count",
    empty: str | None = None,
) -> None:
    """A chart and the table of the same rows (the table has every series, the chart the
    largest), or a sentence saying the sources hold nothing."""
    if not rows:
        section.add(Paragraph(empty or f"The sources hold no figures for {what.lower()}."))
        return
    section.add(
        figure(
            rows,
            title=title,
            what=what,
            where=where,
            by=by,
            names=names,
            measure=measure,
            y_title=y_title,
        ),
        year_table(
            rows,
            caption=title,
            series=by,
            names=names,
            measure=measure,
            series_title=by.capitalize()
            if by
            else "Indicator"
            if _one_country(rows)
            else "Country",
        ),
    )


def items_or(section: Section, items: list[str], empty: str) -> None:
    section.add(Items(items) if items else Paragraph(empty))
