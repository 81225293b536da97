"""Queries of the insights area: the stored published cells of the insight lattices."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.exc import IntegrityError

from thbhub.storage.schema_insights import insights_lattices as t


def stored_lattice(conn: Connection, audience: str, name: str) -> dict[str, Any] | None:
    row = (
        conn.execute(
            select(t.c.label, t.c.cells, t.c.refused).where(
                t.c.audience == audience, t.c.name == name
            )
        )
        .mappings()
        .first()
    )
    return None if row is None else dict(row)


def stored_labels(conn: Connection, audience: str) -> dict[str, str]:
    """Lattice name -> the data version label it is stored for."""
    q = select(t.c.name, t.c.label).where(t.c.audience == audience)
    return {str(n): str(lbl) for n, lbl in conn.execute(q)}


def store_lattice(
    conn: Connection,
    audience: str,
    organisation_id: int | None,
    name: str,
    label: str,
    cells: dict[str, Any] | None,
    refused: str | None,
) -> None:
    """Replace the audience's lattice ``name`` (of any version) by this one.  Another process
    storing the same lattice meanwhile wins; this one is then dropped (same version: same
    cells; another version: the next reader recomputes)."""
    conn.execute(delete(t).where(t.c.audience == audience, t.c.name == name))
    try:
        with conn.begin_nested():
            conn.execute(
                insert(t).values(
                    audience=audience,
                    organisation_id=organisation_id,
                    name=name,
                    label=label,
                    computed_at=datetime.now(UTC),
                    cells=cells,
                    refused=refused,
                )
            )
    except IntegrityError:
        return
