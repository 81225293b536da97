"""Queries of the reports: the stored editions of a report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from thbhub.storage.access import aware_row
from thbhub.storage.schema_reports import reports_editions


def editions(conn: Connection, report_key: str) -> list[dict[str, Any]]:
    """Every edition of ``report_key``, oldest first."""
    rows = conn.execute(
        select(reports_editions)
        .where(reports_editions.c.report_key == report_key)
        .order_by(reports_editions.c.edition)
    ).mappings()
    return [aware_row(r) for r in rows]


def add_edition(
    conn: Connection,
    report_key: str,
    edition: int,
    data_version: int,
    made_at: datetime,
    figures: dict[str, Any],
) -> None:
    conn.execute(
        insert(reports_editions).values(
            report_key=report_key,
            edition=edition,
            data_version=data_version,
            made_at=made_at,
            figures=figures,
        )
    )
