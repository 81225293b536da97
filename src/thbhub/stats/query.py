"""The observation query service: one call behind the CLI, the API and the pages.

Semantics (docs/statistics.md): a dimension named in `by` is broken down (its total row
left out); every dimension not named is its total *as the source published it*.  The
service never sums cells into a total: where a source gives no total, there is no row.
The year is always a column (sources publish no total over years).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from thbhub.domain.errors import UserError
from thbhub.domain.observations import BREAKDOWNS, DIMENSIONS, INDICATORS, normalise_indicator
from thbhub.ingest.rules import YEAR_MAX, YEAR_MIN, shown
from thbhub.stats.filters import (
    FilterResolver,
    Place,
    UnknownValue,
    extra_filters,
    extra_matches,
    parse_extra,
)
from thbhub.storage import Database
from thbhub.storage import observations as q
from thbhub.storage.schema import MAX_ID
from thbhub.taxonomy.service import labels as taxonomy_labels

#: Population series preferred for rates, in order; any other population source comes after.
POPULATION_PREFERENCE = ("eurostat-tps00001", "eurostat-demo-pjan")
#: Further dimensions (stored in `extra`) a query may break down by, besides BREAKDOWNS.
EXTRA_BREAKDOWNS = ("repatriation",)
QUERY_BREAKDOWNS = (*BREAKDOWNS, *EXTRA_BREAKDOWNS)
#: How far (years) a rate may reach for a population figure when its own year has none.
POPULATION_REACH = 5
# A filter value: a concept id, a code without its scheme or a source code (`EU-28 others`).
_VALUE = re.compile(r"^[\w][\w .,:()/'-]{0,99}$")
_SOURCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass
class ObservationQuery:
    indicators: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    year_from: int | None = None
    year_to: int | None = None
    dims: dict[str, list[str]] = field(default_factory=dict)
    by: list[str] = field(default_factory=list)
    per_100k: bool = False
    sources: list[str] = field(default_factory=list)
    dataset: int | None = None
    #: GLOTIP's "by country of repatriation" (stored in extra as repatriation=...)
    repatriation: list[str] = field(default_factory=list)
    #: any further dimension a source brings, as typed: KEY=VALUE
    extra: list[str] = field(default_factory=list)


@dataclass
class Resolved:
    """A query's filter values resolved against the taxonomy (see stats.filters)."""

    places: list[Place]
    dims: dict[str, list[str]]
    extra: dict[str, set[str]]
    by_extra: list[str]


def _split(values: Sequence[str] | str | None) -> list[str]:
    if values is None:
        return []
    items = [values] if isinstance(values, str) else list(values)
    return [part.strip() for item in items for part in item.split(",") if part.strip()]


def build_query(
    *,
    indicator: Sequence[str] | str | None = None,
    country: Sequence[str] | str | None = None,
    year: int | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
    sex: Sequence[str] | str | None = None,
    age: Sequence[str] | str | None = None,
    form: Sequence[str] | str | None = None,
    citizenship: Sequence[str] | str | None = None,
    repatriation: Sequence[str] | str | None = None,
    extra: Sequence[str] | str | None = None,
    by: Sequence[str] | str | None = None,
    per_100k: bool = False,
    source: Sequence[str] | str | None = None,
    dataset: int | None = None,
) -> ObservationQuery:
    """Check the form of what a user typed (CLI options or URL parameters).

    Values are resolved against the taxonomy by :func:`query_observations` (one resolver,
    stats.filters, for the CLI, the API and the pages).
    """
    indicators = [normalise_indicator(i) for i in _split(indicator)]
    for ind in indicators:
        if ind not in INDICATORS:
            known = ", ".join(i.split(":", 1)[1] for i in INDICATORS)
            raise UnknownValue(f"unknown indicator {shown(ind)!r}; one of: {known}")
    countries = _split(country)
    for c in countries:
        if not _VALUE.match(c):
            raise UserError(
                f"country {shown(c)!r}: give an ISO 3166 alpha-2 code such as DE or LT, "
                "a country group or a source code"
            )
    breakdown = _split(by)
    for b in breakdown:
        if b not in QUERY_BREAKDOWNS:
            raise UnknownValue(
                f"cannot break down by {shown(b)!r}; choose from {', '.join(QUERY_BREAKDOWNS)}"
            )
    for option, given in (("--year", year), ("--from", year_from), ("--to", year_to)):
        if given is not None and not YEAR_MIN <= given <= YEAR_MAX:
            raise UserError(f"{option} {shown(str(given))}: a year from {YEAR_MIN} to {YEAR_MAX}")
    if dataset is not None and not 1 <= dataset <= MAX_ID:
        raise UserError(
            f"--dataset {shown(str(dataset))}: not a dataset id (see `thbhub query datasets`)"
        )
    if year is not None:
        if year_from is not None or year_to is not None:
            raise UserError("give either --year or --from/--to, not both")
        year_from = year_to = year
    if year_from is not None and year_to is not None and year_from > year_to:
        raise UserError(f"--from {year_from} is after --to {year_to}")
    values = {"sex": sex, "age": age, "form": form, "citizenship": citizenship}
    values["repatriation"] = repatriation
    dims = {d: _split(values[d]) for d in (*DIMENSIONS, "repatriation")}
    for d, wanted in dims.items():
        for v in wanted:
            if not _VALUE.match(v):
                raise UserError(f"--{d} {shown(v)!r} is not a concept id (e.g. {d}:...) or total")
    extra_items = [e.strip() for e in ([extra] if isinstance(extra, str) else extra or [])]
    extra_filters(extra_items)
    sources = _split(source)
    for key in sources:
        if not _SOURCE.match(key):
            raise UserError(f"source {key!r} is not a source key (see `thbhub sources`)")
    return ObservationQuery(
        indicators=indicators,
        countries=countries,
        year_from=year_from,
        year_to=year_to,
        dims={d: v for d, v in dims.items() if v and d != "repatriation"},
        by=breakdown,
        per_100k=per_100k,
        sources=sources,
        dataset=dataset,
        repatriation=dims["repatriation"],
        extra=[e for e in extra_items if e],
    )


