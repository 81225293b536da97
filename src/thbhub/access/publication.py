"""Ownership and publication of contributed objects, as a service every area calls.

An owned table carries :func:`thbhub.storage.schema_access.ownership_columns` and marks
itself publishable with ``info={PUBLISHABLE: "<object type>"}``; see docs/access.md.
:func:`transition` checks the rule (:mod:`thbhub.domain.publication`), changes the state,
and writes the history and the audit log in the caller's transaction.  Tables whose rows
follow a publishable parent's state (``info={STATE_FOLLOWS: ...}``: case records follow their
import) move with it, in the same transaction.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from sqlalchemy import Connection, Table, select

import thbhub.storage
from thbhub.access.audit import record
from thbhub.access.policy import may_read_owned
from thbhub.access.users import now
from thbhub.domain.errors import NotFoundError, PermissionDenied, UserError
from thbhub.domain.principals import Principal, Role
from thbhub.domain.publication import State, refusal
from thbhub.storage import Database
from thbhub.storage import access as q
from thbhub.storage.schema import MAX_ID, metadata, organisations
from thbhub.storage.schema_access import PUBLISHABLE, STATE_FOLLOWS


def _all_tables() -> list[Table]:
    for mod in pkgutil.iter_modules(thbhub.storage.__path__):
        if mod.name.startswith("schema_"):
            importlib.import_module(f"thbhub.storage.{mod.name}")
    return list(metadata.tables.values())


def publishable_tables() -> dict[str, Table]:
    """object type -> table, for every table marked publishable in any ``schema_*`` module."""
    return {str(t.info[PUBLISHABLE]): t for t in _all_tables() if PUBLISHABLE in t.info}


def _followers(table: Table) -> list[Table]:
    """Tables whose rows' state follows ``table``'s (marked ``STATE_FOLLOWS``)."""
    return [t for t in _all_tables() if t.info.get(STATE_FOLLOWS) == table.name]


def _table(object_type: str) -> Table:
    table = publishable_tables().get(object_type)
    if table is None:
        known = ", ".join(sorted(publishable_tables())) or "none yet"
        raise NotFoundError(f"no publishable object type {object_type!r} (known: {known})")
    return table


def _key(table: Table, object_id: str | int) -> Any:
    python_type = table.c.id.type.python_type
    try:
        key = python_type(object_id)
    except (TypeError, ValueError) as exc:
        raise NotFoundError(f"no {table.name} {object_id!r}") from exc
    # Integer keys are 32-bit on both backends: a larger number names nothing (and would
    # overflow the database's integer, a 500, if it reached a query).
    if python_type is int and not 1 <= key <= MAX_ID:
        raise NotFoundError(f"no {table.name} {object_id!r}")
    return key


def transition(
    conn: Connection,
    principal: Principal,
    table: Table,
    object_id: str | int,
    to_state: State | str,
    *,
    object_type: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """Move one object to ``to_state`` inside the caller's transaction.

    Raises NotFoundError when the object does not exist or the principal may not even see
    it (so ids reveal nothing), PermissionDenied when it sees it but may not make the move,
    UserError for a move that does not exist.
    """
    kind = object_type or str(table.info.get(PUBLISHABLE, table.name))
    try:
        new = State(to_state)
    except ValueError as exc:
        raise UserError(
            f"{to_state!r} is not a state; use one of {', '.join(s.value for s in State)}"
        ) from exc
    key = _key(table, object_id)
    current = q.owned_state(conn, table, key)
    if current is None or not may_read_owned(
        principal, current["organisation_id"], current["state"]
    ):
        raise NotFoundError(f"no {kind} {object_id}")
    old = State(current["state"])
    reason = refusal(principal, current["organisation_id"], old, new)
    if reason is not None:
        raise PermissionDenied(reason)
    at = now()
    if q.set_state(conn, table, key, old.value, new.value, at) != 1:
        raise UserError(f"{kind} {object_id} changed meanwhile; reload and try again")
    event = {
        "object_type": kind,
        "object_id": str(key),
        "organisation_id": current["organisation_id"],
        "from_state": old.value,
        "to_state": new.value,
        "at": at,
        "user_id": principal.user_id,
        "email": principal.email,
        "note": (note or "").strip()[:2000] or None,
    }
    q.insert_publication_event(conn, event)
    detail = {"from": old.value, "to": new.value, "note": event["note"]}
    record(
        conn,
        principal,
        "state",
        kind,
        object_id=str(key),
        organisation_id=current["organisation_id"],
        rows=1,
        detail=detail,
    )
    parent = {"id": key, "organisation_id": current["organisation_id"]}
    for follower in _followers(table):
        # The rows change too (a write of, say, case records): audited on their own table.
        moved = q.set_follower_state(conn, follower, table, parent, new.value)
        record(
            conn,
            principal,
            "state",
            follower.name,
            object_id=f"{kind}:{key}",
            organisation_id=current["organisation_id"],
            rows=moved,
            detail=detail,
        )
        event[follower.name] = moved
    return event


def change_state(
    db: Database,
    principal: Principal,
    object_type: str,
    object_id: str | int,
    to_state: str,
    note: str | None = None,
) -> dict[str, Any]:
    """:func:`transition` in a transaction of its own, by object type (for API and CLI)."""
    table = _table(object_type)
    with db.begin() as conn:
        return transition(
            conn, principal, table, object_id, to_state, object_type=object_type, note=note
        )


def history(
    db: Database, principal: Principal, object_type: str, object_id: str | int
) -> dict[str, Any]:
    table = _table(object_type)
    key = _key(table, object_id)
    with db.connect() as conn:
        current = q.owned_state(conn, table, key)
        if current is None or not may_read_owned(
            principal, current["organisation_id"], current["state"]
        ):
            raise NotFoundError(f"no {object_type} {object_id}")
        events = q.publication_event_rows(conn, object_type, str(key))
    return {"object_type": object_type, "object_id": str(key), **current, "events": events}


def queue(db: Database, principal: Principal) -> list[dict[str, Any]]:
    """Objects waiting for publication (state submitted), for the admins who publish."""
    if principal.role is not Role.admin:
        raise PermissionDenied("only admins review submissions for publication")
    out: list[dict[str, Any]] = []
    with db.connect() as conn:
        for kind, table in sorted(publishable_tables().items()):
            names = ("title", "name", "file_name")
            label = next((table.c[n] for n in names if n in table.c), table.c.id)
            rows = conn.execute(
                select(
                    table.c.id,
                    label.label("title"),
                    table.c.organisation_id,
                    organisations.c.name.label("organisation"),
                    table.c.state_changed_at,
                )
                .join(organisations, organisations.c.id == table.c.organisation_id)
                .where(table.c.state == State.submitted.value)
                .order_by(table.c.id)
            ).mappings()
            out += [{"object_type": kind, **q.aware_row(r)} for r in rows]
    return out
