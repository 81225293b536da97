"""What is not comparable when countries are compared: notes from the sources' metadata
(comparability.yaml, shipped with the package) and from the stored cells themselves (their
flags, their sources, the years and breakdowns each country publishes).

Each note carries its kind (definition, counting_unit, identified_vs_presumed, break,
reporting_channel, suppression, coverage), the countries it concerns, the text, where it
comes from (``attribution``) and on what basis.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

import yaml

from thbhub.domain.errors import UserError
from thbhub.domain.observations import normalise_indicator
from thbhub.stats.query import build_query, query_observations
from thbhub.storage import Database

#: Cell flags that make a comparison across them or between countries doubtful.
FLAG_NOTES = {
    "break": ("break", "break in series: not comparable with the years before"),
    "definition_differs": ("definition", "the definition differs (flag of the publisher)"),
    "estimated": ("estimate", "an estimate"),
    "provisional": ("estimate", "provisional"),
    "low_reliability": ("estimate", "of low reliability"),
}
NOTE_FIELDS = ("kind", "countries", "text", "attribution", "basis")
#: Most cells a flag note lists before it counts the rest.
LISTED = 8


@cache
def source_notes() -> tuple[dict[str, Any], ...]:
    """The notes shipped in comparability.yaml."""
    text = (resources.files("thbhub.analytics") / "comparability.yaml").read_text("utf-8")
    return tuple(yaml.safe_load(text)["notes"])


def _applies(note: dict[str, Any], sources: set[str], indicator: str, dims: set[str]) -> bool:
    wanted = note.get("sources") or []
    if wanted and not sources & set(wanted):
        return False
    kinds = [f"indicator:{i}" for i in note.get("indicators") or []]
    if kinds and indicator not in kinds:
        return False
    on = set(note.get("dimensions") or [])
    return not on or bool(on & dims)


def comparability(
    db: Database,
    countries: Sequence[str],
    *,
    indicator: str = "victims",
    year_from: int | None = None,
    year_to: int | None = None,
    dimensions: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """The notes for comparing ``countries`` on ``indicator`` (optionally by the given
    breakdowns) over the years: the sources' notes, then what the stored cells show."""
    places = list(dict.fromkeys(c.strip() for c in countries if c.strip()))
    if len(places) < 2:
        raise UserError("--countries: give at least two countries to compare, e.g. LV,LT")
    for d in dimensions:
        if d not in ("sex", "age", "form", "citizenship"):
            raise UserError(f"--by {d!r}: one of sex, age, form, citizenship")
    ind = normalise_indicator(indicator)
    totals = query_observations(
        db, build_query(indicator=ind, country=places, year_from=year_from, year_to=year_to)
    )
    cells = list(totals)
    for dim in dimensions:
        cells += query_observations(
            db,
            build_query(
                indicator=ind, country=places, year_from=year_from, year_to=year_to, by=dim
            ),
        )
    sources = {str(r["source"]) for r in cells}
    notes = [
        {
            "kind": n["kind"],
            "countries": places,
            "text": " ".join(str(n["text"]).split()),
            "attribution": n["attribution"],
            "basis": n["basis"],
        }
        for n in source_notes()
        if _applies(n, sources, ind, set(dimensions))
    ]
    notes += _coverage(places, totals, cells, dimensions)
    notes += _flags(cells)
    return notes


def _coverage(
    places: list[str],
    totals: list[dict[str, Any]],
    cells: list[dict[str, Any]],
    dimensions: Sequence[str],
) -> list[dict[str, Any]]:
    """Sources, years and breakdowns that differ between the countries."""
    out = []
    by_source: dict[str, set[str]] = {}
    years: dict[str, set[int]] = {c: set() for c in places}
    for r in totals:
        by_source.setdefault(str(r["country"]), set()).add(str(r["source"]))
        years.setdefault(str(r["country"]), set()).add(int(r["year"]))
    if len({frozenset(s) for s in by_source.values()}) > 1:
        said = "; ".join(f"{c}: {', '.join(sorted(s))}" for c, s in sorted(by_source.items()))
        out.append(
            _note(
                "reporting_channel",
                sorted(by_source),
                f"The countries' figures come from different sources ({said}).",
                "stored observations",
            )
        )
    none = [c for c in places if not years.get(c)]
    if none:
        out.append(
            _note(
                "coverage",
                none,
                f"No stored total for {', '.join(none)} in these years.",
                "stored observations",
            )
        )
    known = {c: y for c, y in years.items() if y}
    if len(known) > 1 and len({frozenset(y) for y in known.values()}) > 1:
        spans = "; ".join(f"{c}: {_years(y)}" for c, y in sorted(known.items()))
        out.append(
            _note(
                "coverage",
                sorted(known),
                f"The countries publish totals for different "
                f"years ({spans}): compare the years they share.",
                "stored observations",
            )
        )
    for dim in dimensions:
        have: dict[str, set[int]] = {}
        for r in cells:
            if r.get(dim) is not None:
                have.setdefault(str(r["country"]), set()).add(int(r["year"]))
        lacking = [c for c in places if c not in have]
        if lacking:
            out.append(
                _note(
                    "coverage",
                    lacking,
                    f"No breakdown by {dim} stored for {', '.join(lacking)} in these years.",
                    "stored observations",
                )
            )
    return out


def _years(years: set[int]) -> str:
    ordered = sorted(years)
    gaps = len(ordered) != ordered[-1] - ordered[0] + 1
    return f"{ordered[0]}-{ordered[-1]}" + (" with gaps" if gaps else "")


def _flags(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One note per flag the compared cells carry, naming the cells (file and row)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for r in cells:
        for f in r.get("flags") or []:
            if f in FLAG_NOTES:
                found.setdefault(f, []).append(r)
    out = []
    for flag, rows in sorted(found.items()):
        kind, what = FLAG_NOTES[flag]
        rows.sort(key=lambda r: (str(r["country"]), int(r["year"])))
        listed = ", ".join(
            f"{r['country']} {r['year']} ({r['file']} row {r['row']})" for r in rows[:LISTED]
        )
        more = f" and {len(rows) - LISTED} more" if len(rows) > LISTED else ""
        out.append(
            _note(
                kind,
                sorted({str(r["country"]) for r in rows}),
                f"Cells flagged {flag} ({what}): {listed}{more}.",
                "the publisher's flag on the stored cells",
                basis="source flag",
            )
        )
    return out


def _note(
    kind: str, countries: list[str], text: str, attribution: str, basis: str = "stored data"
) -> dict[str, Any]:
    return {
        "kind": kind,
        "countries": countries,
        "text": text,
        "attribution": attribution,
        "basis": basis,
    }
