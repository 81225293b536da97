"""Two overlapping groups' profiles (labour exploitation; men in labour exploitation) and
the public case tables must not reveal a suppressed count by subtraction: every number
they show, fed to the attacker's linear program (tests/support_privacy.py, independent of
the gate), leaves each suppressed cell of either outside 1..k-1 or wider than it."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from insights_support import ctdc_world, ready_get
from support_privacy import Published, feasible_ranges, published_cells
from thbhub.insights.groups import parse
from thbhub.insights.lattices import Lattices
from thbhub.privacy.lattice import MISSING
from thbhub.privacy.policy import DisclosurePolicy
from thbhub.privacy.public import public_table
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


FORM = "form_labour_exploitation"
GROUP = "form=form:labour-exploitation"


def facts(body: dict[str, Any], group: dict[str, str]) -> tuple[list[Published], list[dict]]:
    """What a profile publishes about base cells, and its suppressed cells."""
    published: list[Published] = []
    hidden: list[dict[str, str]] = []
    if body["group_records"] is not None:
        published.append((group, body["group_records"]))
        if body["other_records"] is not None:
            published.append(({}, body["group_records"] + body["other_records"]))
    assert set(group) <= {FORM, *BASE}
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


@pytest.mark.skipif(not CTDC.exists(), reason="the real CTDC file is not here")
def test_overlapping_profiles_do_not_reveal_a_suppressed_count(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    # Every 400th record of the real file (118 records): diverse enough to have many small
    # cells (most of its cells are suppressed), small enough for the audits of the public
    # tables and of the insights to take seconds (about 35 s together on a loaded machine).
    lines = CTDC.read_text(encoding="utf-8").splitlines()
    sample = tmp_path / "ctdc_every_400th.csv"
    sample.write_text("\n".join([lines[0], *lines[1:47103:400]]) + "\n", encoding="utf-8")
    ctdc_world(settings, db, published=True, path=sample)
    published: list[Published] = []
    hidden: list[dict[str, str]] = []
    with TestClient(create_app(settings, db)) as c:
        specs = [GROUP, f"{GROUP},sex=sex:male"]
        for spec in specs:
            body = ready_get(c, f"/api/v1/insights/profile?group={spec}").json()
            shown, suppressed = facts(body, parse(spec))
            published += shown
            hidden += suppressed
        cache = c.app.state.privacy_tables  # type: ignore[attr-defined]
    # ... and everything the public case tables publish over the same dimensions.
    tables = [
        public_table(db, settings, list(by), cache=cache)
        for by in (("sex", "age"), ("sex", "citizenship"), ("age", "citizenship"))
    ]
    public = published_cells(tables)
    published += public
    hidden += [dict(coords) for coords, n in public if n is None]
    assert any(FORM in h for h in hidden), "the profiles have suppressed cells of their own"
    lattices = Lattices.open(db, settings, None, "public", cache)
    categories = lattices.get(FORM).categories
    dims = {d: categories[d] for d in (FORM, *BASE)}
    policy = DisclosurePolicy.from_settings(settings)
    k = policy.threshold
    # One program for every hidden cell (feasible_ranges: the constraints built once).
    for target, (low, high) in zip(
        hidden, feasible_ranges(dims, published, hidden, policy), strict=True
    ):
        pinned = math.ceil(low - 1e-6) >= 1 and math.floor(high + 1e-6) <= k - 1
        assert not pinned, (target, low, high)
