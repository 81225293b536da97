"""The privacy-budget ledger: what each organisation has spent on each dataset.

Releases compose by basic composition: the epsilons (and deltas) of an organisation's
releases of one dataset add up, and a release that would take the sum past the configured
budget (``THBHUB_PRIVACY_EPSILON_BUDGET``, ``THBHUB_PRIVACY_DELTA_BUDGET``) is refused.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from thbhub.domain.errors import NotFoundError, UserError
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage import privacy as q

# Floating-point slack so that spending exactly the budget is allowed.
_EPS = 1e-9


class BudgetExceeded(UserError):
    status_code = 409


def check(
    conn: Connection,
    settings: Settings,
    organisation_id: int,
    dataset: str,
    epsilon: float,
    delta: float,
    *,
    already_recorded: bool = False,
) -> None:
    """Refuse if spending (epsilon, delta) would exceed the budget.

    With ``already_recorded`` the spend is in the ledger already (inserted in this
    transaction), which is how concurrent releases are serialised on every backend.
    """
    spent_eps, spent_delta = q.spent(conn, organisation_id, dataset)
    if already_recorded:
        spent_eps, spent_delta = spent_eps - epsilon, spent_delta - delta
    budget_eps, budget_delta = settings.privacy_epsilon_budget, settings.privacy_delta_budget
    if spent_eps + epsilon > budget_eps + _EPS or spent_delta + delta > budget_delta + _EPS:
        left = max(0.0, budget_eps - spent_eps)
        raise BudgetExceeded(
            f"privacy budget exceeded for organisation {organisation_id}, dataset {dataset!r}: "
            f"spent epsilon {spent_eps:g} (delta {spent_delta:.3g}) of {budget_eps:g} "
            f"(delta {budget_delta:.3g}); this release needs epsilon {epsilon:g} "
            f"(delta {delta:.3g}). Release with epsilon at most {left:g}, or have the "
            "budget raised (THBHUB_PRIVACY_EPSILON_BUDGET / THBHUB_PRIVACY_DELTA_BUDGET)"
        )


def status(db: Database, settings: Settings, organisation_id: int, dataset: str) -> dict[str, Any]:
    with db.connect() as conn:
        if q.lock_organisation(conn, organisation_id) is None:
            raise NotFoundError(f"no organisation {organisation_id}")
        eps, delta = q.spent(conn, organisation_id, dataset)
        entries = q.ledger_rows(conn, organisation_id, dataset)
    return {
        "organisation_id": organisation_id,
        "dataset": dataset,
        "epsilon_spent": eps,
        "delta_spent": delta,
        "epsilon_budget": settings.privacy_epsilon_budget,
        "delta_budget": settings.privacy_delta_budget,
        "epsilon_left": max(0.0, settings.privacy_epsilon_budget - eps),
        "entries": entries,
    }
