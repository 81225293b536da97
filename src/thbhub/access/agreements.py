"""Sharing agreements: an owner organisation grants another read access to its raw records.

An agreement is recorded (who, when, purpose), time-limited (``valid_until`` is required)
and revocable; creating and revoking are audited.  Only the owner's contributors (or the
operator at the CLI acting for the owner) grant and revoke: the owner stays in control.
Admins see every agreement but cannot make one for an owner.

The end date people enter is the *last day* of access, inclusive: "until 2027-06-30" gives
access through 2027-06-30 23:59:59.999999 UTC and not on 2027-07-01.  ``valid_until`` stores
that last instant, so the stored value, its date as listed everywhere, and the policy's test
(``valid_from <= now <= valid_until``) say the same thing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from thbhub.access.audit import record
from thbhub.access.users import find_organisation, now
from thbhub.domain.errors import NotFoundError, PermissionDenied, UserError
from thbhub.domain.principals import Principal, Role
from thbhub.storage import Database
from thbhub.storage import access as q

#: What an agreement may share.  Case records are the only raw data owned per organisation.
SHAREABLE = ("case_records",)
MAX_DAYS = 3 * 366


def last_instant(day: date) -> datetime:
    """The end of an agreement whose last day of access is ``day`` (inclusive), in UTC."""
    if isinstance(day, datetime):
        day = day.date()
    return datetime.combine(day, time.max, tzinfo=UTC)


def in_force(row: dict[str, Any], at: datetime) -> bool:
    """The same test as the policy's query (storage.access.granting_organisations)."""
    return row["revoked_at"] is None and row["valid_from"] <= at <= row["valid_until"]


def grant(
    db: Database,
    principal: Principal,
    grantee: str | int,
    until: date,
    purpose: str,
    object_type: str = "case_records",
    owner: str | int | None = None,
) -> dict[str, Any]:
    """Record that the principal's organisation (the owner) shares ``object_type`` with
    ``grantee`` through ``until`` (the last day of access, inclusive).

    An agreement identical to one in force (same grantee, object type and purpose) is
    refused: it would add nothing but a second row to revoke."""
    if principal.role is not Role.contributor or principal.organisation_id is None:
        raise PermissionDenied("only a contributor of the owning organisation may share its data")
    if object_type not in SHAREABLE:
        raise UserError(f"{object_type!r} cannot be shared; shareable: {', '.join(SHAREABLE)}")
    purpose = " ".join(purpose.split())
    if not 3 <= len(purpose) <= 2000:
        raise UserError("state the purpose of the agreement (3 to 2000 characters)")
    start = now()
    end = last_instant(until)
    if end <= start:
        raise UserError(f"the agreement must end in the future, not on {end.date()}")
    if end - start > timedelta(days=MAX_DAYS):
        raise UserError(f"an agreement lasts at most {MAX_DAYS} days; renew it when it ends")
    with db.begin() as conn:
        owner_id = principal.organisation_id
        if owner is not None and find_organisation(conn, owner)["id"] != owner_id:
            raise PermissionDenied("you may share only your own organisation's data")
        target = find_organisation(conn, grantee)
        if target["id"] == owner_id:
            raise UserError("an organisation already reads its own records")
        for row in q.agreement_rows(conn, owner_id):
            if (
                row["grantee_organisation_id"] == target["id"]
                and row["object_type"] == object_type
                and _same_purpose(row["purpose"], purpose)
                and in_force(row, start)
            ):
                raise UserError(
                    f"agreement {row['id']} already shares {object_type.replace('_', ' ')} "
                    f"with {target['name']} for this purpose, until "
                    f"{row['valid_until'].date()}; to change its end, revoke it and grant "
                    "a new one"
                )
        values = {
            "owner_organisation_id": owner_id,
            "grantee_organisation_id": target["id"],
            "object_type": object_type,
            "purpose": purpose,
            "valid_from": start,
            "valid_until": end,
            "created_at": start,
            "created_by": principal.email or "unknown",
        }
        agreement_id = q.insert_agreement(conn, values)
        record(
            conn,
            principal,
            "create",
            "sharing_agreement",
            object_id=str(agreement_id),
            organisation_id=owner_id,
            rows=1,
            detail={
                "grantee": target["name"],
                "object_type": object_type,
                "valid_until": end.isoformat(),
            },
        )
        return q.agreement_rows(conn, agreement_id=agreement_id)[0]


def list_agreements(
    db: Database, principal: Principal, organisation: str | int | None = None
) -> list[dict[str, Any]]:
    """Agreements an organisation is party to; admins (and the operator) see all."""
    with db.connect() as conn:
        if principal.role is Role.admin:
            org_id = find_organisation(conn, organisation)["id"] if organisation else None
        elif principal.organisation_id is None:
            raise PermissionDenied("log in to see your organisation's sharing agreements")
        elif principal.role not in (Role.contributor, Role.analyst):
            # A pending account (not approved by its organisation) sees nothing of it.
            return []
        else:
            org_id = principal.organisation_id
        rows = q.agreement_rows(conn, org_id)
    at = now()
    for row in rows:
        row["active"] = in_force(row, at)
    return rows


def _same_purpose(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def revoke(db: Database, principal: Principal, agreement_id: int) -> dict[str, Any]:
    with db.begin() as conn:
        rows = q.agreement_rows(conn, agreement_id=agreement_id)
        party = rows and principal.organisation_id in (
            rows[0]["owner_organisation_id"],
            rows[0]["grantee_organisation_id"],
        )
        if not rows or (principal.role is not Role.admin and not party):
            raise NotFoundError(f"no sharing agreement {agreement_id}")
        row = rows[0]
        if not (
            principal.role is Role.contributor
            and principal.organisation_id == row["owner_organisation_id"]
        ):
            raise PermissionDenied("only a contributor of the owning organisation may revoke it")
        if row["revoked_at"] is None:
            q.revoke_agreement(conn, agreement_id, now(), principal.email or "unknown")
            record(
                conn,
                principal,
                "revoke",
                "sharing_agreement",
                object_id=str(agreement_id),
                organisation_id=row["owner_organisation_id"],
                rows=1,
                detail={"grantee": row["grantee"]},
            )
        return q.agreement_rows(conn, agreement_id=agreement_id)[0]
