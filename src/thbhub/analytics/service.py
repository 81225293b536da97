"""The analyses behind `thbhub trends`, `thbhub alerts` and their API routes: one place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from thbhub.analytics.seriesfile import read_series
from thbhub.analytics.stored import stored_series
from thbhub.analytics.trends import Trend, fit_trends
from thbhub.stats.query import ObservationQuery
from thbhub.storage import Database


def file_trends(path: Path, *, across_breaks: bool = False) -> list[Trend]:
    """The trend of every series in a series file (seriesfile's format)."""
    return fit_trends(read_series(path), across_breaks=across_breaks)


def stored_trends(
    db: Database, query: ObservationQuery, *, across_breaks: bool = False
) -> list[Trend]:
    """The trend of every stored series the query answers (stats.query semantics)."""
    return fit_trends(stored_series(db, query), across_breaks=across_breaks)


def rows(trends: list[Trend]) -> list[dict[str, Any]]:
    return [t.row() for t in trends]
