"""Who may read and change the portfolio.

Reading: everyone reads the plan, presidency priorities, indicators and the projects marked
public (with their activities, outputs and participants) and the reviews marked public; a
logged-in member of any organisation (contributor, analyst or admin, approved) reads all of
it.  Changing: the whole portfolio (import, export of internal rows) belongs to the
secretariat — its admins and the contributors of an organisation of kind ``secretariat``
(and the operator at the CLI); a project's status may also be changed by the contributors of
the organisation that owns the project.
"""

from __future__ import annotations

from typing import Any

from thbhub.domain.principals import Principal, Role
from thbhub.plan.sheets import Portfolio

MEMBERS = (Role.contributor, Role.analyst, Role.admin)


def reads_internal(principal: Principal) -> bool:
    return (
        principal.role in MEMBERS
        and principal.organisation_id is not None
        or (principal.origin == "cli" and principal.role is Role.admin)
    )


def is_secretariat(principal: Principal, organisation_kind: str | None) -> bool:
    if principal.role is Role.admin:
        return True
    return principal.role is Role.contributor and organisation_kind == "secretariat"


def may_edit_project(
    principal: Principal, organisation_kind: str | None, owner_organisation_id: int | None
) -> bool:
    if is_secretariat(principal, organisation_kind):
        return True
    return (
        principal.role is Role.contributor
        and owner_organisation_id is not None
        and principal.organisation_id == owner_organisation_id
    )


def visible(portfolio: Portfolio, principal: Principal) -> Portfolio:
    """The part of ``portfolio`` the principal may read."""
    if reads_internal(principal):
        return portfolio
    projects = [p for p in portfolio["projects"] if p["public"]]
    keys = {p["id"] for p in projects}
    activities = [a for a in portfolio["activities"] if a["project"] in keys]
    activity_keys = {a["id"] for a in activities}
    out: dict[str, Any] = dict(portfolio)
    out["projects"] = [
        {**p, "builds_on": [k for k in p["builds_on"] if k in keys]} for p in projects
    ]
    out["activities"] = activities
    out["participants"] = [r for r in portfolio["participants"] if r["activity"] in activity_keys]
    out["outputs"] = [o for o in portfolio["outputs"] if o["project"] in keys]
    out["reviews"] = [r for r in portfolio["reviews"] if r["public"]]
    return out
