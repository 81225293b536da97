"""A linkage project's estimate as the caller may see it (docs/estimation.md).

- The project's members (contributors and analysts of a member organisation): the overlap
  table, the lists' sizes, the number seen, the estimate and its interval, from all their
  linked records, and beside them what the public sees of the same slice;
- everybody else, the public included: what :mod:`thbhub.estimation.disclosure` makes
  through the disclosure gate from published records only;
- nobody: a linkage key.

Every call is audited.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from thbhub.access import audit
from thbhub.access.users import now
from thbhub.cases.service import filter_concept
from thbhub.domain.errors import PermissionDenied
from thbhub.domain.principals import Principal, Role
from thbhub.estimation import disclosure, persons
from thbhub.estimation.linkage import (
    _members,
    _project,
    close_expired,
    is_member,
    list_projects,
    principal_organisation,
)
from thbhub.estimation.service import (
    DEFAULT_BOOTSTRAP,
    DEFAULT_SEED,
    DEFAULT_THRESHOLD,
    estimate,
)
from thbhub.privacy.policy import DisclosurePolicy
from thbhub.settings import Settings
from thbhub.storage import Database


def page_estimates(
    db: Database, settings: Settings, principal: Principal, n_boot: int
) -> list[dict[str, Any]]:
    """Each project in force with its estimate as ``principal`` may see it, and whether
    the caller may take its organisation out (``may_leave``) or end it (``may_end``)."""
    out = []
    for p in list_projects(db, principal):
        if not p["active"]:
            continue
        found = project_estimate(db, settings, principal, p["name"], n_boot=n_boot)
        contributor = principal.role is Role.contributor
        found["may_leave"] = contributor and found["member"]
        found["may_end"] = principal.role is Role.admin or (
            contributor and p["owner"] == principal_organisation(db, principal)
        )
        out.append(found)
    return out


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
    close_expired(db)
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
        filters = persons.where(year, form_id)
        linked = persons.person_frame(conn, project["id"], members, published_only=not member)
        audit.record(
            conn,
            principal,
            "read",
            "linkage_estimate",
            object_id=name,
            rows=linked.height,
            detail={"view": "member" if member else "public", "year": year, "form": form_id},
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
        return out | {"published": False, "reason": "a project needs at least two members"}
    params: dict[str, Any] = {"threshold": threshold, "n_boot": n_boot, "seed": seed}
    if not member:
        # Everything a non-member sees is made by the gate, in one place.
        view = disclosure.public_view(
            linked, out["lists"], policy, f"linkage:{project['id']}", filters,
            splits=disclosure.public_splits(project["public_by"]), **params,
        )  # fmt: skip
        return out | view
    return out | _member_view(db, project, members, linked, filters, policy, params)


def _member_view(
    db: Database,
    project: dict[str, Any],
    members: list[dict[str, Any]],
    linked: pl.DataFrame,
    filters: dict[str, str],
    policy: DisclosurePolicy,
    params: dict[str, Any],
) -> dict[str, Any]:
    """The true overlap table and estimate from all the members' linked records, and
    beside them what the public sees of the same slice (from published records only)."""
    with db.connect() as conn:
        shown = persons.person_frame(conn, project["id"], members, published_only=True)
    public = disclosure.public_view(
        shown, [m["name"] for m in members], policy, f"linkage:{project['id']}", filters,
        splits=disclosure.public_splits(project["public_by"]), **params,
    )  # fmt: skip
    table = persons.capture_table(linked, members, filters)
    out: dict[str, Any] = {"published": public["published"], "public": public}
    if table.observed == 0:
        return out | {"observed": 0, "reason": "no linked person matches"}
    found = estimate(table, **params).as_dict()
    sizes = {
        m["name"]: int(
            sum(c for p, c in zip(table.patterns, table.counts, strict=True) if p >> i & 1)
        )
        for i, m in enumerate(members)
    }
    out.update({k: found[k] for k in disclosure.PUBLIC_FIELDS})
    out.update(
        observed=found["observed"],
        interactions=found["interactions"],
        warnings=found["warnings"],
        list_sizes=sizes,
        table=table.rows(),
    )
    if not public["published"]:
        out["reason"] = f"members see it; the public does not: {public['reason']}"
    return out
