"""Linkage projects: who is in them, for how long, and what happens when they end.

Organisations that agree form a named project, each opting in (who, when) under the
project's purpose and end date, like a sharing agreement.  At import, a member's records get
a project linkage key (:mod:`thbhub.estimation.linkage_keys`); the hub counts how many
*persons* appear on each combination of the members' lists (one list per organisation) and
estimates the hidden number from that table (:mod:`thbhub.estimation.project_estimates`).

An organisation can leave (its keys are deleted and its staff lose the members' view), the
project's owner (the member organisation in it longest: its creator unless it left) or the
secretariat can end it, and a project past its end date is closed on the next read: its
keys are deleted.  Every change and every read is audited.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, delete, exists, insert, select, update

from thbhub.access import audit
from thbhub.access.agreements import MAX_DAYS, last_instant
from thbhub.access.users import now
from thbhub.domain.errors import NotFoundError, PermissionDenied, UserError
from thbhub.domain.principals import Principal, Role
from thbhub.estimation.disclosure import check_splits, public_splits
from thbhub.estimation.persons import FILTERS
from thbhub.storage import Database
from thbhub.storage.access import aware_row
from thbhub.storage.schema import organisations
from thbhub.storage.schema_estimation import linkage_keys, linkage_members, linkage_projects

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,99}$")
#: Who the audit log names for the projects closed on read after their end date.
CLOSER = Principal(role=Role.admin, email="system:linkage-close", origin="web")


def _contributor(principal: Principal, doing: str) -> int:
    if principal.role is not Role.contributor or principal.organisation_id is None:
        raise PermissionDenied(f"only a contributor of an organisation may {doing}")
    return principal.organisation_id


def _project(conn: Connection, name: str) -> dict[str, Any]:
    row = conn.execute(select(linkage_projects).where(linkage_projects.c.name == name)).first()
    if row is None:
        raise NotFoundError(f"no linkage project {name!r}; see `thbhub linkage list`")
    return aware_row(row._mapping)


def _members(conn: Connection, project_id: int) -> list[dict[str, Any]]:
    q = (
        select(
            linkage_members.c.organisation_id,
            organisations.c.name,
            linkage_members.c.opted_in_at,
            linkage_members.c.opted_in_by,
        )
        .join(organisations, organisations.c.id == linkage_members.c.organisation_id)
        .where(linkage_members.c.project_id == project_id)
        .order_by(linkage_members.c.opted_in_at, linkage_members.c.organisation_id)
    )
    return [aware_row(r._mapping) for r in conn.execute(q)]


def _opt_in(conn: Connection, principal: Principal, project: dict[str, Any], org_id: int) -> None:
    at = now()
    conn.execute(
        insert(linkage_members).values(
            project_id=project["id"],
            organisation_id=org_id,
            opted_in_at=at,
            opted_in_by=principal.email or "unknown",
        )
    )
    audit.record(
        conn,
        principal,
        "create",
        "linkage_membership",
        object_id=project["name"],
        organisation_id=org_id,
        rows=1,
        detail={"purpose": project["purpose"], "valid_until": project["valid_until"].isoformat()},
    )


def create(
    db: Database,
    principal: Principal,
    name: str,
    purpose: str,
    until: date,
    public_by: tuple[str, ...] = FILTERS,
) -> dict[str, Any]:
    """A new project with the caller's organisation as its first member (opted in), whose
    public estimate may be split by ``public_by`` (fixed for the project's life)."""
    org_id = _contributor(principal, "start a linkage project")
    splits = check_splits(public_by)
    if not _NAME.match(name):
        raise UserError(f"linkage project name {name!r}: 2 to 100 letters, digits, '.', '_' or '-'")
    purpose = " ".join(purpose.split())
    if not 3 <= len(purpose) <= 2000:
        raise UserError("state the purpose of the linkage project (3 to 2000 characters)")
    start, end = now(), last_instant(until)
    if end <= start:
        raise UserError(f"the project must end in the future, not on {end.date()}")
    if end - start > timedelta(days=MAX_DAYS):
        raise UserError(f"a linkage project lasts at most {MAX_DAYS} days")
    with db.begin() as conn:
        if conn.execute(
            select(linkage_projects.c.id).where(linkage_projects.c.name == name)
        ).first():
            raise UserError(f"a linkage project {name!r} exists; join it or choose another name")
        values = {
            "name": name,
            "purpose": purpose,
            "valid_until": end,
            "created_at": start,
            "created_by": principal.email or "unknown",
            "public_by": ",".join(splits),
        }
        pid = conn.execute(
            insert(linkage_projects).values(values).returning(linkage_projects.c.id)
        ).scalar_one()
        project = {"id": pid, **values}
        _opt_in(conn, principal, project, org_id)
        return _described(conn, project)


def join(db: Database, principal: Principal, name: str) -> dict[str, Any]:
    """The caller's organisation opts in to the project (its purpose and end date)."""
    org_id = _contributor(principal, "opt in to a linkage project")
    with db.begin() as conn:
        project = _project(conn, name)
        if project["valid_until"] < now():
            raise UserError(f"linkage project {name!r} ended on {project['valid_until'].date()}")
        if any(m["organisation_id"] == org_id for m in _members(conn, project["id"])):
            raise UserError(f"your organisation is already a member of {name!r}")
        _opt_in(conn, principal, project, org_id)
        return _described(conn, project)


def list_projects(db: Database, principal: Principal) -> list[dict[str, Any]]:
    """Every project with its purpose, end date and member organisations; who opted in
    (a staff e-mail) only to signed-in users."""
    close_expired(db)
    with db.read() as conn:
        rows = conn.execute(select(linkage_projects).order_by(linkage_projects.c.name)).all()
        found = [_described(conn, aware_row(r._mapping)) for r in rows]
        audit.record(conn, principal, "read", "linkage_projects", rows=len(found))
    if principal.is_public:
        for row in found:
            row["members"] = [{"organisation": m["organisation"]} for m in row["members"]]
    return found


def _described(conn: Connection, project: dict[str, Any]) -> dict[str, Any]:
    valid_until = project["valid_until"]
    return {
        "name": project["name"],
        "purpose": project["purpose"],
        "valid_until": valid_until.date().isoformat(),
        "active": valid_until >= now(),
        "public_by": list(public_splits(project["public_by"])),
        "owner": owner["name"] if (owner := _owner(conn, project["id"])) else None,
        "members": [
            {
                "organisation": m["name"],
                "opted_in_at": m["opted_in_at"].isoformat(),
                "opted_in_by": m["opted_in_by"],
            }
            for m in _members(conn, project["id"])
        ],
    }


def is_member(principal: Principal, members: list[dict[str, Any]]) -> bool:
    return principal.role in (Role.contributor, Role.analyst) and any(
        m["organisation_id"] == principal.organisation_id for m in members
    )


def principal_organisation(db: Database, principal: Principal) -> str | None:
    """The name of the caller's organisation (None without one)."""
    if principal.organisation_id is None:
        return None
    with db.connect() as conn:
        return conn.execute(
            select(organisations.c.name).where(organisations.c.id == principal.organisation_id)
        ).scalar_one_or_none()


def _owner(conn: Connection, project_id: int) -> dict[str, Any] | None:
    """The member organisation in the project longest (its creator, unless it left)."""
    members = _members(conn, project_id)
    return members[0] if members else None


def _delete_keys(conn: Connection, project_id: int, org_id: int | None = None) -> int:
    q = delete(linkage_keys).where(linkage_keys.c.project_id == project_id)
    if org_id is not None:
        q = q.where(linkage_keys.c.organisation_id == org_id)
    return int(conn.execute(q).rowcount or 0)


def _end_now(conn: Connection, project: dict[str, Any]) -> int:
    """Move the end date to now (if later) and delete every key: nothing links any more."""
    at = now()
    if project["valid_until"] > at:
        conn.execute(
            update(linkage_projects)
            .where(linkage_projects.c.id == project["id"])
            .values(valid_until=at)
        )
        project["valid_until"] = at
    return _delete_keys(conn, project["id"])


def leave(db: Database, principal: Principal, name: str) -> dict[str, Any]:
    """The caller's organisation leaves the project: its linkage keys are deleted (its
    records no longer count), its staff lose the members' view; the last member to leave
    ends the project."""
    org_id = _contributor(principal, "take an organisation out of a linkage project")
    with db.begin() as conn:
        project = _project(conn, name)
        if not any(m["organisation_id"] == org_id for m in _members(conn, project["id"])):
            raise UserError(f"your organisation is not a member of {name!r}")
        deleted = _delete_keys(conn, project["id"], org_id)
        conn.execute(
            delete(linkage_members).where(
                linkage_members.c.project_id == project["id"],
                linkage_members.c.organisation_id == org_id,
            )
        )
        ended = not _members(conn, project["id"])
        if ended:
            deleted += _end_now(conn, project)
        audit.record(
            conn,
            principal,
            "delete",
            "linkage_membership",
            object_id=name,
            organisation_id=org_id,
            rows=deleted,
            detail={"keys_deleted": deleted, "project_ended": ended},
        )
        return _described(conn, project)


def end(db: Database, principal: Principal, name: str) -> dict[str, Any]:
    """End the project now (the owner organisation's contributor or an administrator):
    every key is deleted and no estimate is given any more."""
    with db.begin() as conn:
        project = _project(conn, name)
        owner = _owner(conn, project["id"])
        is_owner = (
            principal.role is Role.contributor
            and owner is not None
            and principal.organisation_id == owner["organisation_id"]
        )
        if not (is_owner or principal.role is Role.admin):
            raise PermissionDenied(
                "only a contributor of the project's owner organisation "
                f"({owner['name'] if owner else 'none left'}) or an administrator may end it"
            )
        if project["valid_until"] < now():
            raise UserError(f"linkage project {name!r} ended on {project['valid_until'].date()}")
        deleted = _end_now(conn, project)
        audit.record(
            conn,
            principal,
            "end",
            "linkage_project",
            object_id=name,
            rows=deleted,
            detail={"keys_deleted": deleted},
        )
        return _described(conn, project)


def close_expired(db: Database) -> int:
    """Delete the keys of every project past its end date (on read: a project's end needs
    no one to act).  Returns how many keys were deleted; audited per project."""
    expired = (
        select(linkage_projects.c.id, linkage_projects.c.name)
        .where(linkage_projects.c.valid_until < now())
        .where(exists().where(linkage_keys.c.project_id == linkage_projects.c.id))
    )
    with db.connect() as conn:  # the cheap check every read makes
        if not conn.execute(expired.limit(1)).first():
            return 0
    total = 0
    with db.begin() as conn:
        for pid, pname in conn.execute(expired).all():
            deleted = _delete_keys(conn, pid)
            total += deleted
            audit.record(
                conn,
                CLOSER,
                "close",
                "linkage_project",
                object_id=pname,
                rows=deleted,
                detail={"keys_deleted": deleted, "reason": "past its end date"},
            )
    return total
