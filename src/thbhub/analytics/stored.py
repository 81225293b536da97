"""Series from stored observations: the query service's answer cut into one series per
source, indicator, country and breakdown value.

The rows come from :func:`thbhub.stats.query.query_observations` (its resolver, its
semantics: a dimension not in `by` is its total as published).  A series never mixes
sources: two publishers' counts of one thing are two series, not one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from thbhub.analytics.series import Point, Series
from thbhub.stats.query import EXTRA_BREAKDOWNS, ObservationQuery, labels, query_observations
from thbhub.storage import Database

_STATUS = {"number": "value", "zero": "zero", "suppressed": "suppressed"}


def _point(row: dict[str, Any]) -> Point:
    status = _STATUS.get(row["status"], "missing")
    breaks = "break" in (row.get("flags") or [])
    if status == "value":
        return Point(row["year"], status, float(row["value"]), breaks=breaks)
    if status == "suppressed":
        upper = row.get("upper")
        return Point(
            row["year"],
            status,
            None,
            float(row.get("lower") or 0.0),
            None if upper is None else float(upper),
            breaks,
        )
    if status == "zero":
        return Point(row["year"], status, 0.0, breaks=breaks)
    return Point(row["year"], "missing", breaks=breaks)


def _short(concept: str | None) -> str:
    text = str(concept or "")
    return text.split(":", 1)[1] if ":" in text else text


def _place(country: str) -> str:
    """The concept id of a stored country value (`LT` is stored for `country:LT`)."""
    return country if ":" in country else f"country:{country}"


def series_key(row: dict[str, Any], by: Sequence[str]) -> str:
    """`victims/LT/sex=female/unodc-glotip`: indicator, country, breakdown values, source."""
    parts = [_short(row["indicator"]), _short(row["country"])]
    parts += [f"{d}={_short(row.get(d))}" for d in by if d != "year"]
    parts.append(str(row["source"]))
    return "/".join(parts)


def stored_series(db: Database, query: ObservationQuery) -> list[Series]:
    """One series per source, indicator, country and breakdown value of the query's answer."""
    by = [d for d in query.by if d != "year"]
    rows = query_observations(db, query)
    ids = {str(r[k]) for r in rows for k in ("indicator", *by) if r.get(k)}
    ids |= {_place(r["country"]) for r in rows}
    names = labels(db, sorted(ids))
    out: dict[str, Series] = {}
    for r in rows:
        key = series_key(r, by)
        if key not in out:
            out[key] = Series(key, [], _labels(r, by, names))
            out[key].labels["link"] = data_link(r, by, query)
        out[key].points.append(_point(r))
    return list(out.values())


def data_link(row: dict[str, Any], by: Sequence[str], query: ObservationQuery) -> str:
    """The API address of the series' observations (its data, with status and provenance)."""
    params: list[tuple[str, str]] = [
        ("indicator", _short(row["indicator"])),
        ("country", str(row["country"])),
        ("source", str(row["source"])),
    ]
    for dim, values in query.dims.items():
        if dim not in by:
            params += [(dim, v) for v in values]
    params += [(d, str(row.get(d))) for d in by]
    if query.year_from is not None:
        params.append(("from", str(query.year_from)))
    if query.year_to is not None:
        params.append(("to", str(query.year_to)))
    return "/api/v1/observations?" + urlencode(params)


def _labels(row: dict[str, Any], by: Sequence[str], names: dict[str, str]) -> dict[str, str]:
    def name(v: Any) -> str:
        return names.get(str(v), _short(v))

    what = name(row["indicator"])
    details = [name(row.get(d)) for d in by if d not in EXTRA_BREAKDOWNS]
    details += [f"{d} {name(row.get(d))}" for d in by if d in EXTRA_BREAKDOWNS]
    country = names.get(_place(row["country"]), str(row["country"]))
    subject = what + (f" ({', '.join(details)})" if details else "") + f" in {country}"
    return {
        "subject": subject,
        "indicator": str(row["indicator"]),
        "country": str(row["country"]),
        "source": str(row["source"]),
        **{d: str(row.get(d)) for d in by},
    }
