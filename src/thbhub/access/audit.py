"""The append-only audit log.  Services call :func:`record` inside the same transaction as the
write they log, so the log entry and the action commit or fail together; a read calls it on
its :meth:`Database.read` connection, which writes the entry when the read ends (the read
returns nothing if that write fails)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert

from thbhub.domain.errors import PermissionDenied
from thbhub.domain.principals import Principal, Role
from thbhub.storage import Database
from thbhub.storage.access import audit_rows
from thbhub.storage.database import defer_write
from thbhub.storage.schema import audit_log


def record(
    conn: Connection,
    principal: Principal,
    action: str,
    object_type: str,
    *,
    object_id: str | None = None,
    organisation_id: int | None = None,
    rows: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Log one action, e.g. ``record(conn, who, "read", "case_records", rows=120)``.

    ``organisation_id`` is the organisation whose data was touched (the owner), which may
    differ from the principal's own organisation under a sharing agreement.
    """
    values = {
        "at": datetime.now(UTC),
        "user_id": principal.user_id,
        "email": principal.email,
        "actor_organisation_id": principal.organisation_id,
        "role": principal.role.value,
        "origin": principal.origin,
        "address": principal.address,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "organisation_id": organisation_id,
        "rows": rows,
        "detail": detail or {},
    }
    # In a read (Database.read) the entry is written right after it, in a short write of its
    # own; in a write transaction, with the write.
    if not defer_write(conn, insert(audit_log), values):
        conn.execute(insert(audit_log), values)


def entries(
    db: Database,
    principal: Principal,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    email: str | None = None,
    organisation: str | int | None = None,
    action: str | None = None,
    object_type: str | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Audit entries, newest first; readable only by admins (and the operator at the CLI).

    Reading the log through the web is itself logged, so who looked is on record too.
    """
    from thbhub.access.users import find_organisation

    if principal.role is not Role.admin:
        raise PermissionDenied("only the secretariat's administrators may read the audit log")
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    if until is not None and until.tzinfo is None:
        until = until.replace(tzinfo=UTC)
    with db.read() as conn:
        org_id = find_organisation(conn, organisation)["id"] if organisation else None
        rows = audit_rows(
            conn,
            since=since,
            until=until,
            email=email,
            organisation_id=org_id,
            action=action,
            object_type=object_type,
            limit=max(1, min(limit, 10000)),
            offset=max(0, offset),
        )
        if principal.origin != "cli":
            record(
                conn,
                principal,
                "read",
                "audit_log",
                rows=len(rows),
                detail={"email": email, "organisation": org_id, "action": action},
            )
    return rows
