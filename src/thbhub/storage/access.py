"""Queries of the access area: organisations, users, sessions, tokens, agreements, audit.

Times are stored in UTC.  SQLite hands ``DateTime(timezone=True)`` values back without a
zone, so every row read here goes through :func:`aware` before it leaves the module.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, and_, delete, func, insert, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

import thbhub.storage
from thbhub.storage.schema import audit_log, metadata, organisations
from thbhub.storage.schema_access import (
    PUBLISHABLE,
    STATE_FOLLOWS,
    api_tokens,
    publication_events,
    sharing_agreements,
    user_sessions,
    users,
)


def aware(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def aware_row(mapping: Any) -> dict[str, Any]:
    return {k: aware(v) for k, v in dict(mapping).items()}


def _rows(result: Iterable[Any]) -> list[dict[str, Any]]:
    return [aware_row(r) for r in result]


# --- organisations ---------------------------------------------------------------------------


def insert_organisation(conn: Connection, values: dict[str, Any]) -> int:
    return int(
        conn.execute(insert(organisations).returning(organisations.c.id), values).scalar_one()
    )


def organisation_rows(conn: Connection) -> list[dict[str, Any]]:
    members = (
        select(users.c.organisation_id, func.count().label("users"))
        .where(users.c.disabled.is_(False))
        .group_by(users.c.organisation_id)
        .subquery()
    )
    q = (
        select(organisations, func.coalesce(members.c.users, 0).label("users"))
        .outerjoin(members, members.c.organisation_id == organisations.c.id)
        .order_by(organisations.c.name)
    )
    return _rows(conn.execute(q).mappings())


def organisation_by(conn: Connection, *, name: str | None = None, id: int | None = None) -> Any:
    q = select(organisations)
    if name is not None:
        q = q.where(func.lower(organisations.c.name) == name.lower())
    if id is not None:
        q = q.where(organisations.c.id == id)
    row = conn.execute(q).mappings().first()
    return aware_row(row) if row else None


# --- users -----------------------------------------------------------------------------------

_USER_COLUMNS = [
    users.c.id,
    users.c.email,
    users.c.organisation_id,
    organisations.c.name.label("organisation"),
    users.c.role,
    users.c.disabled,
    users.c.failed_logins,
    users.c.locked_until,
    users.c.created_at,
    users.c.last_login_at,
    users.c.created_by,
    users.c.approved_at,
    users.c.approved_by,
]


def insert_user(conn: Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(insert(users).returning(users.c.id), values).scalar_one())


def user_rows(conn: Connection, organisation_id: int | None = None) -> list[dict[str, Any]]:
    q = select(*_USER_COLUMNS).join(organisations, organisations.c.id == users.c.organisation_id)
    if organisation_id is not None:
        q = q.where(users.c.organisation_id == organisation_id)
    return _rows(conn.execute(q.order_by(users.c.email)).mappings())


def user_by(
    conn: Connection, *, email: str | None = None, id: int | None = None, secrets: bool = False
) -> dict[str, Any] | None:
    cols = [*_USER_COLUMNS, users.c.password_hash] if secrets else _USER_COLUMNS
    q = select(*cols).join(organisations, organisations.c.id == users.c.organisation_id)
    if email is not None:
        q = q.where(users.c.email == email.strip().lower())
    if id is not None:
        q = q.where(users.c.id == id)
    row = conn.execute(q).mappings().first()
    return aware_row(row) if row else None


def update_user(conn: Connection, user_id: int, values: dict[str, Any]) -> None:
    conn.execute(update(users).where(users.c.id == user_id), values)


def approve_user(conn: Connection, user_id: int, at: datetime | None, by: str | None) -> None:
    """Set (or, with ``None``, clear) an account's approval by its organisation."""
    update_user(conn, user_id, {"approved_at": at, "approved_by": by})


