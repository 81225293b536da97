"""The rules of who may read and manage owned data, in one place.

Raw case records are readable only by members of the owning organisation (contributor or
analyst), or of an organisation the owner granted access in a sharing agreement that is in
force now.  Admins manage organisations, users and publication but do not thereby read raw
case records.  Published objects are readable by everyone; unpublished ones by their owner's
members, and, once submitted, by admins, who review them for publication.

The pure functions take what they need as arguments; :func:`readable_owners` and
:func:`raw_records_filter` look up the sharing agreements in force.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, false, or_
from sqlalchemy.sql.elements import ColumnElement

from thbhub.access.users import now
from thbhub.domain.principals import Principal, Role
from thbhub.storage import access as q

READERS = (Role.contributor, Role.analyst)


def may_read_raw_records(
    principal: Principal, owner_organisation_id: int, shared_with: Collection[int] = ()
) -> bool:
    """``shared_with``: organisations the owner currently shares with (see
    :func:`readable_owners` for the reverse lookup)."""
    if principal.role not in READERS:
        return False
    if principal.organisation_id is None:
        return False
    return principal.organisation_id == owner_organisation_id or (
        principal.organisation_id in shared_with
    )


def may_write_records(principal: Principal, owner_organisation_id: int) -> bool:
    return principal.role is Role.contributor and (
        principal.organisation_id == owner_organisation_id
    )


def readable_owners(
    conn: Connection,
    principal: Principal,
    object_type: str = "case_records",
    at: datetime | None = None,
) -> frozenset[int]:
    """Organisations whose raw ``object_type`` the principal may read right now (or ``at``):
    its own and those with a sharing agreement in force granting its organisation access."""
    if principal.role not in READERS or principal.organisation_id is None:
        return frozenset()
    owners = q.granting_organisations(conn, principal.organisation_id, object_type, at or now())
    return frozenset({principal.organisation_id, *owners})


def agreements_for(
    conn: Connection, owner_organisation_id: int, object_type: str = "case_records"
) -> frozenset[int]:
    """Organisations the owner shares its raw ``object_type`` with under an agreement in
    force now: the ``shared_with`` of :func:`may_read_raw_records`."""
    return frozenset(q.grantee_organisations(conn, owner_organisation_id, object_type, now()))


def raw_records_filter(
    conn: Connection, principal: Principal, table: Table, object_type: str = "case_records"
) -> ColumnElement[bool]:
    """A WHERE clause limiting ``table`` (with an ``organisation_id``) to readable rows."""
    owners = readable_owners(conn, principal, object_type)
    return table.c.organisation_id.in_(sorted(owners)) if owners else false()


def may_read_owned(principal: Principal, owner_organisation_id: int, state: str) -> bool:
    """Datasets and other owned objects (not raw case records): published is public."""
    if state == "published":
        return True
    if principal.role is Role.admin:
        return state in ("submitted", "withdrawn")
    return principal.role in READERS and principal.organisation_id == owner_organisation_id


def owned_filter(principal: Principal, table: Table) -> ColumnElement[bool]:
    """A WHERE clause for :func:`may_read_owned` over a table with ownership columns."""
    published: ColumnElement[Any] = table.c.state == "published"
    if principal.role is Role.admin:
        return or_(published, table.c.state.in_(("submitted", "withdrawn")))
    if principal.role in READERS and principal.organisation_id is not None:
        return or_(published, table.c.organisation_id == principal.organisation_id)
    return published
