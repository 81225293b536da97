"""Vega-Lite charts of the flows and shares (plain JSON specs, as analytics/trendchart.py does
for trends): a Sankey-style chart of the ranked flows and a dot-and-interval chart per share
table, a share with suppressed cells drawn as its range."""

from __future__ import annotations

from typing import Any

from thbhub.analytics.flows import FlowResult

#: Links the chart draws (the table lists every flow).
CHART_LINKS = 30
SUPPRESSED = "with suppressed cells (at least its lower bound)"
#: Points along each link's curve (a smooth step from origin to destination).
CURVE = 9


def _node_positions(links: list[dict[str, Any]], key: str) -> dict[str, float]:
    """Nodes of one side, top to bottom by the flow they carry (known counts first)."""
    weight: dict[str, float] = {}
    for r in links:
        weight[r[key]] = weight.get(r[key], 0.0) + float(r["lower"])
    ordered = sorted(weight, key=lambda k: (-weight[k], k))
    step = 1.0 / max(len(ordered), 1)
    return {k: (i + 0.5) * step for i, k in enumerate(ordered)}


def flow_chart(result: FlowResult, limit: int = CHART_LINKS) -> dict[str, Any] | None:
    """A Sankey-style Vega-Lite chart: citizenships on the left, detecting countries on the
    right, a curve per flow as wide as its count.  A flow with suppressed cells is a dashed
    curve as wide as its lower bound (at least 1: never a zero-width one); its tooltip gives
    its range ("fewer than 5")."""
    shown = result.flows[:limit]
    if not shown:
        return None
    for r in shown:
        r["_dest"] = f"{r['destination_label']} (detected)"
        # One node per citizenship: a country's nationals and its citizens detected abroad
        # are the same origin.
        r["_origin"] = r["origin_label"]
    left = _node_positions(shown, "_origin")
    right = _node_positions(shown, "_dest")
    values = []
    for r in shown:
        y0, y1 = left[r["_origin"]], right[r["_dest"]]
        known = r["status"] == "number"
        for i in range(CURVE):
            t = i / (CURVE - 1)
            ease = t * t * (3 - 2 * t)
            values.append(
                {
                    "link": r["rank"],
                    "x": t,
                    "y": y0 + (y1 - y0) * ease,
                    # A flow with suppressed cells is at least its lower bound: drawn that
                    # wide (thin when the bound is 0), dashed.
                    "width": float(r["count"]) if known else max(float(r["lower"]), 1.0),
                    "kind": "published count" if known else SUPPRESSED,
                    "from": r["_origin"],
                    "to": r["_dest"],
                    "victims": r["shown"],
                    "years": ", ".join(str(y) for y in r["years"]),
                }
            )
    nodes = [{"x": 0.0, "y": y, "name": n, "side": "left"} for n, y in left.items()]
    nodes += [{"x": 1.0, "y": y, "name": n, "side": "right"} for n, y in right.items()]
    hidden = {"axis": None}
    height = max(260, 18 * max(len(left), len(right)))
    total = len(result.flows)
    legend = (
        f"The {len(shown)} largest of {total} flows; the table below lists them all. "
        "Dashed: the flow has cells the publisher suppressed (<5); it is drawn as wide as "
        "its lower bound (thin when that is 0), never as 0."
    )
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "title": "Victims by citizenship and the country that detected them",
        "width": "container",
        "height": height,
        "usermeta": {"legend": legend},
        "layer": [
            {
                "data": {"values": values},
                "mark": {"type": "line", "interpolate": "monotone", "opacity": 0.55},
                "encoding": {
                    "x": {"field": "x", "type": "quantitative", **hidden},
                    "y": {
                        "field": "y",
                        "type": "quantitative",
                        "scale": {"domain": [1, 0]},
                        **hidden,
                    },
                    "detail": {"field": "link", "type": "nominal"},
                    "color": {"field": "to", "type": "nominal", "legend": None},
                    "strokeWidth": {
                        "field": "width",
                        "type": "quantitative",
                        "scale": {"range": [1, 22]},
                        "legend": None,
                    },
                    "strokeDash": {
                        "field": "kind",
                        "type": "nominal",
                        "scale": {
                            "domain": ["published count", SUPPRESSED],
                            "range": [[1, 0], [4, 3]],
                        },
                        "legend": {"orient": "bottom", "title": None, "labelLimit": 400},
                    },
                    "tooltip": [
                        {"field": "from", "title": "citizenship"},
                        {"field": "to", "title": "detected in"},
                        {"field": "victims", "title": "victims"},
                        {"field": "years", "title": "years"},
                    ],
                },
            },
            {
                "data": {"values": nodes},
                "transform": [{"filter": "datum.side == 'left'"}],
                "mark": {"type": "text", "align": "right", "dx": -4, "fontSize": 11},
                "encoding": {
                    "x": {"field": "x", "type": "quantitative", **hidden},
                    "y": {"field": "y", "type": "quantitative", **hidden},
                    "text": {"field": "name"},
                },
            },
            {
                "data": {"values": nodes},
                "transform": [{"filter": "datum.side == 'right'"}],
                "mark": {"type": "text", "align": "left", "dx": 4, "fontSize": 11},
                "encoding": {
                    "x": {"field": "x", "type": "quantitative", **hidden},
                    "y": {"field": "y", "type": "quantitative", **hidden},
                    "text": {"field": "name"},
                },
            },
        ],
        "padding": {"left": 170, "right": 190, "top": 10, "bottom": 10},
        "config": {"view": {"stroke": None}},
    }