def approved_contributors(
    conn: Connection, organisation_id: int, exclude_user_id: int | None = None
) -> int:
    """Enabled, approved contributors of an organisation (who could approve an account)."""
    q = (
        select(func.count())
        .select_from(users)
        .where(
            users.c.organisation_id == organisation_id,
            users.c.role == "contributor",
            users.c.disabled.is_(False),
            users.c.approved_at.is_not(None),
        )
    )
    if exclude_user_id is not None:
        q = q.where(users.c.id != exclude_user_id)
    return int(conn.execute(q).scalar_one())


def owned_tables() -> list[Table]:
    """Every table holding an organisation's own data: publishable objects (datasets, case
    imports) and the rows that follow them (case records), from every ``schema_*`` module."""
    for mod in pkgutil.iter_modules(thbhub.storage.__path__):
        if mod.name.startswith("schema_"):
            importlib.import_module(f"thbhub.storage.{mod.name}")
    return [
        t
        for t in metadata.tables.values()
        if (PUBLISHABLE in t.info or STATE_FOLLOWS in t.info) and "organisation_id" in t.c
    ]


def organisation_holds_data(conn: Connection, organisation_id: int, now: datetime) -> bool:
    """Whether the organisation has anything of its own in any owned table, or reads
    another's case records under a sharing agreement in force."""
    for table in owned_tables():
        q = select(table.c.organisation_id).where(table.c.organisation_id == organisation_id)
        if conn.execute(q.limit(1)).first() is not None:
            return True
    return bool(granting_organisations(conn, organisation_id, "case_records", now))


def count_admins(conn: Connection) -> int:
    q = select(func.count()).select_from(users).where(users.c.role == "admin")
    return int(conn.execute(q.where(users.c.disabled.is_(False))).scalar_one())


# --- sessions --------------------------------------------------------------------------------


