"""The EXAMPLE linkage project `make run` loads (estimation/linkage_sample.py): its public
estimate is on /estimates/projects, loading twice changes nothing, and none of its synthetic
identifiers is stored anywhere."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from thbhub.domain.principals import PUBLIC, Role
from thbhub.estimation import linkage_sample, project_estimates
from thbhub.estimation.linkage_sample import PATTERNS, PROJECT, load_linkage_sample
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.schema import metadata
from thbhub.storage.schema_cases import case_records
from thbhub.storage.schema_estimation import linkage_keys
from thbhub.web.app import create_app

PERSONS = sum(sum(p.values()) for p in PATTERNS.values())


def test_the_example_project_is_loaded_once_and_its_estimate_is_public(
    db: Database, settings: Settings
) -> None:
    assert load_linkage_sample(db, settings) is True
    assert load_linkage_sample(db, settings) is False  # idempotent
    with db.connect() as conn:
        records = conn.execute(select(func.count()).select_from(case_records)).scalar_one()
        keys = conn.execute(select(func.count()).select_from(linkage_keys)).scalar_one()
    per_list = [
        sum(c for p in PATTERNS.values() for pat, c in p.items() if pat >> k & 1) for k in range(3)
    ]
    assert records == keys == sum(per_list)
    public = project_estimates.project_estimate(db, settings, PUBLIC, PROJECT, n_boot=200)
    assert public["published"] is True, public
    assert public["ci_low"] < public["estimate"] < public["ci_high"]
    assert abs(public["observed"] - PERSONS) <= 3  # the gate's noise
    for year in PATTERNS:
        by_year = project_estimates.project_estimate(
            db, settings, PUBLIC, PROJECT, year=year, n_boot=0
        )
        assert by_year["published"] is True, (year, by_year)
    # a member (the example police) sees the true table: every person, once
    from thbhub.storage.cases import organisation_id

    with db.connect() as conn:
        police = organisation_id(conn, linkage_sample.ORGANISATIONS[0])
    member = project_estimates.project_estimate(
        db, settings, linkage_sample._system(Role.contributor, police), PROJECT, n_boot=0
    )
    assert member["observed"] == PERSONS
    with TestClient(create_app(settings, db)) as client:
        page = client.get("/estimates/projects")
        assert page.status_code == 200 and PROJECT in page.text and "EXAMPLE" in page.text
        assert f"{public['estimate']:,.0f}" in page.text
    # the synthetic identifiers were hashed at import: no table holds one
    names = [f"Synthetic{linkage_sample._letters(i)}" for i in range(0, PERSONS, 7)]
    with db.connect() as conn:
        for table in metadata.sorted_tables:
            dump = "\n".join(map(str, conn.execute(select(table)).all())).lower()
            assert not [n for n in names if n.lower() in dump], table.name
