"""What the Trends and Alerts pages show, prepared from the analytics services.

Each stored series comes with every one of its cells (also those before a break in series,
which the trend leaves out), its fitted line and 95% confidence band, and a Vega-Lite chart
of them; alerts come with the address of the Trends page that reproduces their numbers and
are picked out for a country or a topic.  The numbers are those of
:func:`thbhub.analytics.service.stored_trends` and :func:`~thbhub.analytics.service.alerts`
(the same calls: the pages show what `GET /api/v1/trends` and `/api/v1/alerts` answer).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import altair as alt
import numpy as np

from thbhub.analytics import model
from thbhub.analytics.series import Point, Series
from thbhub.analytics.service import DEFAULT_WINDOW, alerts, analyse
from thbhub.analytics.stored import stored_series
from thbhub.analytics.trends import Trend, arrays
from thbhub.domain.observations import DIMENSIONS
from thbhub.stats.query import ObservationQuery, build_query
from thbhub.storage import Database

#: Steps per year of the drawn fitted curve (it is an exponential, not a straight line).
CURVE_STEPS = 4
# Colours of the chart's marks (contrast checked against white; the fit's band is pale).
FIT_COLOUR = "#2b6cb0"
CELL_COLOUR = "#1a202c"
SUPPRESSED_COLOUR = "#6b4fa0"
CHANGE_COLOUR = "#c05621"
BREAK_COLOUR = "#4a5568"
TEXT_COLOUR = "#7b341e"


@dataclass
class SeriesView:
    """One series as the Trends page shows it."""

    series: Series
    trend: Trend
    row: dict[str, Any]  # the API's record of the trend (Trend.row())
    #: The fitted mean and its 95% band, CURVE_STEPS points a year (empty without a trend).
    curve: list[dict[str, float]] = field(default_factory=list)
    chart: dict[str, Any] | None = None

    @property
    def band(self) -> dict[int, dict[str, float]]:
        """The fitted mean and its band in each whole year (the chart's table), by year."""
        return {int(b["year"]): b for b in self.curve if float(b["year"]).is_integer()}

    @property
    def trends_link(self) -> str:
        """The Trends page of this series over the years of its trend."""
        return trends_link(self.trend)

    @property
    def in_trend(self) -> set[int]:
        """The years the trend was fitted to (its comparable stretch's known cells)."""
        return {p.year for p in self.trend.points}

    @property
    def cells(self) -> list[Point]:
        return self.series.sorted_points()

    @property
    def subject(self) -> str:
        return self.series.labels.get("subject", self.series.key)


def series_views(
    db: Database, query: ObservationQuery, *, across_breaks: bool = False
) -> list[SeriesView]:
    """Every stored series the query answers with its trend (in the API's order)."""
    series = stored_series(db, query)
    trends = analyse(series, across_breaks=across_breaks)
    curves = bands_of(trends)
    return [
        SeriesView(s, t, t.row(), curves.get(t.series, []))
        for s, t in zip(series, trends, strict=True)
    ]


def with_chart(view: SeriesView, *, height: int = 240) -> SeriesView:
    """The view with its chart drawn (charts are made only for the series shown)."""
    view.chart = trend_chart(view.series, view.trend, view.curve, height=height)
    return view


def alert_views(found: Sequence[Trend], *, charts: bool = False) -> list[SeriesView]:
    """Alerts as the pages show them; with ``charts``, each with a small chart of the years
    it was tested on."""
    curves = bands_of(found) if charts else {}
    views = [
        SeriesView(Series(t.series, list(t.points), t.labels), t, t.row(), curves.get(t.series, []))
        for t in found
    ]
    return [with_chart(v, height=170) for v in views] if charts else views


def bands_of(trends: Sequence[Trend]) -> dict[str, list[dict[str, float]]]:
    """The fitted mean and its 95% confidence band per year (and between years, for the
    curve) of every fitted trend, by series key.

    The band needs the covariance of intercept and slope; a trend carries only the slope's
    standard error, so the trend's comparable stretch is fitted again with the same model
    (all series in one call) for the covariance, which is then scaled so that the slope's
    variance is the trend's own (whatever dispersion the trend used) and widened by the
    trend's own critical value (normal or Student's t).
    """
    fitted = [
        t
        for t in trends
        if t.status == "ok"
        and t.slope is not None
        and t.intercept is not None
        and t.centre is not None
        and t.slope_se
        and t.ci_high is not None
        and t.first_year is not None
        and t.last_year is not None
    ]
    if not fitted:
        return {}
    years, y, lo, hi, kind = arrays([t.points for t in fitted])
    present = kind != model.ABSENT
    centre = np.array([t.centre for t in fitted], dtype=float)
    X = np.stack([present * 1.0, (years - centre[:, None]) * present], axis=2)
    fit = model.fit(X, y, lo, hi, kind)
    out: dict[str, list[dict[str, float]]] = {}
    for i, t in enumerate(fitted):
        assert t.slope is not None and t.slope_se and t.ci_high is not None
        cov = fit.cov[i]
        if not fit.converged[i] or cov[1, 1] <= 0:
            continue
        cov = cov * (t.slope_se**2 / cov[1, 1])
        crit = (math.log1p(t.ci_high / 100.0) - t.slope) / t.slope_se
        points = []
        assert t.first_year is not None and t.last_year is not None
        for step in range((t.last_year - t.first_year) * CURVE_STEPS + 1):
            year = t.first_year + step / CURVE_STEPS
            x = year - float(t.centre or 0.0)
            eta = float(t.intercept or 0.0) + t.slope * x
            se = math.sqrt(max(cov[0, 0] + 2 * x * cov[0, 1] + x * x * cov[1, 1], 0.0))
            points.append(
                {
                    "year": year,
                    "fitted": math.exp(eta),
                    "low": math.exp(eta - crit * se),
                    "high": math.exp(eta + crit * se),
                }
            )
        out[t.series] = points
    return out


def _shown(p: Point) -> str:
    flags = " (break in series)" if p.breaks else ""
    return p.shown() + flags


def trend_chart(
    series: Series, trend: Trend, curve: list[dict[str, float]] | None, *, height: int = 240
) -> dict[str, Any]:
    """A Vega-Lite spec: the published cells (suppressed ones as their range), the fitted
    line with its 95% band, change points and a break in series as rules; a series without
    a trend says so in the chart.  The caption (``usermeta.legend``) names only the marks
    drawn."""
    in_fit = {p.year for p in trend.points}
    cells = [
        {
            "year": p.year,
            "value": p.count if p.status in ("value", "zero") else None,
            "lower": p.lower if p.status == "suppressed" else None,
            "upper": p.upper if p.status == "suppressed" else None,
            "status": p.status,
            "shown": _shown(p),
            "part": "in the trend" if p.year in in_fit else "left out of the trend",
        }
        for p in series.sorted_points()
        if p.known
    ]
    known_years = [p.year for p in series.sorted_points() if p.known]
    years = list(range(min(known_years), max(known_years) + 1)) if known_years else []
    scale = alt.Scale(padding=12, nice=False, zero=False)
    axis = alt.Axis(format="d", values=years, labelOverlap=True)
    x = alt.X("year:Q", title="year", scale=scale, axis=axis)
    y_title = "count"
    cell_tip = [alt.Tooltip("year:Q", format="d"), alt.Tooltip("shown:N", title="published")]
    left_out = any(c["part"] != "in the trend" for c in cells)
    # Cells the trend leaves out (before a break in series) are drawn paler.
    faded = alt.condition(alt.datum.part == "in the trend", alt.value(1.0), alt.value(0.35))
    layers: list[Any] = []
    legend: list[str] = []
    if curve:
        shown = [
            {**b, "range": f"{b['low']:,.1f} to {b['high']:,.1f}", "mean": f"{b['fitted']:,.1f}"}
            for b in curve
        ]
        base = alt.Chart(alt.Data(values=shown))
        fit_tip = [
            alt.Tooltip("year:Q", format=".2f", title="year"),
            alt.Tooltip("mean:N", title="fitted mean"),
            alt.Tooltip("range:N", title="95% interval"),
        ]
        layers.append(
            base.mark_area(opacity=0.2, color=FIT_COLOUR).encode(
                x=x, y=alt.Y("low:Q", title=y_title), y2="high:Q", tooltip=fit_tip
            )
        )
        layers.append(
            base.mark_line(color=FIT_COLOUR, strokeWidth=2).encode(
                x=x, y="fitted:Q", tooltip=fit_tip
            )
        )
        legend.append("blue line and band: the fitted trend and its 95% confidence band")
    published = [c for c in cells if c["status"] in ("value", "zero")]
    suppressed = [c for c in cells if c["status"] == "suppressed"]
    if published:
        layers.append(
            alt.Chart(alt.Data(values=published))
            .mark_point(filled=True, size=55, color=CELL_COLOUR)
            .encode(x=x, y=alt.Y("value:Q", title=y_title), opacity=faded, tooltip=cell_tip)
        )
        legend.append("dots: published counts")
    if suppressed:
        data = alt.Chart(alt.Data(values=suppressed))
        layers.append(
            data.mark_bar(width=9, color=SUPPRESSED_COLOUR)
            .encode(x=x, y=alt.Y("lower:Q", title=y_title), y2="upper:Q", tooltip=cell_tip)
            .encode(
                opacity=alt.condition(
                    alt.datum.part == "in the trend", alt.value(0.55), alt.value(0.2)
                )
            )
        )
        layers.append(
            data.mark_point(filled=False, shape="diamond", size=70, color=SUPPRESSED_COLOUR).encode(
                x=x, y="upper:Q", opacity=faded, tooltip=cell_tip
            )
        )
        legend.append(
            "purple bars with hollow diamonds: suppressed cells, drawn as the range they hide"
        )
    if left_out:
        legend.append("pale marks: cells the trend leaves out (before a break in series)")
    rules = [
        {"at": c.year - 0.5, "label": f"shift ×{c.ratio:.2g} from {c.year}", "kind": "change"}
        for c in trend.change_points
    ]
    if trend.change_points:
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
        marks = alt.Chart(alt.Data(values=rules))
        rule_x = alt.X("at:Q", scale=scale, axis=axis)
        layers.append(
            marks.mark_rule(strokeDash=[5, 4], strokeWidth=2).encode(
                x=rule_x,
                color=alt.condition(
                    alt.datum.kind == "break", alt.value(BREAK_COLOUR), alt.value(CHANGE_COLOUR)
                ),
                tooltip=[alt.Tooltip("label:N", title="")],
            )
        )
        layers.append(
            marks.mark_text(align="left", dx=3, dy=-4, fontSize=11, color=TEXT_COLOUR).encode(
                x=rule_x, y=alt.value(8), text="label:N"
            )
        )
    if trend.status != "ok":
        # The chart itself says there is no trend, not only the text beside it.
        layers.append(
            alt.Chart(alt.Data(values=[{"text": f"no trend: {trend.status}"}]))
            .mark_text(align="left", fontSize=12, fontWeight="bold", color=TEXT_COLOUR)
            .encode(x=alt.value(6), y=alt.value(10), text="text:N")
        )
    chart = alt.layer(*layers).properties(
        title=series.labels.get("subject", series.key), width="container", height=height
    )
    spec: dict[str, Any] = chart.to_dict()
    spec["usermeta"] = {"legend": "; ".join(legend)}
    return spec


def trends_link(t: Trend) -> str:
    """The Trends page that fits ``t``'s series over the same years (its chart and table).

    The query names the series' indicator, country and breakdown, and the years of its
    comparable stretch: the page fits the same cells, so it shows the same annual change,
    interval and p-value (its q-value allows for the series on that page instead).
    """
    params: list[tuple[str, str]] = [
        ("indicator", _short(t.labels.get("indicator", ""))),
        ("country", t.labels.get("country", "")),
    ]
    by = [d for d in DIMENSIONS if d in t.labels]
    if by:
        params.append(("by", by[0]))
    if t.first_year is not None:
        params.append(("from", str(t.first_year)))
    if t.last_year is not None:
        params.append(("to", str(t.last_year)))
    params.append(("series", t.series))
    return "/trends?" + urlencode(params)


def _short(concept: str) -> str:
    return concept.split(":", 1)[1] if ":" in concept else concept


def country_alerts(db: Database, country: str, *, window: int = DEFAULT_WINDOW) -> list[Trend]:
    """The alerts of one country: `GET /api/v1/alerts?country=...` (its series tested
    together)."""
    return alerts(db, build_query(indicator="victims", country=[country]), window=window)


def concerns(t: Trend, concepts: Iterable[str]) -> bool:
    """Whether an alert is about one of ``concepts``: its indicator, country, or a sex, age,
    form or citizenship of its breakdown."""
    wanted = set(concepts)
    about = {t.labels.get("indicator"), f"country:{t.labels.get('country')}"}
    about |= {t.labels.get(d) for d in DIMENSIONS}
    return bool(wanted & {a for a in about if a})


def topic_alerts(db: Database, concepts: Iterable[str]) -> list[Trend]:
    """The alerts of every stored country tested together (`GET /api/v1/alerts`) that
    concern one of ``concepts`` (a topic and the concepts narrower than it)."""
    wanted = list(concepts)
    return [t for t in alerts(db, build_query(indicator="victims")) if concerns(t, wanted)]
