"""Flows: from the victims' citizenship to the country that detected them.

Read from the stored statistics that break victims down by citizenship (UNODC GLOTIP's "by
citizenship"; a Eurostat `citizen` dimension likewise), through the query service, so each
flow is a published cell with its file and row.  "Nationals" (the source's category for
citizens of the reporting country) is a flow from that country to itself, marked domestic.
A suppressed cell (`<5`) stays a flow of "fewer than 5" with its bounds: never 0, never left
out.  Over several years a flow is the sum of its cells; a suppressed year makes the sum a
range.  Without a year, each detecting country's latest year with a citizenship breakdown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from thbhub.domain.concepts import CBSS_MEMBER_STATES
from thbhub.domain.errors import UserError
from thbhub.stats.query import build_query, labels, query_observations
from thbhub.storage import Database
from thbhub.storage import observations as q

NATIONALS = "country-group:nationals"
#: What a flow starts from: the citizenship, or its UN M49 region or subregion (the country
#: taxonomy's attributes, as UNODC uses them).
ORIGINS = ("citizenship", "subregion", "region")
#: The fields of a flat flow row (CSV and the terminal table), in order.
FLOW_FIELDS = (
    "rank",
    "origin",
    "origin_label",
    "destination",
    "destination_label",
    "years",
    "count",
    "status",
    "lower",
    "upper",
    "shown",
    "domestic",
    "source",
    "cells",
)


@dataclass
class Flow:
    origin: str
    destination: str
    source: str
    years: list[int] = field(default_factory=list)
    lower: float = 0.0
    upper: float | None = 0.0
    known: bool = True
    missing: bool = False
    cells: list[str] = field(default_factory=list)

    def merge(self, other: Flow) -> None:
        """Add another flow (one more citizenship of the same region)."""
        self.years = sorted(set(self.years) | set(other.years))
        self.cells += other.cells
        self.lower += other.lower
        self.upper = None if self.upper is None or other.upper is None else self.upper + other.upper
        self.known = self.known and other.known
        self.missing = self.missing or other.missing

    def add(self, row: dict[str, Any]) -> None:
        self.years.append(int(row["year"]))
        self.cells.append(f"{row['file']} row {row['row']}")
        status = row["status"]
        if status in ("number", "zero"):
            value = float(row["value"] or 0.0)
            self.lower += value
            self.upper = None if self.upper is None else self.upper + value
            return
        self.known = False
        self.lower += float(row["lower"] or 0.0)
        upper = row.get("upper")
        if status != "suppressed" or upper is None:
            self.missing = status != "suppressed"
            self.upper = None
        elif self.upper is not None:
            self.upper += float(upper)

    @property
    def status(self) -> str:
        if self.known:
            return "number"
        return "missing" if self.missing else "suppressed"

    def shown(self) -> str:
        if self.known:
            return f"{self.lower:g}"
        if self.upper is None:
            return f"at least {self.lower:g}" if self.lower else "not available"
        if self.lower == 0:
            return f"fewer than {self.upper + 1:g} (suppressed)"
        return f"{self.lower:g} to {self.upper:g} (suppressed cells)"


@dataclass
class FlowResult:
    flows: list[dict[str, Any]]
    nodes: list[dict[str, Any]]
    links: list[dict[str, Any]]
    notes: list[str]
    #: what is not comparable between the detecting countries (analytics.comparability)
    comparability: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "flows": self.flows,
            "sankey": {"nodes": self.nodes, "links": self.links},
            "notes": self.notes,
            "comparability": self.comparability,
        }


def flows(
    db: Database,
    *,
    countries: Sequence[str] = (),
    indicator: str = "victims",
    year: int | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
    citizenship: Sequence[str] = (),
    origin: str = "citizenship",
) -> FlowResult:
    """Ranked flows (largest first; suppressed flows after every known one of 5 or more)."""
    if origin not in ORIGINS:
        raise UserError(f"--origin {origin!r}: one of {', '.join(ORIGINS)}")
    places = [c.strip() for c in countries if c.strip()] or list(CBSS_MEMBER_STATES)
    query = build_query(
        indicator=indicator,
        country=places,
        year=year,
        year_from=year_from,
        year_to=year_to,
        citizenship=list(citizenship) or None,
        by="citizenship",
    )
    rows = query_observations(db, query)
    notes: list[str] = []
    if year is None and year_from is None and year_to is None:
        latest: dict[str, int] = {}
        for r in rows:
            latest[r["country"]] = max(latest.get(r["country"], 0), int(r["year"]))
        rows = [r for r in rows if int(r["year"]) == latest[r["country"]]]
        if latest:
            notes.append(
                "No year given: each detecting country's latest year with a citizenship "
                "breakdown ("
                + ", ".join(f"{c} {y}" for c, y in sorted(latest.items()))
                + "); flows of different years are not one year's picture."
            )
    found: dict[tuple[str, str, str], Flow] = {}
    for r in rows:
        cit = str(r["citizenship"])
        start = f"country:{r['country']}" if cit == NATIONALS else cit
        key = (start, str(r["country"]), str(r["source"]))
        found.setdefault(key, Flow(*key)).add(r)
    names: dict[str, str] = {}
    if origin != "citizenship":
        found, names = _by_region(db, found, origin)
        notes.append(
            f"Origins grouped by UN M49 {origin} (the country taxonomy's attribute); a "
            "citizenship group with no region (unknown, other) and a country's own nationals "
            "(domestic) stay as published, and a region's flow is the sum of its "
            "citizenships' cells (suppressed ones as ranges)."
        )
    ranked = sorted(
        found.values(),
        key=lambda f: (-f.lower, -(f.upper if f.upper is not None else f.lower), f.origin),
    )
    ids = {f.origin for f in ranked} | {f"country:{f.destination}" for f in ranked}
    names = {**labels(db, sorted(i for i in ids if i not in names)), **names}
    if any(r["citizenship"] == NATIONALS for r in rows):
        notes.append(
            "'Nationals' (citizens of the detecting country) are shown as a flow from that "
            "country to itself (domestic)."
        )
    if any(not f.known for f in ranked):
        notes.append(
            "A suppressed cell (<5) is a flow of fewer than 5, shown with its bounds: never "
            "as 0; it is ranked by its lower bound."
        )
    records = []
    for i, f in enumerate(ranked, start=1):
        records.append(
            {
                "rank": i,
                "origin": f.origin,
                "origin_label": names.get(f.origin, f.origin.split(":", 1)[-1]),
                "destination": f.destination,
                "destination_label": names.get(f"country:{f.destination}", f.destination),
                "years": sorted(set(f.years)),
                "count": f.lower if f.known else None,
                "status": f.status,
                "lower": f.lower,
                "upper": f.upper,
                "shown": f.shown(),
                "domestic": f.origin == f"country:{f.destination}",
                "source": f.source,
                "cells": f.cells,
            }
        )
    nodes, links = sankey(records)
    result = FlowResult(records, nodes, links, notes)
    compared = sorted({f.destination for f in ranked})
    if len(compared) > 1:
        from thbhub.analytics.comparability import comparability

        result.comparability = comparability(
            db,
            compared,
            indicator=indicator,
            year_from=query.year_from,
            year_to=query.year_to,
            dimensions=["citizenship"],
        )
    return result


def _by_region(
    db: Database, found: dict[tuple[str, str, str], Flow], attribute: str
) -> tuple[dict[tuple[str, str, str], Flow], dict[str, str]]:
    """The flows with each country of citizenship replaced by its region (or subregion)."""
    with db.connect() as conn:
        where = {
            c["id"]: str((c["attributes"] or {}).get(attribute) or "")
            for c in q.scheme_concepts(conn, "country")
        }
    out: dict[tuple[str, str, str], Flow] = {}
    names: dict[str, str] = {}
    for (origin, dest, source), f in found.items():
        region = "" if origin == f"country:{dest}" else where.get(origin, "")
        key = origin
        if region:
            key = f"{attribute}:{region}"
            names[key] = region
        merged = (key, dest, source)
        if merged in out:
            out[merged].merge(f)
        else:
            out[merged] = Flow(
                key,
                dest,
                source,
                list(f.years),
                f.lower,
                f.upper,
                f.known,
                f.missing,
                list(f.cells),
            )
    return out, names


def sankey(records: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Nodes (origins, then destinations: one node per side even for the same country) and
    links by node index, as Sankey libraries (d3-sankey, plotly) take them; a suppressed
    link has value None and its bounds."""
    nodes: list[dict[str, Any]] = []
    index: dict[tuple[str, str], int] = {}

    def node(side: str, ident: str, label: str) -> int:
        if (side, ident) not in index:
            index[(side, ident)] = len(nodes)
            nodes.append({"id": ident, "label": label, "side": side})
        return index[(side, ident)]

    links = []
    for r in records:
        links.append(
            {
                "source": node("origin", r["origin"], r["origin_label"]),
                "target": node(
                    "destination", f"country:{r['destination']}", r["destination_label"]
                ),
                "value": r["count"],
                "lower": r["lower"],
                "upper": r["upper"],
                "status": r["status"],
            }
        )
    return nodes, links