def resolve(conn: Connection, query: ObservationQuery) -> Resolved:
    """Every filter value resolved against the taxonomy; an unknown one is a UserError."""
    r = FilterResolver(conn)
    dims = {
        d: [r.citizen(d, v) if d == "citizenship" else r.concept(d, v) for v in values]
        for d, values in query.dims.items()
    }
    extra = extra_filters(query.extra)
    if query.repatriation:
        extra.setdefault("repatriation", set()).update(
            r.citizen("repatriation", v) for v in query.repatriation
        )
    for item in query.extra:
        r.extra_key(item)
    if query.sources or query.dataset is not None:
        r.dataset(query.sources, query.dataset)
    by_extra = [b for b in query.by if b in EXTRA_BREAKDOWNS]
    return Resolved([r.place(c) for c in query.countries], dims, extra, by_extra)


def result_columns(query: ObservationQuery) -> list[str]:
    """The fields of every answer row, in order: also the header of an empty answer."""
    cols = ["indicator", "country", "year", *(d for d in query.by if d != "year")]
    cols += [*ROW_FIELDS]
    if query.per_100k:
        cols += [*RATE_FIELDS]
    return cols


ROW_FIELDS = (
    "value",
    "status",
    "flags",
    "lower",
    "upper",
    "extra",
    "source",
    "file",
    "sheet",
    "row",
    "source_label",
)
RATE_FIELDS = (
    "rate_per_100k",
    "rate_lower",
    "rate_upper",
    "rate_flags",
    "population",
    "population_year",
    "population_source",
    "population_flags",
)


def _present(row: dict[str, Any], by: Sequence[str], extra: dict[str, str]) -> dict[str, Any]:
    known = row["status"] in ("number", "zero")
    out: dict[str, Any] = {
        "indicator": row["indicator"],
        "country": row["country"],
        "year": row["year"],
    }
    for dim in by:
        if dim in EXTRA_BREAKDOWNS:
            out[dim] = extra.get(dim)
        elif dim != "year":
            out[dim] = row[dim]
    out.update(
        {
            "value": row["value"] if known else None,
            "status": row["status"],
            "flags": [f for f in row["flags"].split(",") if f],
            "lower": row["lower"],
            "upper": row["upper"],
            "extra": row["extra"],
            "source": row["source_key"],
            "file": row["file_name"],
            "sheet": row["sheet"],
            "row": row["source_row"],
            "source_label": row["label"],
        }
    )
    return out


def _wanted(extra: dict[str, str], country: str, areas: dict[str, set[str]], res: Resolved) -> bool:
    """Whether a row with further dimensions answers the query (see filters.extra_matches):
    a reporting area only when the query's place named it (`-c EA18`) or `--extra area=`."""
    if "area" in res.extra:
        return extra_matches(extra, "", res.extra, res.by_extra)
    area = extra.get("area", "")
    if area not in areas.get(country, {""}):
        return False
    return extra_matches(extra, area, res.extra, res.by_extra)


