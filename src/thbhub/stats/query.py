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

from thbhub.domain.errors import UserError
from thbhub.domain.observations import BREAKDOWNS, DIMENSIONS, INDICATORS, normalise_indicator
from thbhub.ingest.rules import YEAR_MAX, YEAR_MIN, shown
from thbhub.storage import Database
from thbhub.storage import observations as q
from thbhub.storage.schema import MAX_ID
from thbhub.taxonomy.service import labels as taxonomy_labels

#: Population series preferred for rates, in order; any other population source comes after.
POPULATION_PREFERENCE = ("eurostat-tps00001", "eurostat-demo-pjan")
#: How far (years) a rate may reach for a population figure when its own year has none.
POPULATION_REACH = 5
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
_CONCEPT = re.compile(r"^(total|[a-z][a-z0-9-]*:[A-Za-z0-9][A-Za-z0-9._-]*)$")
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
    include_parts: bool = False


def _split(values: Sequence[str] | str | None) -> list[str]:
    if values is None:
        return []
    items = [values] if isinstance(values, str) else list(values)
    return [part.strip() for item in items for part in item.split(",") if part.strip()]


def _concept(dim: str, value: str) -> str:
    """`female` -> `sex:female`; a full id passes; `total` stays the total."""
    if value == "total" or ":" in value:
        return value
    return f"{dim}:{value}"


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
    by: Sequence[str] | str | None = None,
    per_100k: bool = False,
    source: Sequence[str] | str | None = None,
    dataset: int | None = None,
) -> ObservationQuery:
    """Validate and normalise what a user typed (CLI options or URL parameters)."""
    indicators = [normalise_indicator(i) for i in _split(indicator)]
    for ind in indicators:
        if ind not in INDICATORS:
            known = ", ".join(i.split(":", 1)[1] for i in INDICATORS)
            raise UserError(f"unknown indicator {ind!r}; one of: {known}")
    countries = []
    for c in _split(country):
        if _COUNTRY.match(c):
            countries.append(c.upper())
        elif _CONCEPT.match(c) and c.startswith("country-group:"):
            countries.append(c)
        else:
            raise UserError(f"country {c!r}: give an ISO 3166 alpha-2 code such as DE or LT")
    breakdown = _split(by)
    for b in breakdown:
        if b not in BREAKDOWNS:
            raise UserError(f"cannot break down by {b!r}; choose from {', '.join(BREAKDOWNS)}")
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
    dims = {d: [_concept(d, v) for v in _split(values[d])] for d in DIMENSIONS}
    for d, wanted in dims.items():
        for v in wanted:
            if not _CONCEPT.match(v):
                raise UserError(f"--{d} {v!r} is not a concept id (e.g. {d}:...) or total")
    sources = _split(source)
    for key in sources:
        if not _SOURCE.match(key):
            raise UserError(f"source {key!r} is not a source key (see `thbhub sources`)")
    return ObservationQuery(
        indicators=indicators,
        countries=countries,
        year_from=year_from,
        year_to=year_to,
        dims={d: v for d, v in dims.items() if v},
        by=breakdown,
        per_100k=per_100k,
        sources=sources,
        dataset=dataset,
    )


def _present(row: dict[str, Any], by: Sequence[str]) -> dict[str, Any]:
    known = row["status"] in ("number", "zero")
    out: dict[str, Any] = {
        "indicator": row["indicator"],
        "country": row["country"],
        "year": row["year"],
    }
    for dim in by:
        if dim != "year":
            out[dim] = row[dim]
    out.update(
        {
            "value": row["value"] if known else None,
            "status": row["status"],
            "flags": [f for f in row["flags"].split(",") if f],
            "lower": row["lower"],
            "upper": row["upper"],
            "source": row["source_key"],
            "file": row["file_name"],
            "sheet": row["sheet"],
            "row": row["source_row"],
            "source_label": row["label"],
        }
    )
    return out


def query_observations(db: Database, query: ObservationQuery) -> list[dict[str, Any]]:
    """Rows for the query; with ``per_100k`` each carries its rate and the population used."""
    stmt = q.observation_select(
        indicators=query.indicators,
        countries=query.countries,
        year_from=query.year_from,
        year_to=query.year_to,
        dims=query.dims,
        by=query.by,
        source_keys=query.sources,
        dataset_id=query.dataset,
        include_parts=query.include_parts,
    )
    with db.connect() as conn:
        rows = [_present(r, query.by) for r in q.run_select(conn, stmt)]
        if query.per_100k and rows:
            countries = sorted({r["country"] for r in rows})
            years = sorted({r["year"] for r in rows})
            population = q.population_rows(conn, countries, years)
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
                population=None,
                population_year=None,
                population_source=None,
            )
            continue
        scale = 100_000 / float(pop["value"])

        def rate(v: float | None, scale: float = scale) -> float | None:
            return None if v is None else round(v * scale, 4)

        r.update(
            rate_per_100k=rate(r["value"]),
            rate_lower=rate(r["lower"]),
            rate_upper=rate(r["upper"]),
            population=pop["value"],
            population_year=pop["year"],
            population_source=pop["source_key"],
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
    "value",
    "status",
    "lower",
    "upper",
    "flags",
    "rate_per_100k",
    "population_year",
    "population_source",
    "source",
)


def display_columns(rows: list[dict[str, Any]], query: ObservationQuery) -> list[str]:
    present = set(rows[0]) if rows else set()
    cols = [c for c in TABLE_COLUMNS if c in present or c in ("indicator", "country", "year")]
    return [c for c in cols if c not in DIMENSIONS or c in query.by]
