"""Vega-Lite charts of observations, built with Altair, that never hide what a cell means.

Published numbers are points on a line; a suppressed cell is drawn as its range (a pale bar
from lower to upper bound with a hollow marker) and breaks the line; a missing cell is a gap
in the line, never a zero; a break in series is a dashed vertical rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt

from thbhub.domain.observations import DIMENSIONS

KNOWN = ("number", "zero")


def chart_rows(
    rows: Sequence[dict[str, Any]],
    series_dim: str | None,
    labels: dict[str, str],
    *,
    measure: str = "value",
) -> list[dict[str, Any]]:
    """One record per cell with a series name and a line segment id that breaks at gaps."""
    lower_key, upper_key = (
        ("rate_lower", "rate_upper") if measure != "value" else ("lower", "upper")
    )
    out: list[dict[str, Any]] = []
    by_series: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        if series_dim:
            key = r.get(series_dim) or ""
            name = labels.get(key, key)
        else:
            name = labels.get(r["indicator"], r["indicator"])
        if r.get("country") and not series_dim:
            country = labels.get(f"country:{r['country']}", r["country"])
            name = f"{name} ({country})"
        by_series.setdefault(name, []).append(r)
    # Suppressed ranges of several series in one year sit side by side, not on top of each
    # other: each series' ranges are shifted by a small fraction of a year.
    count = len(by_series)
    for index, (name, series) in enumerate(by_series.items()):
        shift = (index - (count - 1) / 2) * min(0.12, 0.6 / max(count, 1))
        segment = 0
        previous: int | None = None
        for r in sorted(series, key=lambda x: x["year"]):
            known = r["status"] in KNOWN
            if not known or (previous is not None and r["year"] != previous + 1):
                segment += 1  # the line stops at an unknown cell or a year with no cell
            previous = r["year"] if known else None
            flags = ", ".join(r.get("flags") or [])
            value = r.get(measure)
            low, high = r.get(lower_key), r.get(upper_key)
            if r["status"] == "suppressed":
                shown = f"suppressed ({_n(low)}–{_n(high)})"
            elif known:
                shown = _n(value)
            else:
                shown = r["status"].replace("_", " ")
            out.append(
                {
                    "year": r["year"],
                    "x": r["year"] + shift,
                    "series": name,
                    "segment": f"{name}#{segment}",
                    "value": value if known else None,
                    "lower": low if r["status"] == "suppressed" else None,
                    "upper": high if r["status"] == "suppressed" else None,
                    "status": r["status"],
                    "flags": flags,
                    "break": "break" in (r.get("flags") or []),
                    "shown": shown + (f" [{flags}]" if flags else ""),
                }
            )
    return out


def top_series(
    rows: Sequence[dict[str, Any]], dim: str, limit: int = 10
) -> tuple[list[dict[str, Any]], int]:
    """Rows of the ``limit`` largest series of ``dim`` (by the sum of their upper bounds) and
    how many series there were: a chart of sixty citizenships says nothing."""
    size: dict[Any, float] = {}
    for r in rows:
        size[r.get(dim)] = size.get(r.get(dim), 0.0) + float(r.get("upper") or 0.0)
    keep = set(sorted(size, key=lambda k: -size[k])[:limit])
    return [r for r in rows if r.get(dim) in keep], len(size)


def _n(v: float | None) -> str:
    if v is None:
        return "?"
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}"


def series_chart(
    rows: Sequence[dict[str, Any]],
    *,
    series_dim: str | None,
    labels: dict[str, str],
    title: str,
    y_title: str = "count",
    measure: str = "value",
    width: int | str = "container",
    height: int = 260,
) -> dict[str, Any]:
    """A Vega-Lite spec (dict) of one or more yearly series."""
    data = chart_rows(
        rows, series_dim if series_dim in DIMENSIONS else None, labels, measure=measure
    )
    scale = alt.Scale(zero=False, nice=False, padding=12)
    # Explicit integer ticks: with ranges shifted off the year, Vega would add half-years.
    known_years = [d["year"] for d in data]
    years = list(range(min(known_years), max(known_years) + 1)) if known_years else []
    axis = alt.Axis(format="d", values=years, labelOverlap=True)
    base = alt.Chart(alt.Data(values=data)).encode(
        x=alt.X("year:Q", title="year", scale=scale, axis=axis),
        color=alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom", columns=2)),
    )
    tooltip = [
        alt.Tooltip("series:N", title="series"),
        alt.Tooltip("year:Q", format="d"),
        alt.Tooltip("shown:N", title="value"),
    ]
    known = alt.datum.status == "number" or alt.datum.status == "zero"
    line = (
        base.transform_filter(known)
        .mark_line()
        .encode(y=alt.Y("value:Q", title=y_title), detail="segment:N")
    )
    points = (
        base.transform_filter(known)
        .mark_point(filled=True, size=45)
        .encode(y="value:Q", tooltip=tooltip)
    )
    suppressed = alt.datum.status == "suppressed"
    shifted = alt.X("x:Q", title="year", scale=scale, axis=axis)
    ranges = (
        base.transform_filter(suppressed)
        .mark_bar(opacity=0.35, width=6)
        .encode(x=shifted, y="lower:Q", y2="upper:Q", tooltip=tooltip)
    )
    hollow = (
        base.transform_filter(suppressed)
        .mark_point(filled=False, shape="diamond", size=60, strokeDash=[2, 2])
        .encode(x=shifted, y="upper:Q", tooltip=tooltip)
    )
    breaks = (
        alt.Chart(alt.Data(values=[d for d in data if d["break"]] or [{"year": None}]))
        .transform_filter(alt.datum.year != None)  # noqa: E711 - Vega expression, not Python
        .mark_rule(strokeDash=[4, 4], color="#555")
        .encode(x="year:Q", tooltip=[alt.Tooltip("year:Q", format="d", title="break in series")])
    )
    chart = alt.layer(ranges, line, points, hollow, breaks).properties(
        title=title, width=width, height=height
    )
    # Altair's schema check costs about a third of a chart's time, on every page and report;
    # the spec's shape is fixed, so tests/stats/test_charts.py checks it against the schema.
    spec: dict[str, Any] = chart.to_dict(validate=False)
    spec["usermeta"] = {
        "legend": "filled dots: published numbers; pale bars with hollow diamonds: suppressed "
        "cells drawn as their range; gaps: missing; dashed rules: breaks in series"
    }
    return spec
