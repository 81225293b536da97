"""Queries of the reports' narrative: text blocks and their versions (schema_narrative)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from thbhub.storage.schema import organisations, sources
from thbhub.storage.schema_narrative import report_text_versions as versions
from thbhub.storage.schema_narrative import report_texts as texts


def source_versions(conn: Connection) -> dict[str, str | None]:
    """The version of each source key's most recently registered file."""
    rows = conn.execute(
        select(sources.c.key, sources.c.version).order_by(sources.c.registered_at, sources.c.id)
    ).all()
    return {key: version for key, version in rows}


def organisation_kind(conn: Connection, organisation_id: int) -> str | None:
    return conn.execute(
        select(organisations.c.kind).where(organisations.c.id == organisation_id)
    ).scalar_one_or_none()


def _current() -> Any:
    """Blocks joined with their current version."""
    return (
        select(
            texts.c.id,
            texts.c.report_key,
            texts.c.section,
            texts.c.position,
            texts.c.organisation_id,
            texts.c.state,
            texts.c.version,
            texts.c.created_at,
            texts.c.updated_at,
            versions.c.markdown,
            versions.c.figures,
            versions.c.author,
        )
        .join(
            versions,
            (versions.c.text_id == texts.c.id) & (versions.c.version == texts.c.version),
        )
        .order_by(texts.c.report_key, texts.c.section, texts.c.position, texts.c.id)
    )


def blocks(
    conn: Connection,
    *,
    report_key: str | None = None,
    section: str | None = None,
    states: tuple[str, ...] = ("published",),
    organisation_id: int | None = None,
) -> list[dict[str, Any]]:
    """Blocks in ``states`` (and, for other states than published, of ``organisation_id``)."""
    stmt = _current()
    if report_key is not None:
        stmt = stmt.where(texts.c.report_key == report_key)
    if section is not None:
        stmt = stmt.where(texts.c.section == section)
    own = [s for s in states if s != "published"]
    visible = texts.c.state == "published" if "published" in states else None
    if own and organisation_id is not None:
        mine = texts.c.state.in_(own) & (texts.c.organisation_id == organisation_id)
        visible = mine if visible is None else (visible | mine)
    if visible is None:
        return []
    return [dict(r) for r in conn.execute(stmt.where(visible)).mappings()]


def block(conn: Connection, text_id: int) -> dict[str, Any] | None:
    row = conn.execute(_current().where(texts.c.id == text_id)).mappings().first()
    return dict(row) if row else None


def next_position(conn: Connection, report_key: str, section: str) -> int:
    top = conn.execute(
        select(func.max(texts.c.position)).where(
            texts.c.report_key == report_key, texts.c.section == section
        )
    ).scalar()
    return int(top or 0) + 1


def add_block(
    conn: Connection, values: dict[str, Any], version: dict[str, Any], at: datetime
) -> int:
    new_id = int(
        conn.execute(
            insert(texts).returning(texts.c.id),
            {**values, "version": 1, "created_at": at, "updated_at": at},
        ).scalar_one()
    )
    conn.execute(insert(versions), {**version, "text_id": new_id, "version": 1, "at": at})
    return new_id


def add_version(
    conn: Connection,
    text_id: int,
    number: int,
    version: dict[str, Any],
    at: datetime,
    position: int | None = None,
) -> None:
    """Version ``number`` of a block (the caller read the current one in this transaction);
    the block's state and current version follow it."""
    conn.execute(insert(versions), {**version, "text_id": text_id, "version": number, "at": at})
    values: dict[str, Any] = {"version": number, "state": version["state"], "updated_at": at}
    if position is not None:
        values["position"] = position
    conn.execute(update(texts).where(texts.c.id == text_id), values)


def history(conn: Connection, text_id: int) -> list[dict[str, Any]]:
    stmt = (
        select(
            versions.c.version,
            versions.c.action,
            versions.c.state,
            versions.c.markdown,
            versions.c.figures,
            versions.c.author,
            versions.c.at,
            versions.c.data_version,
        )
        .where(versions.c.text_id == text_id)
        .order_by(versions.c.version)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]