def insert_session(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(insert(user_sessions), values)


def session_user(conn: Connection, session_hash: str, now: datetime) -> dict[str, Any] | None:
    """The enabled user of a live session, or None."""
    q = (
        select(*_USER_COLUMNS)
        .join(organisations, organisations.c.id == users.c.organisation_id)
        .join(user_sessions, user_sessions.c.user_id == users.c.id)
        .where(
            user_sessions.c.id == session_hash,
            user_sessions.c.ended_at.is_(None),
            user_sessions.c.expires_at > now,
            users.c.disabled.is_(False),
        )
    )
    row = conn.execute(q).mappings().first()
    return aware_row(row) if row else None


def end_sessions(
    conn: Connection, now: datetime, *, session_hash: str | None = None, user_id: int | None = None
) -> None:
    q = update(user_sessions).where(user_sessions.c.ended_at.is_(None))
    if session_hash is not None:
        q = q.where(user_sessions.c.id == session_hash)
    if user_id is not None:
        q = q.where(user_sessions.c.user_id == user_id)
    conn.execute(q, {"ended_at": now})


def purge_sessions(conn: Connection, user_id: int, before: datetime) -> None:
    conn.execute(
        delete(user_sessions).where(
            user_sessions.c.user_id == user_id,
            or_(user_sessions.c.expires_at < before, user_sessions.c.ended_at < before),
        )
    )


# --- API tokens ------------------------------------------------------------------------------

_TOKEN_COLUMNS = [
    api_tokens.c.id,
    api_tokens.c.user_id,
    users.c.email,
    api_tokens.c.name,
    api_tokens.c.prefix,
    api_tokens.c.scopes,
    api_tokens.c.created_at,
    api_tokens.c.expires_at,
    api_tokens.c.revoked_at,
    api_tokens.c.last_used_at,
]


def insert_token(conn: Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(insert(api_tokens).returning(api_tokens.c.id), values).scalar_one())


def token_user(conn: Connection, token_hash: str, now: datetime) -> dict[str, Any] | None:
    """The enabled user of a live (unexpired, unrevoked) token, with the token's scopes."""
    q = (
        select(
            *_USER_COLUMNS,
            api_tokens.c.id.label("token_id"),
            api_tokens.c.scopes,
            # token_principal writes the use at most once a minute by it (without it, every
            # API call was a write transaction).
            api_tokens.c.last_used_at,
        )
        .join(organisations, organisations.c.id == users.c.organisation_id)
        .join(api_tokens, api_tokens.c.user_id == users.c.id)
        .where(
            api_tokens.c.token_hash == token_hash,
            api_tokens.c.revoked_at.is_(None),
            api_tokens.c.expires_at > now,
            users.c.disabled.is_(False),
        )
    )
    row = conn.execute(q).mappings().first()
    return aware_row(row) if row else None


def touch_token(conn: Connection, token_id: int, now: datetime) -> None:
    conn.execute(update(api_tokens).where(api_tokens.c.id == token_id), {"last_used_at": now})


def token_rows(conn: Connection, user_id: int | None = None) -> list[dict[str, Any]]:
    q = select(*_TOKEN_COLUMNS).join(users, users.c.id == api_tokens.c.user_id)
    if user_id is not None:
        q = q.where(api_tokens.c.user_id == user_id)
    return _rows(conn.execute(q.order_by(api_tokens.c.id)).mappings())


def token_by_id(conn: Connection, token_id: int) -> dict[str, Any] | None:
    q = select(*_TOKEN_COLUMNS).join(users, users.c.id == api_tokens.c.user_id)
    row = conn.execute(q.where(api_tokens.c.id == token_id)).mappings().first()
    return aware_row(row) if row else None


def revoke_tokens(
    conn: Connection, now: datetime, *, token_id: int | None = None, user_id: int | None = None
) -> int:
    q = update(api_tokens).where(api_tokens.c.revoked_at.is_(None))
    if token_id is not None:
        q = q.where(api_tokens.c.id == token_id)
    if user_id is not None:
        q = q.where(api_tokens.c.user_id == user_id)
    return int(conn.execute(q, {"revoked_at": now}).rowcount or 0)


# --- sharing agreements ----------------------------------------------------------------------


def insert_agreement(conn: Connection, values: dict[str, Any]) -> int:
    q = insert(sharing_agreements).returning(sharing_agreements.c.id)
    return int(conn.execute(q, values).scalar_one())


def agreement_rows(
    conn: Connection, organisation_id: int | None = None, agreement_id: int | None = None
) -> list[dict[str, Any]]:
    owner = organisations.alias("owner")
    grantee = organisations.alias("grantee")
    sa = sharing_agreements
    q = (
        select(sa, owner.c.name.label("owner"), grantee.c.name.label("grantee"))
        .join(owner, owner.c.id == sa.c.owner_organisation_id)
        .join(grantee, grantee.c.id == sa.c.grantee_organisation_id)
    )
    if organisation_id is not None:
        q = q.where(
            or_(
                sa.c.owner_organisation_id == organisation_id,
                sa.c.grantee_organisation_id == organisation_id,
            )
        )
    if agreement_id is not None:
        q = q.where(sa.c.id == agreement_id)
    return _rows(conn.execute(q.order_by(sa.c.id)).mappings())


def revoke_agreement(conn: Connection, agreement_id: int, now: datetime, by: str) -> None:
    conn.execute(
        update(sharing_agreements).where(sharing_agreements.c.id == agreement_id),
        {"revoked_at": now, "revoked_by": by},
    )


def granting_organisations(
    conn: Connection, grantee_id: int, object_type: str, now: datetime
) -> set[int]:
    """Owners that, right now, grant ``grantee_id`` read access to their ``object_type``."""
    sa = sharing_agreements
    q = select(sa.c.owner_organisation_id).where(
        sa.c.grantee_organisation_id == grantee_id,
        sa.c.object_type == object_type,
        sa.c.revoked_at.is_(None),
        sa.c.valid_from <= now,
        sa.c.valid_until >= now,  # the last instant of the last day is included
    )
    return {int(v) for v in conn.scalars(q)}


def grantee_organisations(
    conn: Connection, owner_id: int, object_type: str, now: datetime
) -> set[int]:
    """Organisations that ``owner_id`` grants read access to its ``object_type`` right now."""
    sa = sharing_agreements
    q = select(sa.c.grantee_organisation_id).where(
        sa.c.owner_organisation_id == owner_id,
        sa.c.object_type == object_type,
        sa.c.revoked_at.is_(None),
        sa.c.valid_from <= now,
        sa.c.valid_until >= now,  # the last instant of the last day is included
    )
    return {int(v) for v in conn.scalars(q)}


# --- publication -----------------------------------------------------------------------------


def owned_state(conn: Connection, table: Table, object_id: Any) -> dict[str, Any] | None:
    q = select(table.c.organisation_id, table.c.state).where(table.c.id == object_id)
    row = conn.execute(q.with_for_update() if conn.dialect.name != "sqlite" else q).mappings()
    first = row.first()
    return dict(first) if first else None


def set_state(
    conn: Connection, table: Table, object_id: Any, from_state: str, to_state: str, now: datetime
) -> int:
    # The from_state condition makes two racing transitions of one object safe: one wins.
    q = update(table).where(table.c.id == object_id, table.c.state == from_state)
    return int(conn.execute(q, {"state": to_state, "state_changed_at": now}).rowcount or 0)


def set_follower_state(
    conn: Connection, follower: Table, parent: Table, values: dict[str, Any], to_state: str
) -> int:
    """Set ``state`` on every row of ``follower`` whose foreign key to ``parent`` names the
    parent row with ``values`` (parent column -> value, e.g. id and organisation_id): one
    UPDATE, so that a large import's records move with it in the same transaction."""
    keys = next(
        (fk for fk in follower.foreign_key_constraints if fk.referred_table is parent), None
    )
    if keys is None:
        raise ValueError(f"{follower.name} has no foreign key to {parent.name}")
    q = update(follower).where(*(e.parent == values[e.column.name] for e in keys.elements))
    return int(conn.execute(q, {"state": to_state}).rowcount or 0)


def insert_publication_event(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(insert(publication_events), values)


def publication_event_rows(
    conn: Connection, object_type: str, object_id: str
) -> list[dict[str, Any]]:
    q = (
        select(publication_events)
        .where(
            publication_events.c.object_type == object_type,
            publication_events.c.object_id == object_id,
        )
        .order_by(publication_events.c.id)
    )
    return _rows(conn.execute(q).mappings())


# --- audit log -------------------------------------------------------------------------------


def failed_logins_from(conn: Connection, address: str, since: datetime) -> int:
    q = (
        select(func.count())
        .select_from(audit_log)
        .where(
            audit_log.c.at >= since,
            audit_log.c.address == address,
            audit_log.c.action.in_(("login_failed", "lock")),
        )
    )
    return int(conn.execute(q).scalar_one())


def audit_rows(
    conn: Connection,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    email: str | None = None,
    organisation_id: int | None = None,
    action: str | None = None,
    object_type: str | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Audit entries, newest first.  ``organisation_id`` matches the actor's organisation or
    the organisation whose data was touched."""
    conds: list[ColumnElement[bool]] = []
    if since is not None:
        conds.append(audit_log.c.at >= since)
    if until is not None:
        conds.append(audit_log.c.at < until)
    if email is not None:
        conds.append(audit_log.c.email == email.strip().lower())
    if organisation_id is not None:
        conds.append(
            or_(
                audit_log.c.actor_organisation_id == organisation_id,
                audit_log.c.organisation_id == organisation_id,
            )
        )
    if action is not None:
        conds.append(audit_log.c.action == action)
    if object_type is not None:
        conds.append(audit_log.c.object_type == object_type)
    q = select(audit_log).where(and_(True, *conds))
    q = q.order_by(audit_log.c.id.desc()).limit(limit).offset(offset)
    return _rows(conn.execute(q).mappings())
