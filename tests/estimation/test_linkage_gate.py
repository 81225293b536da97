"""A linkage project's public numbers come from the disclosure gate (estimation/disclosure.py):
an anonymous visitor who asks the API for every slice and subtracts them recovers no count
in 1..k-1, and no estimate is made from a suppressed cell."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import product
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from estimation.linkage_support import PROJECT, build_project
from thbhub.domain.errors import UserError
from thbhub.domain.principals import PUBLIC
from thbhub.estimation import linkage, project_estimates
from thbhub.privacy.cellkey import possible_counts
from thbhub.privacy.policy import DisclosurePolicy
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.app import create_app

#: Three persons first recorded in 2021 (30 and 31 on both lists, 50 on Gamma's only): the
#: small count the attack is after.  Every other person is 2022 or 2023 (i % 3).
SMALL_YEAR = {i: {"cas_IncomingReferralDate": "2021-03-01"} for i in (30, 31, 50)}
YEARS = (2021, 2022, 2023)
FORMS = ("form:labour-exploitation", "form:sexual-exploitation")


def attack(total: set[int], parts: list[set[int]]) -> set[int]:
    """Every value "all years minus the other years" can take, given the values each
    published number allows (an unpublished one allows anything: nothing is learnt)."""
    out: set[int] = set()
    for combo in product(total, *parts):
        out.add(combo[0] - sum(combo[1:]))
    return {v for v in out if v >= 0}


def allowed(found: dict[str, Any], policy: DisclosurePolicy) -> set[int] | None:
    """What a published number says about the true count (None: it says nothing)."""
    if found.get("observed") is None:
        return None
    return set(possible_counts(found["observed"], policy))


def test_the_year_differencing_attack_through_the_api_recovers_nothing(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    p = build_project(settings, db, tmp_path, changes=SMALL_YEAR)
    k = settings.disclosure_threshold
    policy = DisclosurePolicy.from_settings(settings)
    # The target exists: in the true counts (what members see) 2021 holds 3 persons, and
    # "all minus 2022 minus 2023" recovers it exactly: the threshold alone (every one of
    # those three numbers is at least k) would have let the attack through.
    truth = {
        y: project_estimates.project_estimate(db, settings, p.alpha, PROJECT, year=y, n_boot=0)[
            "observed"
        ]
        for y in (None, *YEARS)
    }
    assert truth[2021] == 3 and min(truth[None], truth[2022], truth[2023]) >= k
    assert attack({truth[None]}, [{truth[2022]}, {truth[2023]}]) == {3}

    url = f"/api/v1/estimates/projects/{PROJECT}"
    seen: dict[Any, dict[str, Any]] = {}
    with TestClient(create_app(settings, db)) as client:  # anonymous: no credentials
        for key, params in [
            (None, {}),
            *[(y, {"year": y}) for y in YEARS],
            *[(f, {"form": f}) for f in FORMS],
        ]:
            r = client.get(url, params={"bootstrap": 0, **params})
            assert r.status_code == 200, r.text
            seen[key] = r.json()
        both = client.get(url, params={"bootstrap": 0, "year": 2023, "form": FORMS[0]})
        assert both.status_code == 200 and both.json()["published"] is False
        assert "observed" not in both.json() and "estimate" not in both.json()
    # No published number is a small count; the 2021 slice gives neither count nor estimate.
    for found in seen.values():
        assert found["observed"] is None or found["observed"] == 0 or found["observed"] >= k
        assert "table" not in found and "list_sizes" not in found
    assert seen[2021]["observed"] is None and "estimate" not in seen[2021]
    # The attack on what was published: every combination of the other slices.
    total = allowed(seen[None], policy)
    assert total is not None
    for minus in ([2022, 2023], [2023], [2022]):
        parts = [allowed(seen[y], policy) for y in minus]
        if any(part is None for part in parts):
            continue  # a suppressed slice: the difference is not bounded at all
        values = attack(total, [part for part in parts if part is not None])
        assert not values <= set(range(1, k)), (minus, sorted(values))
    # The same holds one level down, by form, where true differences are 0.
    form_parts = [allowed(seen[f], policy) for f in FORMS]
    if all(part is not None for part in form_parts):
        values = attack(total, [part for part in form_parts if part is not None])
        assert not values <= set(range(1, k))


def test_no_public_estimate_from_a_table_with_a_suppressed_cell(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    p = build_project(settings, db, tmp_path, changes=SMALL_YEAR)
    # In 2021 two persons are on both lists: the member sees the estimate, the public not.
    member = project_estimates.project_estimate(db, settings, p.alpha, PROJECT, year=2021)
    assert member["table"][-1]["count"] == 2 and member["estimate"] is not None
    assert member["public"]["published"] is False and "estimate" not in member["public"]
    # Raising the threshold past an overlap cell hides the whole-project estimate too,
    # while the number seen (every cell together) can still be published.
    high = settings.model_copy(update={"disclosure_threshold": 16})
    public = project_estimates.project_estimate(db, high, p.outsider, PROJECT, n_boot=0)
    assert public["published"] is False and "estimate" not in public
    assert "cell(s) of the overlap table" in public["reason"]
    assert public["observed"] is not None and public["observed"] >= 16


def test_a_project_without_public_splits_keeps_its_headline_public(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    """The same records: with year and form as public splits the tiny 2021 slice costs the
    whole project's estimate (cells of its overlap table are suppressed to protect 2021's);
    a project that publishes no split keeps it, and refuses the year to the public."""
    p = build_project(settings, db, tmp_path, changes=SMALL_YEAR, public_by=())
    public = project_estimates.project_estimate(db, settings, PUBLIC, PROJECT, n_boot=0)
    assert public["published"] is True and public["estimate"] is not None
    by_year = project_estimates.project_estimate(db, settings, PUBLIC, PROJECT, year=2023, n_boot=0)
    assert by_year["published"] is False and "observed" not in by_year
    assert "no estimate split by year" in by_year["reason"]
    member = project_estimates.project_estimate(db, settings, p.alpha, PROJECT, year=2021, n_boot=0)
    assert member["observed"] == 3  # members see every split
    assert linkage.list_projects(db, PUBLIC)[0]["public_by"] == []


def test_the_splits_are_checked_at_creation(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    p = build_project(settings, db, tmp_path)
    with pytest.raises(UserError, match="not 'sex'"):
        linkage.create(
            db, p.alpha, "other", "a purpose", date.today() + timedelta(days=9), public_by=("sex",)
        )
