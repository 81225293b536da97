"""Two overlapping groups' profiles (Ukrainian citizens; Ukrainian women) must not reveal a
suppressed count by subtraction: every number both show, fed to the attacker's linear
program (tests/support_privacy.py, independent of the gate), leaves each suppressed cell
outside 1..k-1 or wider than it."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from insights_support import ctdc_world
from support_privacy import Published, feasible_range
from thbhub.insights.groups import parse
from thbhub.insights.lattices import Lattices
from thbhub.privacy.lattice import MISSING
from thbhub.privacy.policy import DisclosurePolicy
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.app import create_app

#: The cells the attacker solves for: every fact both profiles give over these dimensions
#: (country is left out to keep the attacker's program small: 3 x 10 x ~40 unknowns).
BASE = ("sex", "age", "citizenship")
CTDC = (
    Path(__file__).resolve().parents[3]
    / "shared/data/ctdc-global-2018/ctdc_global_individual_database_2018.csv"
)


def facts(body: dict[str, Any], group: dict[str, str]) -> tuple[list[Published], list[dict]]:
    """What a profile publishes about base cells, and its suppressed cells."""
    published: list[Published] = []
    hidden: list[dict[str, str]] = []
    if body["group_records"] is not None:
        published.append((group, body["group_records"]))
        if body["other_records"] is not None:
            published.append(({}, body["group_records"] + body["other_records"]))
    assert set(group) <= set(BASE)
    for r in body["comparisons"]:
        if r["dimension"] not in BASE:
            continue
        value = MISSING if r["status"] == "not recorded" else r["value"]
        coords = {**group, r["dimension"]: value}
        if r["in_count"] is None:
            hidden.append(coords)
            continue
        published.append((coords, r["in_count"]))
        if r.get("out_count") is not None:
            published.append(({r["dimension"]: value}, r["in_count"] + r["out_count"]))
    return published, hidden


@pytest.mark.slow
@pytest.mark.skipif(not CTDC.exists(), reason="the real CTDC file is not here")
def test_overlapping_profiles_do_not_reveal_a_suppressed_count(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    # Every 200th record of the real file: diverse enough to have small cells.
    lines = CTDC.read_text(encoding="utf-8").splitlines()
    sample = tmp_path / "ctdc_every_200th.csv"
    sample.write_text("\n".join([lines[0], *lines[1:47103:200]]) + "\n", encoding="utf-8")
    ctdc_world(settings, db, published=True, path=sample)
    published: list[Published] = []
    hidden: list[dict[str, str]] = []
    with TestClient(create_app(settings, db)) as c:
        first = c.get("/api/v1/insights/profile?group=sex=sex:male").json()
        largest = max(
            (r for r in first["comparisons"] if r["dimension"] == "citizenship" and r["in_count"]),
            key=lambda r: r["in_count"],
        )
        specs = ["sex=sex:male", f"sex=sex:male,citizenship={largest['value']}"]
        for spec in specs:
            body = c.get(f"/api/v1/insights/profile?group={spec}").json()
            shown, suppressed = facts(body, parse(spec))
            published += shown
            hidden += suppressed
    assert hidden, "the real records have suppressed cells in these profiles"
    categories = Lattices.open(db, settings, None, "public").get("base").lattice.categories
    dims = {d: categories[d] for d in BASE}
    policy = DisclosurePolicy.from_settings(settings)
    k = policy.threshold
    for target in hidden:
        low, high = feasible_range(dims, published, target, policy)
        pinned = math.ceil(low - 1e-6) >= 1 and math.floor(high + 1e-6) <= k - 1
        assert not pinned, (target, low, high)
