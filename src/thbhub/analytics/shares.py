"""Shares of victims by sex, age, form of exploitation and citizenship, with 95% intervals.

One table per source, place (a country, or the CBSS region) and year.  The cells come from the
query service (stats.query: a breakdown is the source's published cells, every other
dimension its total), so every count shown is a source cell with its file and row.

- **Denominator.** The reported total when the source publishes one and the parts fit under
  it; the remainder the parts leave is its own row, "not allocated".  Otherwise (no total, a
  suppressed total, or parts that add up to more than the total) the sum of the parts, and a
  note says why.  Both numbers are always in the table.
- **Intervals.** The Wilson score interval of each share (95%, each share on its own), or
  Goodman's simultaneous intervals (all shares of the table at once) with
  ``method="goodman"``; see :mod:`thbhub.analytics.intervals`.
- **Suppressed cells** (`<5`) enter by their bounds: their share is a range and its interval
  the union over the range; a suppressed part in the denominator makes every share a range.
  Never read as 0, never as a midpoint.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from thbhub.analytics.intervals import METHODS, quantile2, share_range
from thbhub.domain.concepts import CBSS_MEMBER_STATES
from thbhub.domain.errors import UserError
from thbhub.stats.query import build_query, labels, query_observations
from thbhub.storage import Database

SHARE_DIMENSIONS = ("sex", "age", "form", "citizenship")
#: The place code of the ten CBSS member states taken together.
REGION = "CBSS"
REGION_LABEL = "CBSS member states (together)"
UNALLOCATED = "unallocated"
#: The fields of a flat share row (CSV and table), in order.
ROW_FIELDS = (
    "source",
    "country",
    "year",
    "by",
    "category",
    "label",
    "count",
    "status",
    "lower",
    "upper",
    "share",
    "share_low",
    "share_high",
    "ci_low",
    "ci_high",
    "denominator",
    "denominator_low",
    "denominator_high",
    "reported_total",
    "parts_low",
    "parts_high",
    "method",
    "file",
    "row",
)


@dataclass
class Part:
    """A category's count: known (lower == upper) or a range (a suppressed cell)."""

    category: str
    status: str
    lower: float
    upper: float
    file: str | None = None
    row: int | None = None
    flags: list[str] = field(default_factory=list)

    @property
    def known(self) -> bool:
        return self.status in ("number", "zero")


@dataclass
class ShareTable:
    source: str
    country: str
    year: int
    by: str
    method: str
    total: Part | None
    parts: list[Part]
    #: categories the source lists as missing: no count, left out of the sum of parts
    missing: list[Part] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    denominator: str = ""
    denominator_range: tuple[float, float] = (0.0, 0.0)

    @property
    def parts_range(self) -> tuple[float, float]:
        return sum(p.lower for p in self.parts), sum(p.upper for p in self.parts)

    def as_dict(self) -> dict[str, Any]:
        low, high = self.parts_range
        return {
            "source": self.source,
            "country": self.country,
            "year": self.year,
            "by": self.by,
            "method": self.method,
            "denominator": self.denominator,
            "denominator_low": self.denominator_range[0],
            "denominator_high": self.denominator_range[1],
            "reported_total": _total_shown(self.total),
            "parts_low": low,
            "parts_high": high,
            "countries": self.countries,
            "notes": self.notes,
            "shares": self.rows,
        }


def _total_shown(total: Part | None) -> float | str | None:
    if total is None:
        return None
    if total.known:
        return total.lower
    return f"suppressed {total.lower:g}-{total.upper:g}"


def _pct(value: float) -> float:
    return round(100.0 * value, 2)