#: Categories a share chart draws (the table lists them all).
CHART_CATEGORIES = 15


def share_chart(table: dict[str, Any]) -> dict[str, Any] | None:
    """Each share with its 95% interval: a dot for a known share, a bar over the range of a
    share with suppressed cells (never a dot at 0 or at a midpoint), a line for the interval."""
    rows = [r for r in table["shares"] if r["ci_low"] is not None][:CHART_CATEGORIES]
    if not rows:
        return None
    values = [
        {
            "category": r["label"],
            "order": i,
            "low": r["share_low"],
            "high": r["share_high"],
            "ci_low": r["ci_low"],
            "ci_high": r["ci_high"],
            "kind": "share" if r["share"] is not None else "range (suppressed cells)",
            "shown": f"{r['share']}%"
            if r["share"] is not None
            else f"{r['share_low']}–{r['share_high']}%",
            "interval": f"{r['ci_low']}–{r['ci_high']}%",
        }
        for i, r in enumerate(rows)
    ]
    y = {"field": "category", "type": "nominal", "title": None, "sort": {"field": "order"}}
    x: dict[str, Any] = {"field": "low", "type": "quantitative", "title": "% (95% interval)"}
    x["scale"] = {"domain": [0, 100]}
    tooltip = [
        {"field": "category"},
        {"field": "shown", "title": "share"},
        {"field": "interval", "title": "95% interval"},
    ]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "title": f"Shares by {table['by']}, {table['country']} {table['year']}",
        "width": "container",
        "height": 22 * len(rows) + 20,
        "usermeta": {
            "legend": "Dot: a share; bar: the range a share with suppressed cells may take; "
            "line: the 95% interval."
        },
        "data": {"values": values},
        "layer": [
            {
                "mark": {"type": "rule", "color": "#555"},
                "encoding": {
                    "y": y,
                    "x": {**x, "field": "ci_low"},
                    "x2": {"field": "ci_high"},
                    "tooltip": tooltip,
                },
            },
            {
                "transform": [{"filter": "datum.kind != 'share'"}],
                "mark": {"type": "bar", "height": 10, "opacity": 0.5, "color": "#7a5195"},
                "encoding": {"y": y, "x": x, "x2": {"field": "high"}, "tooltip": tooltip},
            },
            {
                "transform": [{"filter": "datum.kind == 'share'"}],
                "mark": {"type": "point", "filled": True, "size": 60, "color": "#0b4f8a"},
                "encoding": {"y": y, "x": x, "tooltip": tooltip},
            },
        ],
    }
