"""Publication of case records, one import at a time.

An import is the unit a contributor submits: its state lives on ``case_imports`` and moves
by the access area's one set of rules (:mod:`thbhub.domain.publication`), and its records'
``state`` follows it in the same transaction (``STATE_FOLLOWS`` on ``case_records``).  The
public gated tables count only published records (:mod:`thbhub.privacy.public`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from thbhub.access.publication import change_state, history, transition
from thbhub.domain.principals import Principal, Role
from thbhub.storage import Database
from thbhub.storage.schema_cases import CASE_IMPORT, case_imports


def move_import(
    db: Database, principal: Principal, import_id: int, to_state: str, note: str | None = None
) -> dict[str, Any]:
    """Move an import and its records to ``to_state`` (submit, recall, withdraw as the
    owner's contributor; publish or send back as an admin), with history and audit.
    The event returned says how many records moved (``case_records``)."""
    return change_state(db, principal, CASE_IMPORT, import_id, to_state, note)


def publish_sample_once(db: Database, org: int, import_id: int, *, loader: str, note: str) -> bool:
    """Submit and publish a bundled sample import as the system ``loader`` if it never
    moved: a later withdrawal or send-back by a person stands.  Both moves or neither.
    True if it was published now (the demo's CTDC import, the example linkage lists)."""
    owner = Principal(role=Role.contributor, email=loader, organisation_id=org, origin="cli")
    if history(db, owner, CASE_IMPORT, import_id)["events"]:
        return False
    with db.begin() as conn:
        transition(conn, owner, case_imports, import_id, "submitted", note=note)
        admin = replace(owner, role=Role.admin)
        transition(conn, admin, case_imports, import_id, "published", note=note)
    return True
