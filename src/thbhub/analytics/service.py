"""The analyses behind `thbhub trends`, `thbhub alerts` and their API routes: one place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from thbhub.analytics.changepoints import find_change_points
from thbhub.analytics.series import Series
from thbhub.analytics.seriesfile import read_series
from thbhub.analytics.stored import stored_series
from thbhub.analytics.trends import Trend, fit_trends
from thbhub.stats.query import ObservationQuery
from thbhub.storage import Database


def analyse(series: list[Series], *, across_breaks: bool = False) -> list[Trend]:
    """Trend and change point of every series."""
    found = fit_trends(series, across_breaks=across_breaks)
    find_change_points(found)
    return found


def file_trends(path: Path, *, across_breaks: bool = False) -> list[Trend]:
    """The trend of every series in a series file (seriesfile's format)."""
    return analyse(read_series(path), across_breaks=across_breaks)


def stored_trends(
    db: Database, query: ObservationQuery, *, across_breaks: bool = False
) -> list[Trend]:
    """The trend of every stored series the query answers (stats.query semantics)."""
    return analyse(stored_series(db, query), across_breaks=across_breaks)


def rows(trends: list[Trend]) -> list[dict[str, Any]]:
    return [t.row() for t in trends]
