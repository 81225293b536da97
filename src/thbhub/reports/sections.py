"""The section ids of each report type, in the order the reports show them.

The narrative blocks (``thbhub.reports.narrative``) are stored per report and section id,
so these ids are part of the stored data: rename one only with a migration.
"""

from __future__ import annotations

COUNTRY: tuple[str, ...] = (
    "headline",
    "victims",
    "justice",
    "rates",
    "trends",
    "flows",
    "cases",
    "estimate",
    "library",
    "projects",
    "comparability",
)
REGION: tuple[str, ...] = ("overview", "trends", "forms", "gender", "migration", "changes")
TOPIC: tuple[str, ...] = ("statistics", "cases", "documents", "projects", "alerts")
REVIEW: tuple[str, ...] = ("summary", "coverage", "indicators", "gaps")

#: Section ids by report type (the part of the report key before ':').
BY_KIND: dict[str, tuple[str, ...]] = {
    "country": COUNTRY,
    "region": REGION,
    "topic": TOPIC,
    "review": REVIEW,
}


def sections_of(report_key: str) -> tuple[str, ...]:
    """The section ids of a report key (``country:LV``, ``region``, ``topic:<id>``, ``review``)."""
    return BY_KIND[report_key.split(":", 1)[0]]
