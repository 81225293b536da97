"""Vega-Lite specs of the insights (plain dicts; the page embeds them as JSON under the
strict CSP, web/static/js/charts.js draws them).  Suppressed cells are drawn as such: a
hatched grey cell marked "suppressed" in the matrix, listed (not drawn as a number)
elsewhere."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"


def _label(labels: Mapping[str, str], value: Any) -> str:
    return labels.get(str(value), str(value))


def profile_chart(
    data: dict[str, Any], labels: Mapping[str, str], top: int = 20
) -> dict[str, Any] | None:
    rows = [r for r in data["comparisons"] if r.get("ratio") is not None][:top]
    if not rows:
        return None
    values = [
        {
            "item": f"{r['dimension']}: {_label(labels, r['value'])}",
            "ratio": r["ratio"],
            "low": r["ci_low"],
            "high": r["ci_high"],
            "significant": "q < 0.05" if (r["q"] or 1) < 0.05 else "not significant",
        }
        for r in rows
    ]
    y = {"field": "item", "type": "nominal", "sort": None, "title": None}
    x = {"type": "quantitative", "scale": {"type": "log"}}
    return {
        "$schema": SCHEMA,
        "title": f"Group {data['group']} against the other records: ratio of shares",
        "usermeta": {
            "legend": "Ratio of the share in the group to the share among the other records "
            "(log scale), with its 95% interval; 1 = as common as elsewhere. Most informative "
            "first; suppressed comparisons are in the table only."
        },
        "width": "container",
        "height": {"step": 18},
        "data": {"values": values},
        "layer": [
            {
                "mark": "rule",
                "encoding": {
                    "y": y,
                    "x": {**x, "field": "low", "title": "ratio of shares"},
                    "x2": {"field": "high"},
                },
            },
            {
                "mark": {"type": "point", "filled": True},
                "encoding": {
                    "y": y,
                    "x": {**x, "field": "ratio"},
                    "color": {"field": "significant", "type": "nominal", "title": None},
                    "tooltip": [
                        {"field": "item"},
                        {"field": "ratio"},
                        {"field": "low", "title": "95% low"},
                        {"field": "high", "title": "95% high"},
                    ],
                },
            },
            {"mark": {"type": "rule", "strokeDash": [4, 4]}, "encoding": {"x": {"datum": 1}}},
        ],
    }


def matrix_chart(data: dict[str, Any], labels: Mapping[str, str]) -> dict[str, Any] | None:
    cells = [
        {
            "means": _label(labels, c["means"]),
            "with": _label(labels, c["with"]),
            "count": c["count"],
            "shown": "suppressed" if c["count"] is None else str(c["count"]),
            "status": c["status"],
        }
        for c in data["cells"]
    ]
    if not cells:
        return None
    enc = {
        "x": {"field": "with", "type": "nominal", "title": None},
        "y": {"field": "means", "type": "nominal", "title": None},
        "tooltip": [{"field": "means"}, {"field": "with"}, {"field": "shown", "title": "records"}],
    }
    return {
        "$schema": SCHEMA,
        "title": "Means of control listed together (records)",
        "usermeta": {
            "legend": "Records listing both means of control (the diagonal: records listing "
            "it). Grey cells marked S are suppressed by the disclosure policy."
        },
        "width": "container",
        "height": {"step": 22},
        "data": {"values": cells},
        "layer": [
            {
                "transform": [{"filter": "datum.status != 'suppressed'"}],
                "mark": "rect",
                "encoding": {
                    **enc,
                    "color": {"field": "count", "type": "quantitative", "title": "records"},
                },
            },
            {
                "transform": [{"filter": "datum.status == 'suppressed'"}],
                "mark": {"type": "rect", "color": "#bbbbbb"},
                "encoding": enc,
            },
            {
                "transform": [{"filter": "datum.status == 'suppressed'"}],
                "mark": {"type": "text", "color": "#222222"},
                "encoding": {**enc, "text": {"value": "S"}},
            },
        ],
    }


def breakdown_chart(data: dict[str, Any], labels: Mapping[str, str]) -> dict[str, Any] | None:
    by, field = data["by"], data["field"]
    values = [
        {"group": _label(labels, r[by]), "value": _label(labels, r[field]), "share": r["share"]}
        for r in data["rows"]
        if r["share"] is not None
    ]
    if not values:
        return None
    return {
        "$schema": SCHEMA,
        "title": f"{field} by {by}: share of the records where it is recorded",
        "usermeta": {
            "legend": f"Share of the records with a {field} recorded that list each value "
            "(a record may list several). Suppressed counts are left out (see the table)."
        },
        "width": "container",
        "height": {"step": 16},
        "data": {"values": values},
        "mark": "bar",
        "encoding": {
            "y": {"field": "group", "type": "nominal", "title": None},
            "yOffset": {"field": "value"},
            "x": {"field": "share", "type": "quantitative", "axis": {"format": "%"}},
            "color": {"field": "value", "type": "nominal", "title": field},
            "tooltip": [
                {"field": "group"},
                {"field": "value"},
                {"field": "share", "format": ".1%"},
            ],
        },
    }


def journeys_chart(
    data: dict[str, Any], labels: Mapping[str, str], top: int = 20
) -> dict[str, Any] | None:
    values = [
        {
            "flow": f"{_label(labels, f['citizenship'])} → {_label(labels, f['country'])}",
            "count": f["count"],
            "kind": "within one country" if f["domestic"] else "across a border",
        }
        for f in data["flows"][:top]
    ]
    if not values:
        return None
    return {
        "$schema": SCHEMA,
        "title": "Citizenship → country of exploitation (largest flows)",
        "usermeta": {
            "legend": f"Records by citizenship and country of exploitation, the {len(values)} "
            f"largest published flows; {data['flows_suppressed']} smaller flows are suppressed."
        },
        "width": "container",
        "height": {"step": 18},
        "data": {"values": values},
        "mark": "bar",
        "encoding": {
            "y": {"field": "flow", "type": "nominal", "sort": "-x", "title": None},
            "x": {"field": "count", "type": "quantitative", "title": "records"},
            "color": {"field": "kind", "type": "nominal", "title": None},
            "tooltip": [{"field": "flow"}, {"field": "count"}],
        },
    }
