"""Project linkage keys: the import's side of a linkage project (docs/estimation.md).

For an organisation that opted in to a linkage project, each imported record whose person
has identifiers gets a keyed hash of them under the project's key: HMAC-SHA256 of the
deployment secret and the project id, separate from the organisation's pseudonym key, so
the same person on two members' lists gets the same key while the per-organisation
pseudonyms stay unjoinable.  The identifiers themselves are never stored; the keys are never
shown to anyone (only counts made from them leave the hub).

Only records imported while the organisation is a member get keys: records imported before
it joined need a re-import (``thbhub cases import --again``) to be counted.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import Connection, insert, select

from thbhub.settings import Settings
from thbhub.storage.schema_cases import case_records
from thbhub.storage.schema_estimation import linkage_keys, linkage_members, linkage_projects

_CONTEXT = b"thbhub/estimation/linkage-key/v1/project/"


def project_key(secret: str, project_id: int) -> bytes:
    return hmac.new(
        secret.encode("utf-8"), _CONTEXT + str(project_id).encode(), hashlib.sha256
    ).digest()


def project_keys(conn: Connection, settings: Settings, org_id: int) -> dict[int, bytes]:
    """The keys of the projects in force that ``org_id`` is a member of, by project id."""
    q = (
        select(linkage_projects.c.id)
        .join(linkage_members, linkage_members.c.project_id == linkage_projects.c.id)
        .where(
            linkage_members.c.organisation_id == org_id,
            linkage_projects.c.valid_until >= datetime.now(UTC),
        )
    )
    ids = list(conn.execute(q).scalars())
    if not ids:
        return {}
    secret = settings.secret()
    return {pid: project_key(secret, pid) for pid in ids}


def store(
    conn: Connection, import_id: int, org_id: int, keys: Mapping[int, Mapping[int, str]]
) -> int:
    """Store the keys of an import's records (``keys``: source row -> {project id: key})."""
    if not keys:
        return 0
    q = select(case_records.c.id, case_records.c.source_row).where(
        case_records.c.import_id == import_id
    )
    rows = [
        {"project_id": pid, "record_id": rid, "organisation_id": org_id, "link_key": key}
        for rid, line in conn.execute(q).all()
        for pid, key in keys.get(line, {}).items()
    ]
    if rows:
        conn.execute(insert(linkage_keys), rows)
    return len(rows)
