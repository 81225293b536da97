"""Queries over the register of sources (publisher, title, licence, version, checksum)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select

from thbhub.storage.schema import organisations, sources


def register_source(conn: Connection, meta: dict[str, Any]) -> tuple[int, bool]:
    """Register one version of a source; returns (id, created).

    A source is identified by its key and the checksum of the file: the same file twice is
    one row; a new release of the same source is a new row (a new version).
    """
    existing = conn.execute(
        select(sources.c.id).where(
            sources.c.key == meta["key"], sources.c.checksum == meta["checksum"]
        )
    ).scalar()
    if existing is not None:
        return int(existing), False
    values = {
        k: meta.get(k)
        for k in (c.name for c in sources.columns)
        if k not in ("id", "registered_at")
    }
    values["registered_at"] = datetime.now(UTC)
    new_id = conn.execute(insert(sources).returning(sources.c.id), values).scalar_one()
    return int(new_id), True


def source_rows(conn: Connection) -> list[dict[str, Any]]:
    q = select(sources).order_by(sources.c.key, sources.c.registered_at)
    return [dict(r) for r in conn.execute(q).mappings()]


def table_counts(conn: Connection) -> dict[str, int]:
    return {
        "sources": conn.execute(select(func.count()).select_from(sources)).scalar_one(),
        "organisations": conn.execute(select(func.count()).select_from(organisations)).scalar_one(),
    }
