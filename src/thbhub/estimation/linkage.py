"""Linkage projects: multiple systems estimation from the hub's own case records.

Organisations that agree form a named project, each opting in (who, when) under the
project's purpose and end date, like a sharing agreement.  At import, a member's records get
a project linkage key (:mod:`thbhub.estimation.linkage_keys`); the hub counts how many
*persons* appear on each combination of the members' lists (one list per organisation) and
runs the stepwise estimate on that table.

Who sees what (docs/estimation.md):

- the project's members (contributors and analysts of a member organisation): the overlap
  table, the lists' sizes, the estimate and its interval, from all their linked records;
- everybody else, the public included: the estimate and its interval only, from published
  records only, and only when the number of persons seen reaches the disclosure threshold;
- nobody: a linkage key.

Every call is audited.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Connection, Text, cast, insert, select

from thbhub.access import audit
from thbhub.access.agreements import MAX_DAYS, last_instant
from thbhub.access.users import now
from thbhub.cases import counting
from thbhub.cases.service import filter_concept
from thbhub.domain.errors import NotFoundError, PermissionDenied, UserError
from thbhub.domain.principals import Principal, Role
from thbhub.estimation.service import (
    DEFAULT_BOOTSTRAP,
    DEFAULT_SEED,
    DEFAULT_THRESHOLD,
    estimate,
)
from thbhub.estimation.table import CaptureTable
from thbhub.privacy.policy import DisclosurePolicy
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.access import aware_row
from thbhub.storage.schema import organisations
from thbhub.storage.schema_cases import case_records
from thbhub.storage.schema_estimation import linkage_keys, linkage_members, linkage_projects

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,99}$")
#: Keys of the estimate everybody may see once it passes the threshold.
PUBLIC_FIELDS = ("estimate", "ci_low", "ci_high", "method", "threshold", "bootstrap", "seed")


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
    db: Database, principal: Principal, name: str, purpose: str, until: date
) -> dict[str, Any]:
    """A new project with the caller's organisation as its first member (opted in)."""
    org_id = _contributor(principal, "start a linkage project")
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
        "members": [
            {
                "organisation": m["name"],
                "opted_in_at": m["opted_in_at"].isoformat(),
                "opted_in_by": m["opted_in_by"],
            }
            for m in _members(conn, project["id"])
        ],
    }


def page_estimates(
    db: Database, settings: Settings, principal: Principal, n_boot: int
) -> list[dict[str, Any]]:
    """Each project in force with its estimate as ``principal`` may see it (the page)."""
    return [
        project_estimate(db, settings, principal, p["name"], n_boot=n_boot)
        for p in list_projects(db, principal)
        if p["active"]
    ]


def is_member(principal: Principal, members: list[dict[str, Any]]) -> bool:
    return principal.role in (Role.contributor, Role.analyst) and any(
        m["organisation_id"] == principal.organisation_id for m in members
    )


def capture_table(
    conn: Connection,
    project_id: int,
    members: list[dict[str, Any]],
    *,
    year: int | None = None,
    form: str | None = None,
    published_only: bool = False,
) -> CaptureTable:
    """Persons per combination of the members' lists: a person is on an organisation's list
    when one of its (matching) records carries the person's project key."""
    q = (
        select(
            linkage_keys.c.link_key,
            linkage_keys.c.organisation_id,
            # JSON lists as their text, decoded column-wise (as storage.cases.record_frame)
            cast(case_records.c.forms, Text),
            cast(case_records.c.forms_no, Text),
            case_records.c.forms_status,
        )
        .join(case_records, case_records.c.id == linkage_keys.c.record_id)
        .where(linkage_keys.c.project_id == project_id)
    )
    if year is not None:
        q = q.where(case_records.c.year == year)
    if published_only:
        q = q.where(case_records.c.state == "published")
    schema = {
        "link_key": pl.String,
        "organisation_id": pl.Int64,
        "forms": pl.String,
        "forms_no": pl.String,
        "forms_status": pl.String,
    }
    frame = pl.DataFrame(conn.execute(q).all(), schema, orient="row")
    if form is not None and frame.height:
        frame = counting.matching(counting.decode_lists(frame), {"form": form})
    bit = {m["organisation_id"]: 1 << i for i, m in enumerate(members)}
    frame = frame.filter(pl.col("organisation_id").is_in(list(bit)))
    persons = (
        frame.with_columns(pl.col("organisation_id").replace_strict(bit).alias("bit"))
        .group_by("link_key")
        .agg(pl.col("bit").unique().sum().alias("pattern"))
        .group_by("pattern")
        .agg(pl.len().alias("count"))
        .sort("pattern")
    )
    return CaptureTable(
        lists=tuple(m["name"] for m in members),
        patterns=np.asarray(persons["pattern"].to_list(), dtype=np.int64),
        counts=np.asarray(persons["count"].to_list(), dtype=np.int64),
    )


def project_estimate(
    db: Database,
    settings: Settings,
    principal: Principal,
    name: str,
    *,
    year: int | None = None,
    form: str | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    n_boot: int = DEFAULT_BOOTSTRAP,
    seed: int = DEFAULT_SEED,
) -> dict[str, Any]:
    """The project's estimate as the caller may see it (module docstring); audited."""
    policy = DisclosurePolicy.from_settings(settings)
    with db.read() as conn:
        project = _project(conn, name)
        members = _members(conn, project["id"])
        member = is_member(principal, members)
        form_id = filter_concept(conn, "form", form)
        if project["valid_until"] < now():
            raise PermissionDenied(
                f"linkage project {name!r} ended on {project['valid_until'].date()}: its "
                "members' consent to count their records together has expired"
            )
        table = capture_table(
            conn,
            project["id"],
            members,
            year=year,
            form=form_id,
            published_only=not member,
        )
        audit.record(
            conn,
            principal,
            "read",
            "linkage_estimate",
            object_id=name,
            rows=table.observed,
            detail={
                "view": "member" if member else "public",
                "year": year,
                "form": form_id,
            },
        )
    out: dict[str, Any] = {
        "project": name,
        "purpose": project["purpose"],
        "valid_until": project["valid_until"].date().isoformat(),
        "lists": [m["name"] for m in members],
        "year": year,
        "form": form_id,
        "member": member,
    }
    if len(members) < 2:
        out.update(published=False, reason="a project needs at least two member organisations")
        return out
    enough = table.observed >= policy.threshold
    if not member and not enough:
        out.update(
            published=False,
            reason=(
                "fewer persons seen than the disclosure threshold "
                f"({policy.threshold}): no estimate is published"
            ),
        )
        return out
    if table.observed == 0:
        out.update(published=False, reason="no linked person matches")
        return out
    found = estimate(table, threshold=threshold, n_boot=n_boot, seed=seed).as_dict()
    out["published"] = enough
    out.update({k: found[k] for k in PUBLIC_FIELDS})
    if member:
        sizes = {
            m["name"]: int(
                sum(c for p, c in zip(table.patterns, table.counts, strict=True) if p >> i & 1)
            )
            for i, m in enumerate(members)
        }
        out.update(
            observed=found["observed"],
            interactions=found["interactions"],
            warnings=found["warnings"],
            list_sizes=sizes,
            table=table.rows(),
        )
        if not enough:
            out["reason"] = (
                f"fewer persons seen than the disclosure threshold ({policy.threshold}): "
                "members see it, nobody else does"
            )
    return out
