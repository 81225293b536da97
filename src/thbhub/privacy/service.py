"""Privacy services shared by the API and the pages: the public policy, and the owner's
releases, utility reports and budget (each checked against who is asking)."""

from __future__ import annotations

from typing import Any

from thbhub.access.policy import may_read_raw_records
from thbhub.domain.errors import NotFoundError, PermissionDenied
from thbhub.domain.principals import Principal
from thbhub.privacy import ledger
from thbhub.privacy.policy import DisclosurePolicy
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage import privacy as q


def policy_info(settings: Settings) -> dict[str, Any]:
    """What anyone may know about how outputs from case records are protected."""
    policy = DisclosurePolicy.from_settings(settings)
    return {
        **policy.as_dict(),
        "methods": {
            "tables": "primary and secondary cell suppression over a lattice of tables, "
            "audited by linear programming; every shown count moved by at most "
            f"{policy.noise_bound} by the cell key method (the same records always give the "
            "same number), so that tables of successive data versions cannot be subtracted",
            "kanon": "k-anonymous microdata: generalisation (age bands, year ranges, country "
            "to region) and minimal record suppression",
            "dp": "differentially private counts of attribute combinations (OpenDP) and "
            "synthetic records generated from them",
        },
        "budget": {
            "epsilon_per_dataset": settings.privacy_epsilon_budget,
            "delta_per_dataset": settings.privacy_delta_budget,
        },
    }


def _owner(principal: Principal, organisation_id: int) -> None:
    if not may_read_raw_records(principal, organisation_id):
        raise PermissionDenied(
            "releases, utility reports and the budget are visible to the owning organisation only"
        )


def owner_releases(
    db: Database, settings: Settings, principal: Principal, organisation_id: int | None = None
) -> dict[str, Any]:
    org = organisation_id if organisation_id is not None else principal.organisation_id
    if org is None:
        raise PermissionDenied("sign in as a member of an organisation to see its releases")
    _owner(principal, org)
    with db.connect() as conn:
        rows = q.release_rows(conn, org)
    datasets = sorted({r["dataset"] for r in rows} | {"cases"})
    return {
        "organisation_id": org,
        "releases": [_brief(r) for r in rows],
        "budgets": [ledger.status(db, settings, org, d) for d in datasets],
    }


def owner_release(db: Database, principal: Principal, release_id: int) -> dict[str, Any]:
    with db.connect() as conn:
        row = q.release_row(conn, release_id)
    # Another organisation's release id reveals nothing: not found, not forbidden.
    if row is None or not may_read_raw_records(principal, row["organisation_id"]):
        raise NotFoundError(f"no release {release_id}")
    return row


def _brief(row: dict[str, Any]) -> dict[str, Any]:
    utility = row.get("utility") or {}
    overall = (utility.get("aggregates") or {}).get("overall") or {}
    return {
        "id": row["id"],
        "dataset": row["dataset"],
        "method": row["method"],
        "format": row["format"],
        "created_at": row["created_at"],
        "created_by": row["created_by"],
        "epsilon": row["summary"].get("epsilon"),
        "records_lost": utility.get("records_lost"),
        "suppressed_pct": overall.get("suppressed_pct"),
        "fabricated_pct": overall.get("fabricated_pct"),
        "mae": overall.get("mae"),
    }
