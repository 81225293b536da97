"""The analyses behind `thbhub trends`, `thbhub alerts` and their API routes: one place."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from thbhub.analytics.alerts import mark_alerts
from thbhub.analytics.changepoints import find_change_points
from thbhub.analytics.series import Series
from thbhub.analytics.seriesfile import read_series
from thbhub.analytics.stored import stored_series
from thbhub.analytics.trends import Trend, fit_trends
from thbhub.domain.errors import UserError
from thbhub.stats.query import ObservationQuery
from thbhub.storage import Database

#: The breakdowns an alert run looks at: the total and each dimension of a country's series.
ALERT_BREAKDOWNS: tuple[str | None, ...] = (None, "sex", "age", "form", "citizenship")
#: Years an alert run looks back from the latest year in the data, by default.
DEFAULT_WINDOW = 10
MIN_WINDOW, MAX_WINDOW = 5, 50


def analyse(series: list[Series], *, across_breaks: bool = False) -> list[Trend]:
    """Trend, change point and alert (Benjamini–Hochberg over these series) of every series."""
    found = fit_trends(series, across_breaks=across_breaks)
    find_change_points(found)
    mark_alerts(found)
    return found


def file_trends(path: Path, *, across_breaks: bool = False) -> list[Trend]:
    """The trend of every series in a series file (seriesfile's format)."""
    return analyse(read_series(path), across_breaks=across_breaks)


def stored_trends(
    db: Database, query: ObservationQuery, *, across_breaks: bool = False
) -> list[Trend]:
    """The trend of every stored series the query answers (stats.query semantics)."""
    return analyse(stored_series(db, query), across_breaks=across_breaks)


def alerts(db: Database, query: ObservationQuery, *, window: int = DEFAULT_WINDOW) -> list[Trend]:
    """Rising series among the total and every breakdown of the query's countries, over the
    last ``window`` years of the data, tested together: the alerts, strongest first."""
    if not MIN_WINDOW <= window <= MAX_WINDOW:
        raise UserError(f"--window {window}: a number of years from {MIN_WINDOW} to {MAX_WINDOW}")
    series: dict[str, Series] = {}
    for by in ALERT_BREAKDOWNS:
        wanted = replace(query, by=[by] if by else [], dims={})
        for s in stored_series(db, wanted):
            series.setdefault(s.key, s)
    latest = max((p.year for s in series.values() for p in s.points), default=0)
    recent = [
        Series(s.key, [p for p in s.points if p.year > latest - window], s.labels)
        for s in series.values()
    ]
    found = analyse(recent)
    hits = [t for t in found if t.alert]
    return sorted(hits, key=lambda t: (t.q_value or 0.0, t.series))


def flat(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records for CSV: a list of years as `2012,2016`; a list of records stays JSON."""
    return [{k: _cell(v) for k, v in r.items()} for r in records]


def _cell(value: Any) -> Any:
    if isinstance(value, list) and all(isinstance(v, int | str) for v in value):
        return ",".join(map(str, value))
    if isinstance(value, list):
        return json.dumps(value)
    return value


def rows(trends: list[Trend]) -> list[dict[str, Any]]:
    return [t.row() for t in trends]