def _part(row: dict[str, Any], category: str) -> Part:
    status = str(row["status"])
    if status in ("number", "zero"):
        value = float(row["value"] or 0.0)
        return Part(category, status, value, value, row.get("file"), row.get("row"), row["flags"])
    lower = float(row["lower"] or 0.0)
    upper = row.get("upper")
    if status == "suppressed" and upper is not None:
        return Part(
            category, status, lower, float(upper), row.get("file"), row.get("row"), row["flags"]
        )
    # Missing, not applicable, or suppressed with no upper bound (Eurostat `: c`): unknown.
    return Part(category, "missing", lower, float("inf"), row.get("file"), row.get("row"))


def _add(parts: Sequence[Part], category: str) -> Part:
    """The sum of several countries' cells: known when all are, else a range."""
    known = all(p.known for p in parts)
    missing = any(p.status == "missing" for p in parts)
    status = "number" if known else ("missing" if missing else "suppressed")
    return Part(category, status, sum(p.lower for p in parts), sum(p.upper for p in parts))


def compute(table: ShareTable, z2: float) -> None:
    """Choose the denominator, then fill the table's rows and notes."""
    low, high = table.parts_range
    total = table.total
    what = "the categories the source lists"
    if table.missing:
        names = ", ".join(p.category for p in table.missing)
        table.notes.append(f"Not available in the source (left out of the parts): {names}.")
    use_total = total is not None and total.known and total.lower >= low
    parts = list(table.parts)
    if use_total and total is not None:
        t = total.lower
        table.denominator = "reported total"
        table.denominator_range = (t, t)
        # A part cannot exceed the total less the other parts' least counts: a suppressed
        # cell's published upper bound (4 for `<5`) is tightened by that, and said so.
        bounds = {id(p): (p.lower, min(p.upper, t - (low - p.lower))) for p in parts}
        tight = [p for p in parts if bounds[id(p)][1] < p.upper]
        if tight:
            table.notes.append(
                "Bounded by the reported total: "
                + ", ".join(f"{p.category} at most {bounds[id(p)][1]:g}" for p in tight)
                + " (the total less the other parts)."
            )
        high_t = sum(b[1] for b in bounds.values())
        if low < t:
            rest = Part(UNALLOCATED, "range", max(0.0, t - high_t), t - low)
            rest.status = "number" if rest.lower == rest.upper else "range"
            parts.append(rest)
            bounds[id(rest)] = (rest.lower, rest.upper)
            table.notes.append(
                f"The parts ({what}) add up to {_range(low, high)}, the reported total is "
                f"{t:g}: what the parts may leave is shown as 'not allocated'."
            )
        for p in parts:
            a, b = bounds[id(p)]
            # With a fixed total the rest of the denominator is the total less this count.
            found = share_range((a, b), (t - b, t - a), z2)
            table.rows.append(_row(p, found))
        return
    table.denominator = "sum of parts"
    table.denominator_range = (low, high)
    if total is None:
        table.notes.append(f"The source publishes no total here: shares are of {what}.")
    elif not total.known:
        table.notes.append(
            f"The reported total is suppressed ({_range(total.lower, total.upper)}): shares "
            f"are of the sum of the parts, {_range(low, high)}."
        )
    else:
        table.notes.append(
            f"The parts add up to {_range(low, high)}, more than the reported total "
            f"{total.lower:g} (a victim may be counted in several categories, or the parts "
            "come from another count): shares are of the sum of the parts."
        )
    if any(not p.known for p in parts):
        table.notes.append(
            "Suppressed parts make the denominator a range: every share is then a range "
            "and its interval covers every table the suppressed cells allow."
        )
    for p in parts:
        found = share_range((p.lower, p.upper), (low - p.lower, high - p.upper), z2)
        table.rows.append(_row(p, found))
    if low == 0:
        table.notes.append("Every part may be 0 (all suppressed): no share can be given.")


def _range(low: float, high: float) -> str:
    return f"{low:g}" if low == high else f"{low:g} to {high:g}"


