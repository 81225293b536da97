"""The Vega-Lite chart of one series' trend (the Trends and Alerts pages).

The published cells (a suppressed cell as the range it hides), the fitted line with its 95%
confidence band, change points and a break in series as rules; a series without a trend
says so inside the chart.  The spec is written as Vega-Lite JSON directly: built with
Altair, it took about 0.5 s a chart (its schema validation and channel wrapping), and a
Trends page draws up to a dozen; the tests validate these specs with Altair's schema.
"""

from __future__ import annotations

from typing import Any

from thbhub.analytics.series import Point, Series
from thbhub.analytics.trends import Trend

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
# Colours of the marks (the fit's band is the line's colour, pale).
FIT_COLOUR = "#2b6cb0"
CELL_COLOUR = "#1a202c"
SUPPRESSED_COLOUR = "#6b4fa0"
CHANGE_COLOUR = "#c05621"
BREAK_COLOUR = "#4a5568"
TEXT_COLOUR = "#7b341e"
IN_TREND = "in the trend"


def _shown(p: Point) -> str:
    return p.shown() + (" (break in series)" if p.breaks else "")


def _faded(inside: float, outside: float) -> dict[str, Any]:
    """Opacity: full for the cells in the trend, pale for those it leaves out."""
    return {
        "condition": {"test": f"datum.part === '{IN_TREND}'", "value": inside},
        "value": outside,
    }


def trend_chart(
    series: Series, trend: Trend, curve: list[dict[str, float]] | None, *, height: int = 240
) -> dict[str, Any]:
    """A Vega-Lite spec of ``series`` with ``trend`` and its fitted ``curve`` (year, fitted,
    low, high).  ``usermeta.legend`` (the figure's caption) names only the marks drawn."""
    known = [p for p in series.sorted_points() if p.known]
    in_fit = {p.year for p in trend.points}
    cells = [
        {
            "year": p.year,
            "value": p.count if p.status in ("value", "zero") else None,
            "lower": p.lower if p.status == "suppressed" else None,
            "upper": p.upper if p.status == "suppressed" else None,
            "status": p.status,
            "shown": _shown(p),
            "part": IN_TREND if p.year in in_fit else "left out of the trend",
        }
        for p in known
    ]
    years = list(range(known[0].year, known[-1].year + 1)) if known else []
    scale = {"padding": 12, "nice": False, "zero": False}
    axis = {"format": "d", "values": years, "labelOverlap": True}
    x = {"field": "year", "type": "quantitative", "title": "year", "scale": scale, "axis": axis}
    y_title = "count"
    cell_tip = [
        {"field": "year", "type": "quantitative", "format": "d"},
        {"field": "shown", "type": "nominal", "title": "published"},
    ]
    layers: list[dict[str, Any]] = []
    legend: list[str] = []
    if curve:
        shown = [
            {**b, "range": f"{b['low']:,.1f} to {b['high']:,.1f}", "mean": f"{b['fitted']:,.1f}"}
            for b in curve
        ]
        fit_tip = [
            {"field": "year", "type": "quantitative", "format": ".2f", "title": "year"},
            {"field": "mean", "type": "nominal", "title": "fitted mean"},
            {"field": "range", "type": "nominal", "title": "95% interval"},
        ]
        layers.append(
            {
                "data": {"values": shown},
                "mark": {"type": "area", "opacity": 0.2, "color": FIT_COLOUR},
                "encoding": {
                    "x": x,
                    "y": {"field": "low", "type": "quantitative", "title": y_title},
                    "y2": {"field": "high"},
                    "tooltip": fit_tip,
                },
            }
        )
        layers.append(
            {
                "data": {"values": shown},
                "mark": {"type": "line", "color": FIT_COLOUR, "strokeWidth": 2},
                "encoding": {
                    "x": x,
                    "y": {"field": "fitted", "type": "quantitative", "title": y_title},
                    "tooltip": fit_tip,
                },
            }
        )
        legend.append("blue line and band: the fitted trend and its 95% confidence band")
    published = [c for c in cells if c["status"] in ("value", "zero")]
    suppressed = [c for c in cells if c["status"] == "suppressed"]
    if published:
        layers.append(
            {
                "data": {"values": published},
                "mark": {"type": "point", "filled": True, "size": 55, "color": CELL_COLOUR},
                "encoding": {
                    "x": x,
                    "y": {"field": "value", "type": "quantitative", "title": y_title},
                    "opacity": _faded(1.0, 0.35),
                    "tooltip": cell_tip,
                },
            }
        )
        legend.append("dots: published counts")
    if suppressed:
        layers.append(
            {
                "data": {"values": suppressed},
                "mark": {"type": "bar", "width": 9, "color": SUPPRESSED_COLOUR},
                "encoding": {
                    "x": x,
                    "y": {"field": "lower", "type": "quantitative", "title": y_title},
                    "y2": {"field": "upper"},
                    "opacity": _faded(0.55, 0.2),
                    "tooltip": cell_tip,
                },
            }
        )
        layers.append(
            {
                "data": {"values": suppressed},
                "mark": {
                    "type": "point",
                    "filled": False,
                    "shape": "diamond",
                    "size": 70,
                    "color": SUPPRESSED_COLOUR,
                },
                "encoding": {
                    "x": x,
                    "y": {"field": "upper", "type": "quantitative", "title": y_title},
                    "opacity": _faded(1.0, 0.35),
                    "tooltip": cell_tip,
                },
            }
        )
        legend.append(
            "purple bars with hollow diamonds: suppressed cells, drawn as the range they hide"
        )
    if any(c["part"] != IN_TREND for c in cells):
        legend.append("pale marks: cells the trend leaves out (before a break in series)")
    rules = [
        {"at": c.year - 0.5, "label": f"shift ×{c.ratio:.2g} from {c.year}", "kind": "change"}
        for c in trend.change_points
    ]
    if rules:
        legend.append("orange dashed rule: a change point (a shift in level beyond the trend)")
    if trend.break_year is not None:
        rules.append(
            {
                "at": trend.break_year - 0.5,
                "label": f"break in series in {trend.break_year}",
                "kind": "break",
            }
        )
        legend.append("grey dashed rule: a break in series (the trend starts after it)")
    if rules:
        rule_x = {"field": "at", "type": "quantitative", "scale": scale, "axis": axis}
        layers.append(
            {
                "data": {"values": rules},
                "mark": {"type": "rule", "strokeDash": [5, 4], "strokeWidth": 2},
                "encoding": {
                    "x": rule_x,
                    "color": {
                        "condition": {"test": "datum.kind === 'break'", "value": BREAK_COLOUR},
                        "value": CHANGE_COLOUR,
                    },
                    "tooltip": [{"field": "label", "type": "nominal", "title": ""}],
                },
            }
        )
        layers.append(
            {
                "data": {"values": rules},
                "mark": {
                    "type": "text",
                    "align": "left",
                    "dx": 3,
                    "dy": -4,
                    "fontSize": 11,
                    "color": TEXT_COLOUR,
                },
                "encoding": {"x": rule_x, "y": {"value": 8}, "text": {"field": "label"}},
            }
        )
    title: dict[str, Any] = {"text": series.labels.get("subject", series.key)}
    if trend.status != "ok":
        # The chart itself says there is no trend, not only the text beside it.
        title["subtitle"] = f"no trend: {trend.status}"
        title["subtitleColor"] = TEXT_COLOUR
        title["subtitleFontWeight"] = "bold"
    return {
        "$schema": SCHEMA,
        "title": title,
        "width": "container",
        "height": height,
        "layer": layers,
        "usermeta": {"legend": "; ".join(legend)},
    }
