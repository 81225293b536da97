"""Queries of the privacy area: releases and the privacy-budget ledger."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from thbhub.storage.schema import organisations
from thbhub.storage.schema_cases import case_imports, case_records
from thbhub.storage.schema_privacy import (
    privacy_ledger,
    privacy_public_versions,
    privacy_publications,
    privacy_releases,
)


def lock_organisation(conn: Connection, organisation_id: int) -> str | None:
    """Lock the organisation's row until the transaction ends (PostgreSQL; SQLite already
    serialises writers) and return its name, or None if there is no such organisation.

    Two releases of the same organisation thus spend its budget one after the other.
    """
    q = select(organisations.c.name).where(organisations.c.id == organisation_id)
    if conn.dialect.name == "postgresql":
        q = q.with_for_update()
    name = conn.execute(q).scalar()
    return None if name is None else str(name)


def insert_release(conn: Connection, values: dict[str, Any]) -> int:
    row = {**values, "created_at": datetime.now(UTC)}
    return int(
        conn.execute(insert(privacy_releases).returning(privacy_releases.c.id), row).scalar_one()
    )


def insert_spend(
    conn: Connection,
    organisation_id: int,
    dataset: str,
    release_id: int,
    epsilon: float,
    delta: float,
) -> None:
    conn.execute(
        insert(privacy_ledger),
        {
            "organisation_id": organisation_id,
            "dataset": dataset,
            "release_id": release_id,
            "epsilon": epsilon,
            "delta": delta,
            "spent_at": datetime.now(UTC),
        },
    )


def spent(conn: Connection, organisation_id: int, dataset: str) -> tuple[float, float]:
    """(epsilon, delta) spent so far on one organisation's dataset (basic composition)."""
    row = conn.execute(
        select(
            func.coalesce(func.sum(privacy_ledger.c.epsilon), 0.0),
            func.coalesce(func.sum(privacy_ledger.c.delta), 0.0),
        ).where(
            privacy_ledger.c.organisation_id == organisation_id,
            privacy_ledger.c.dataset == dataset,
        )
    ).one()
    return float(row[0]), float(row[1])


def ledger_rows(
    conn: Connection, organisation_id: int, dataset: str | None = None
) -> list[dict[str, Any]]:
    q = (
        select(
            privacy_ledger.c.id,
            privacy_ledger.c.dataset,
            privacy_ledger.c.release_id,
            privacy_ledger.c.epsilon,
            privacy_ledger.c.delta,
            privacy_ledger.c.spent_at,
            privacy_releases.c.method,
            privacy_releases.c.created_by,
        )
        .join(privacy_releases, privacy_releases.c.id == privacy_ledger.c.release_id)
        .where(privacy_ledger.c.organisation_id == organisation_id)
        .order_by(privacy_ledger.c.id)
    )
    if dataset is not None:
        q = q.where(privacy_ledger.c.dataset == dataset)
    return [dict(r) for r in conn.execute(q).mappings()]


def release_rows(conn: Connection, organisation_id: int) -> list[dict[str, Any]]:
    q = (
        select(privacy_releases)
        .where(privacy_releases.c.organisation_id == organisation_id)
        .order_by(privacy_releases.c.id)
    )
    return [dict(r) for r in conn.execute(q).mappings()]


def release_row(conn: Connection, release_id: int) -> dict[str, Any] | None:
    row = (
        conn.execute(select(privacy_releases).where(privacy_releases.c.id == release_id))
        .mappings()
        .first()
    )
    return None if row is None else dict(row)


def set_publication(
    conn: Connection, organisation_id: int, dataset: str, published: bool, by: str | None
) -> bool:
    """Opt an organisation's dataset in (or out of) the public aggregates; returns whether
    anything changed."""
    key = (
        privacy_publications.c.organisation_id == organisation_id,
        privacy_publications.c.dataset == dataset,
    )
    exists = conn.execute(select(privacy_publications.c.dataset).where(*key)).first() is not None
    if published and not exists:
        conn.execute(
            insert(privacy_publications),
            {
                "organisation_id": organisation_id,
                "dataset": dataset,
                "published_at": datetime.now(UTC),
                "published_by": by,
            },
        )
        return True
    if not published and exists:
        conn.execute(delete(privacy_publications).where(*key))
        return True
    return False