def _row(p: Part, found: tuple[float, float, float, float] | None) -> dict[str, Any]:
    share = share_low = share_high = ci_low = ci_high = None
    if found is not None and all(v == v and v != float("inf") for v in found):
        share_low, share_high = _pct(found[0]), _pct(found[1])
        ci_low, ci_high = _pct(found[2]), _pct(found[3])
        # A suppressed cell has no single share, even when the total pins its range down.
        share = share_low if share_low == share_high and p.status != "suppressed" else None
    return {
        "category": p.category,
        "label": p.category,
        "count": p.lower if p.known else None,
        "status": p.status,
        "lower": p.lower,
        "upper": None if p.upper == float("inf") else p.upper,
        "share": share,
        "share_low": share_low,
        "share_high": share_high,
        "ci_low": ci_low,
        "ci_high": ci_high,
        "file": p.file,
        "row": p.row,
    }


def _cells(
    db: Database, indicator: str, countries: Sequence[str], by: str, years: tuple[int | None, ...]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(breakdown rows, total rows) for the places and years, from the query service."""
    year_from, year_to = years
    places = list(countries)
    parts = query_observations(
        db,
        build_query(
            indicator=indicator, country=places, by=by, year_from=year_from, year_to=year_to
        ),
    )
    totals = query_observations(
        db, build_query(indicator=indicator, country=places, year_from=year_from, year_to=year_to)
    )
    return parts, totals


def shares(
    db: Database,
    *,
    countries: Sequence[str] = (),
    by: Sequence[str] = SHARE_DIMENSIONS,
    indicator: str = "victims",
    year: int | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
    method: str = "wilson",
) -> list[ShareTable]:
    """Share tables for each place (a country, or ``CBSS`` for the region), dimension and
    year; without years, each place's latest year with a breakdown."""
    if method not in METHODS:
        raise UserError(f"--method {method!r}: one of {', '.join(METHODS)}")
    dims = list(dict.fromkeys(by)) or list(SHARE_DIMENSIONS)
    for d in dims:
        if d not in SHARE_DIMENSIONS:
            raise UserError(f"--by {d!r}: one of {', '.join(SHARE_DIMENSIONS)}")
    places = [c.strip() for c in countries if c.strip()] or [REGION]
    # The query service checks the form of what was typed (years, both --year and --from).
    checked = build_query(indicator=indicator, year=year, year_from=year_from, year_to=year_to)
    year_from, year_to = checked.year_from, checked.year_to
    out: list[ShareTable] = []
    for place in dict.fromkeys(places):
        region = place.upper() == REGION
        members = list(CBSS_MEMBER_STATES) if region else [place]
        for dim in dims:
            parts, totals = _cells(db, indicator, members, dim, (year_from, year_to))
            tables = _region_tables(parts, totals, dim, method) if region else []
            if not region:
                tables = _country_tables(parts, totals, dim, method)
            if year_from is None and year_to is None and tables:
                latest = max(t.year for t in tables)
                tables = [t for t in tables if t.year == latest]
            out.extend(tables)
    _finish(db, out)
    return out


def _key(r: dict[str, Any]) -> tuple[str, str, int]:
    return str(r["source"]), str(r["country"]), int(r["year"])


def _country_tables(
    parts: list[dict[str, Any]], totals: list[dict[str, Any]], dim: str, method: str
) -> list[ShareTable]:
    total_of = {_key(r): _part(r, "total") for r in totals}
    grouped: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    for r in parts:
        grouped.setdefault(_key(r), []).append(r)
    out = []
    for (source, country, year), rows in sorted(grouped.items()):
        cells = [_part(r, str(r[dim])) for r in rows]
        table = ShareTable(
            source,
            country,
            year,
            dim,
            method,
            total_of.get((source, country, year)),
            [c for c in cells if c.status != "missing"],
            [c for c in cells if c.status == "missing"],
        )
        compute(table, quantile2(method, len(table.parts)))
        out.append(table)
    return out


def _region_tables(
    parts: list[dict[str, Any]], totals: list[dict[str, Any]], dim: str, method: str
) -> list[ShareTable]:
    """The region's cells: each category summed over the countries that publish this
    breakdown in the year (bounds summed for suppressed cells); only those countries'
    totals enter the total."""
    total_of = {_key(r): _part(r, "total") for r in totals}
    by_year: dict[tuple[str, int], dict[str, list[dict[str, Any]]]] = {}
    for r in parts:
        by_year.setdefault((str(r["source"]), int(r["year"])), {}).setdefault(
            str(r["country"]), []
        ).append(r)
    out = []
    for (source, year), per_country in sorted(by_year.items()):
        countries = sorted(per_country)
        cats: dict[str, list[Part]] = {}
        for c in countries:
            for r in per_country[c]:
                cats.setdefault(str(r[dim]), []).append(_part(r, str(r[dim])))
        cells = [_add(ps, cat) for cat, ps in cats.items()]
        with_total = [
            total_of[(source, c, year)] for c in countries if (source, c, year) in total_of
        ]
        total = _add(with_total, "total") if len(with_total) == len(countries) else None
        table = ShareTable(
            source,
            REGION,
            year,
            dim,
            method,
            total,
            [c for c in cells if c.status != "missing"],
            [c for c in cells if c.status == "missing"],
            countries,
        )
        skipped = sorted(
            c
            for (s, c, y) in total_of
            if s == source and y == year and c not in per_country and c in CBSS_MEMBER_STATES
        )
        table.notes.append(
            f"The region here is the {len(countries)} member states that publish victims by "
            f"{dim} for {year} ({', '.join(countries)}); each category is their sum"
            + (f"; left out (a total but no breakdown): {', '.join(skipped)}." if skipped else ".")
        )
        if dim == "citizenship" and "country-group:nationals" in cats:
            table.notes.append(
                "Nationals: each member state's own citizens detected there, summed (domestic "
                "victims); a member state's citizens detected in another are under its name."
            )
        if len(with_total) != len(countries):
            table.notes.append("Not every one of them publishes a total for the year.")
        compute(table, quantile2(method, len(table.parts)))
        out.append(table)
    return out


def _finish(db: Database, tables: list[ShareTable]) -> None:
    """Labels for categories, and the fields every row repeats (for CSV and the table)."""
    ids = {str(r["category"]) for t in tables for r in t.rows}
    names = labels(db, sorted(i for i in ids if ":" in i))
    for t in tables:
        for ident in sorted(names, key=len, reverse=True):
            t.notes = [n.replace(ident, names[ident]) for n in t.notes]
        for r in t.rows:
            cat = str(r["category"])
            if cat == UNALLOCATED:
                r["label"] = "not allocated (reported total less the parts)"
            else:
                r["label"] = names.get(cat, cat.split(":", 1)[-1])
        t.rows.sort(key=lambda r: (r["category"] == UNALLOCATED, -(r["upper"] or 0), r["label"]))


def flat_rows(tables: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per category, with its table's fields (CSV and the terminal table), from
    the tables of :func:`share_report`."""
    out = []
    for head in tables:
        for r in head["shares"]:
            out.append({k: r.get(k, head.get(k)) for k in ROW_FIELDS})
    return out


def share_report(db: Database, **options: Any) -> dict[str, Any]:
    """The share tables and, when countries are compared, what is not comparable between
    them (analytics.comparability): the one call behind the CLI, the API and the page."""
    from thbhub.analytics.comparability import comparability

    tables = shares(db, **options)
    places = [c for c in dict.fromkeys(options.get("countries") or ()) if c.upper() != REGION]
    notes: list[dict[str, Any]] = []
    if len(places) > 1:
        notes = comparability(
            db,
            places,
            indicator=options.get("indicator", "victims"),
            year_from=options.get("year_from") or options.get("year"),
            year_to=options.get("year_to") or options.get("year"),
            dimensions=list(options.get("by") or SHARE_DIMENSIONS),
        )
    return {"tables": [t.as_dict() for t in tables], "comparability": notes}
