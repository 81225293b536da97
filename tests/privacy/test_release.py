"""Releases on both backends: the budget refuses over-spending, files and ledger agree."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import func, select

from support_privacy import make_org, member, records
from thbhub.domain.errors import PermissionDenied
from thbhub.domain.principals import Principal, Role
from thbhub.privacy import ledger
from thbhub.privacy.release import ReleaseRequest, release, releases
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.schema import audit_log
from thbhub.storage.schema_privacy import privacy_ledger, privacy_releases


def test_dp_release_writes_files_and_spends_budget(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    org = make_org(db)
    out = tmp_path / "release.csv"
    result = release(
        db,
        settings,
        member(org),
        records(),
        ReleaseRequest(
            organisation_id=org,
            method="dp",
            output=out,
            epsilon=2.0,
            fmt="ctdc",
            reporting_length=2,
            seed=1,
        ),
    )
    synthetic = pl.read_csv(out, infer_schema_length=0)
    assert {"yearOfRegistration", "gender", "ageBroad", "CountryOfExploitation"} <= set(
        synthetic.columns
    )
    assert (tmp_path / "release.aggregates.csv").exists()
    utility = json.loads((tmp_path / "release.utility.json").read_text())
    assert set(utility["aggregates"]["overall"]) >= {"suppressed_pct", "fabricated_pct", "mae"}
    status = ledger.status(db, settings, org, "cases")
    assert status["epsilon_spent"] == pytest.approx(2.0, rel=1e-6)
    assert result["epsilon"] == pytest.approx(2.0, rel=1e-6)
    with db.connect() as conn:
        assert (
            conn.execute(
                select(func.count()).select_from(audit_log).where(audit_log.c.action == "release")
            ).scalar_one()
            == 1
        )


def test_budget_refuses_over_spending_and_changes_nothing(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    settings = settings.model_copy(update={"privacy_epsilon_budget": 3.0})
    org = make_org(db)
    data = records()

    def ask(eps: float, name: str) -> dict[str, object]:
        return release(
            db,
            settings,
            member(org),
            data,
            ReleaseRequest(
                organisation_id=org,
                method="dp",
                output=tmp_path / name,
                epsilon=eps,
                reporting_length=2,
                seed=2,
            ),
        )

    ask(2.0, "a.csv")
    with pytest.raises(ledger.BudgetExceeded, match="epsilon at most 1"):
        ask(1.5, "b.csv")
    assert not (tmp_path / "b.csv").exists()
    ask(1.0, "c.csv")  # exactly the rest of the budget is allowed
    with pytest.raises(ledger.BudgetExceeded):
        ask(0.01, "d.csv")
    with db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(privacy_ledger)).scalar_one() == 2
        assert conn.execute(select(func.count()).select_from(privacy_releases)).scalar_one() == 2
    # Budgets are per organisation: another organisation starts from zero.
    other = make_org(db, "NGO LT")
    release(
        db,
        settings,
        member(other),
        data,
        ReleaseRequest(
            organisation_id=other,
            method="dp",
            output=tmp_path / "e.csv",
            epsilon=3.0,
            reporting_length=1,
            seed=3,
        ),
    )


def test_kanon_release_reports_records_lost(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    org = make_org(db)
    result = release(
        db,
        settings,
        member(org),
        records(),
        ReleaseRequest(organisation_id=org, method="kanon", output=tmp_path / "k.csv", k=11),
    )
    released = pl.read_csv(tmp_path / "k.csv", infer_schema_length=0)
    qi = ["year", "sex", "age", "citizenship", "country"]
    assert released.group_by(qi).len()["len"].min() >= 11  # type: ignore[operator]
    assert result["records_lost"] == 300 - released.height
    assert ledger.status(db, settings, org, "cases")["epsilon_spent"] == 0.0


def test_only_members_release_or_see_utility(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    org = make_org(db)
    other = make_org(db, "Someone else")
    with pytest.raises(PermissionDenied):
        release(
            db,
            settings,
            member(other),
            records(),
            ReleaseRequest(organisation_id=org, method="kanon", output=tmp_path / "x.csv"),
        )
    with pytest.raises(PermissionDenied):
        releases(db, Principal(role=Role.admin, organisation_id=org), org)
    assert releases(db, member(org), org) == []