def query_observations(db: Database, query: ObservationQuery) -> list[dict[str, Any]]:
    """Rows for the query; with ``per_100k`` each carries its rate and the population used."""
    with db.connect() as conn:
        res = resolve(conn, query)
        areas: dict[str, set[str]] = {}
        for place in res.places:
            areas.setdefault(place.country, set()).add(place.area)
        further = set(res.extra) | set(res.by_extra)
        if any(p.area for p in res.places):
            further.add("area")
        stmt = q.observation_select(
            indicators=query.indicators,
            countries=sorted(areas),
            year_from=query.year_from,
            year_to=query.year_to,
            dims=res.dims,
            by=[b for b in query.by if b not in EXTRA_BREAKDOWNS],
            source_keys=query.sources,
            dataset_id=query.dataset,
            extra_keys=sorted(further),
        )
        rows = []
        for r in q.run_select(conn, stmt):
            extra = parse_extra(r["extra"])
            if (r["extra"] or further) and not _wanted(extra, r["country"], areas, res):
                continue
            rows.append(_present(r, query.by, extra))
        if any(b in EXTRA_BREAKDOWNS for b in query.by):
            order = [d for d in query.by if d != "year"]
            rows.sort(
                key=lambda x: (x["indicator"], x["country"], *(str(x[d]) for d in order), x["year"])
            )
        if query.per_100k:
            countries = sorted({r["country"] for r in rows})
            years = sorted({r["year"] for r in rows})
            population = q.population_rows(conn, countries, years) if rows else []
            add_rates(rows, population)
    return rows


def _pick_population(candidates: list[dict[str, Any]], year: int) -> dict[str, Any] | None:
    def rank(p: dict[str, Any]) -> tuple[int, int, int, str]:
        pref = (
            POPULATION_PREFERENCE.index(p["source_key"])
            if p["source_key"] in POPULATION_PREFERENCE
            else len(POPULATION_PREFERENCE)
        )
        # Same year first, then the nearest year, an earlier one before a later one.
        return (abs(p["year"] - year), 0 if p["year"] <= year else 1, pref, p["source_key"])

    near = [p for p in candidates if abs(p["year"] - year) <= POPULATION_REACH]
    return min(near, key=rank) if near else None


def add_rates(rows: list[dict[str, Any]], population: list[dict[str, Any]]) -> None:
    """Add rate_per_100k (and bounds) with the population year and source it used."""
    by_country: dict[str, list[dict[str, Any]]] = {}
    for p in population:
        by_country.setdefault(p["country"], []).append(p)
    for r in rows:
        pop = None
        if r["indicator"] != "indicator:population":
            pop = _pick_population(by_country.get(r["country"], []), r["year"])
        if pop is None or not pop["value"]:
            r.update(
                rate_per_100k=None,
                rate_lower=None,
                rate_upper=None,
                rate_flags=[],
                population=None,
                population_year=None,
                population_source=None,
                population_flags=[],
            )
            continue
        # A rate is as good as both its parts: a break or an estimate in the population it
        # divides by qualifies the rate as much as one in the count.
        pop_flags = [f for f in (pop.get("flags") or "").split(",") if f]
        scale = 100_000 / float(pop["value"])

        def rate(v: float | None, scale: float = scale) -> float | None:
            return None if v is None else round(v * scale, 4)

        r.update(
            rate_per_100k=rate(r["value"]),
            rate_lower=rate(r["lower"]),
            rate_upper=rate(r["upper"]),
            rate_flags=sorted(set(r["flags"]) | set(pop_flags)),
            population=pop["value"],
            population_year=pop["year"],
            population_source=pop["source_key"],
            population_flags=pop_flags,
        )


def list_datasets(db: Database) -> list[dict[str, Any]]:
    with db.connect() as conn:
        return q.datasets(conn)


def labels(db: Database, ids: Sequence[str]) -> dict[str, str]:
    return taxonomy_labels(db, ids)


def dimension_choices(db: Database) -> dict[str, list[dict[str, Any]]]:
    """Concepts a user may filter on, per dimension (for the explore page's controls)."""
    with db.connect() as conn:
        return {
            "indicator": q.scheme_concepts(conn, "indicator"),
            "sex": q.scheme_concepts(conn, "sex"),
            "age": q.scheme_concepts(conn, "age"),
            "form": q.scheme_concepts(conn, "form"),
        }


TABLE_COLUMNS = (
    "indicator",
    "country",
    "year",
    *DIMENSIONS,
    *EXTRA_BREAKDOWNS,
    "value",
    "status",
    "lower",
    "upper",
    "flags",
    "extra",
    "rate_per_100k",
    "rate_flags",
    "population_year",
    "population_source",
    "source",
)


def display_columns(rows: list[dict[str, Any]], query: ObservationQuery) -> list[str]:
    """The table's columns: the answer's, less provenance detail; `extra` only when a row
    has further dimensions."""
    present = set(result_columns(query))
    if not any(r.get("extra") for r in rows):
        present.discard("extra")
    return [c for c in TABLE_COLUMNS if c in present]
