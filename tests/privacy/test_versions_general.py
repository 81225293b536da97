"""Issue 13, section 1, every kind of change: a visitor saved every version of the public
case tables (through `GET /api/v1/privacy/case-tables`, anonymous, on each backend) and
combines all of them (tests/support_versions.py): one cell's numbers subtracted, and linear
programming over every saved cell of every version at once.  For every cell and every two
versions, the records beneath the cell that are in one version and not in the other (added,
withdrawn) must not be pinned to 1..k-1.

The changes replayed, on the bundled CTDC extract (Alpha: all of it; Beta: every 8th row):

* ``imports-more``: Beta, already published, imports and publishes another 73 records;
* ``withdraws``: Beta withdraws one of its two published imports;
* ``stops``: Beta stops publishing (its opt-in withdrawn, all its records leave);
* ``three-versions``: Alpha alone, then with Beta, then with Beta's second import; the
  attacker combines versions 1, 2 and 3 (1 against 3 directly as well).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from access_support import World, build_world
from support_versions import attacker_lp, import_and_publish, joint_counts, save_tables, subset_file
from thbhub.cases.publication import move_import
from thbhub.ingest.sample import sample_dir
from thbhub.privacy.public import set_published
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.app import create_app

Step = Callable[[World, Path, dict[str, int]], None]


def _alpha(world: World, tmp: Path, ids: dict[str, int]) -> None:
    ids["alpha"] = import_and_publish(
        world, "contributor", "alpha", sample_dir() / "ctdc_global_bsr.csv"
    )


def _beta_first(world: World, tmp: Path, ids: dict[str, int]) -> None:
    ids["beta1"] = import_and_publish(world, "foreign", "beta", subset_file(tmp, "b1", 1))


def _beta_second(world: World, tmp: Path, ids: dict[str, int]) -> None:
    ids["beta2"] = import_and_publish(world, "foreign", "beta", subset_file(tmp, "b2", 5))


def _beta_withdraws_second(world: World, tmp: Path, ids: dict[str, int]) -> None:
    move_import(world.db, world.principal("foreign"), ids["beta2"], "withdrawn")


def _beta_stops(world: World, tmp: Path, ids: dict[str, int]) -> None:
    set_published(world.db, world.principal("foreign"), world.orgs["beta"], False)


def _both(*steps: Step) -> Step:
    def run(world: World, tmp: Path, ids: dict[str, int]) -> None:
        for step in steps:
            step(world, tmp, ids)

    return run


#: Per change kind: the steps before each saved version.
SCENARIOS: dict[str, list[Step]] = {
    "imports-more": [_both(_alpha, _beta_first), _beta_second],
    "withdraws": [_both(_alpha, _beta_first, _beta_second), _beta_withdraws_second],
    "stops": [_both(_alpha, _beta_first), _beta_stops],
    "three-versions": [_alpha, _beta_first, _beta_second],
}


@pytest.mark.parametrize("kind", list(SCENARIOS))
def test_every_saved_version_together_pins_no_small_count(
    kind: str, settings: Settings, db: Database, tmp_path: Path
) -> None:
    world = build_world(settings, db)
    ids: dict[str, int] = {}
    saved, truth = [], []
    policy: dict[str, object] = {}
    for step in SCENARIOS[kind]:
        step(world, tmp_path, ids)
        with TestClient(create_app(settings, db)) as client:
            tables, policy = save_tables(client)
        saved.append(tables)
        truth.append(joint_counts(db))
    k, bound = int(str(policy["threshold"])), int(str(policy["noise_bound"]))
    found = attacker_lp(saved, truth, k, bound)
    pinned, targets = found["pinned"], found["targets"]
    print(f"{kind}: {pinned} of {targets} pinned, {found['subtracted']} by subtraction")
    # The attack has material: records added or withdrawn 1..k-1 at a time beneath many cells.
    assert found["targets"] >= 50, found["targets"]
    assert found["subtracted"] == 0, found["subtracted"]
    assert found["pinned"] == 0, (
        f"{found['pinned']} of {found['targets']} pinned to 1..{k - 1}, e.g. {found['exposed'][:3]}"
    )
