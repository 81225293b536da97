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

import numpy as np

from thbhub.analytics import model
from thbhub.analytics.series import Point, Series
from thbhub.analytics.service import DEFAULT_WINDOW, alerts, analyse
from thbhub.analytics.stored import stored_series
from thbhub.analytics.trendchart import trend_chart
from thbhub.analytics.trends import Trend, arrays
from thbhub.domain.observations import DIMENSIONS
from thbhub.stats.query import ObservationQuery, build_query
from thbhub.storage import Database

#: Steps per year of the drawn fitted curve (it is an exponential, not a straight line).
CURVE_STEPS = 4


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


#: The schemes whose concepts a series of alerts can be about (a plan objective or a document
#: type cannot: their topic pages skip the alert run).
ALERT_SCHEMES = frozenset({"indicator", "country", "country-group", "sex", "age", "form"})


def topic_alerts(db: Database, scheme: str, concepts: Iterable[str]) -> list[Trend]:
    """The alerts of every stored country tested together (`GET /api/v1/alerts`) that
    concern one of ``concepts`` (a topic and the concepts narrower than it, of ``scheme``)."""
    if scheme not in ALERT_SCHEMES:
        return []
    wanted = list(concepts)
    return [t for t in alerts(db, build_query(indicator="victims")) if concerns(t, wanted)]