def published_organisations(conn: Connection, dataset: str) -> list[dict[str, Any]]:
    q = (
        select(organisations.c.id, organisations.c.name, privacy_publications.c.published_at)
        .join(privacy_publications, privacy_publications.c.organisation_id == organisations.c.id)
        .where(privacy_publications.c.dataset == dataset)
        .order_by(organisations.c.name)
    )
    return [dict(r) for r in conn.execute(q).mappings()]


def records_version(conn: Connection, organisation_ids: list[int]) -> tuple[Any, ...]:
    """What tables of these organisations' case records are computed from, as a comparable
    value: per organisation and record state, the number of records, the largest id and the
    sum of ids, and the newest import.  An import, a deletion or a state change changes it
    (records are never edited in place; an edit path would have to change it too).
    """
    if not organisation_ids:
        return ()
    q = (
        select(
            case_records.c.organisation_id,
            case_records.c.state,
            func.count(),
            func.max(case_records.c.id),
            func.sum(case_records.c.id),
        )
        .where(case_records.c.organisation_id.in_(organisation_ids))
        .group_by(case_records.c.organisation_id, case_records.c.state)
        .order_by(case_records.c.organisation_id, case_records.c.state)
    )
    records = tuple((int(o), str(s), int(n), int(m), int(t)) for o, s, n, m, t in conn.execute(q))
    newest_import = conn.execute(
        select(func.max(case_imports.c.id)).where(
            case_imports.c.organisation_id.in_(organisation_ids)
        )
    ).scalar()
    return (records, newest_import)


#: Published versions kept per dataset, and so audited against together: a new version is
#: protected against all of them (privacy/versions_lp.py).  Beyond, the oldest is dropped and
#: no longer modelled (docs/privacy.md says so): the bound keeps the joint audit's classes
#: (at most one more per version and combination) and its time bounded.
KEPT_VERSIONS = 8


def earlier_public_versions(conn: Connection, dataset: str, label: str) -> list[dict[str, Any]]:
    """Every kept version of ``dataset`` but ``label`` (newest first), with its cells,
    organisations' fingerprints and class structure (``joint``, None before privacy_0004)."""
    t = privacy_public_versions
    q = (
        select(t.c.label, t.c.cells, t.c.organisations, t.c.joint)
        .where(t.c.dataset == dataset, t.c.label != label)
        .order_by(t.c.id.desc())
    )
    return [dict(r) for r in conn.execute(q).mappings()]


def store_public_version(
    conn: Connection,
    dataset: str,
    label: str,
    cells: dict[str, int | None],
    organisation_prints: dict[str, str],
    joint: dict[str, Any] | None = None,
) -> None:
    """Keep what version ``label`` published (once; a second process computing the same
    version finds it there), and drop versions beyond :data:`KEPT_VERSIONS`."""
    t = privacy_public_versions
    if conn.execute(select(t.c.id).where(t.c.dataset == dataset, t.c.label == label)).first():
        return
    try:
        with conn.begin_nested():  # another process may store the same version meanwhile
            conn.execute(
                insert(t).values(
                    dataset=dataset,
                    label=label,
                    published_at=datetime.now(UTC),
                    cells=cells,
                    organisations=organisation_prints,
                    joint=joint,
                )
            )
    except IntegrityError:
        return
    ids = conn.execute(
        select(t.c.id).where(t.c.dataset == dataset).order_by(t.c.id.desc())
    ).scalars()
    old = list(ids)[KEPT_VERSIONS:]
    if old:
        conn.execute(delete(t).where(t.c.id.in_(old)))
