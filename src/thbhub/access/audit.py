"""The append-only audit log.  Services call :func:`record` inside the same transaction as the
read or write they log, so the log entry and the action commit or fail together."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert

from thbhub.domain.principals import Principal
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
    conn.execute(
        insert(audit_log),
        {
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
        },
    )
