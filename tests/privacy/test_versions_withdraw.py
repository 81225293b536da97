"""Issue 13, section 1: an organisation withdraws records, and the next version of the public
tables must be publishable at a small cost while no withdrawn count is pinned.

Before, every failing difference of withdrawn records was repaired by *isolating* its
combinations in the new version (every cell containing them suppressed, then the relation
rules again): on the CTDC file the withdrawal was refused after 10 audit rounds (it still
is with the repairs below: docs/privacy.md), and on the
bundled extract it cost 55 % of the cells the version publishes alone.  Now a failing
difference is repaired first by a *witness* (privacy/versions_witness.py: the withdrawn
records kept instead, within the new version's published numbers; only the cells whose
numbers exclude that are suppressed), then by suppressing the published cells the LP's bound
rests on, and only then by isolation.

The visitor's side is replayed through `GET /api/v1/privacy/case-tables` (anonymous) on each
backend and attacked with the independent LP of tests/support_versions.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from scipy import sparse

from access_support import build_world
from privacy.test_versions_general import SCENARIOS
from support_versions import attacker_lp, joint_counts, save_tables
from thbhub.privacy import versions_lp
from thbhub.privacy.audit import protect
from thbhub.privacy.gate import GateContext
from thbhub.privacy.lattice import Lattice
from thbhub.privacy.policy import DisclosurePolicy
from thbhub.privacy.polytope import Polytope
from thbhub.privacy.public import PUBLIC_DIMENSIONS, public_frame
from thbhub.privacy.versions import classes, earlier, snapshot
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.app import create_app

#: The withdrawal may cost at most this share of the non-zero cells the same records publish
#: alone (no earlier version).  Through the API on this scenario the same records publish 316
#: non-zero cells alone; after the withdrawal, the isolating repair (the commit before the
#: witnesses) published 142 (55 % lost) and this test failed; now 206 (35 % lost).
MOST_LOST = 0.40


def _published(tables: dict[object, int | None]) -> int:
    return sum(1 for count in tables.values() if count)


def test_a_withdrawal_is_published_at_a_small_cost_and_pins_nothing(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    world = build_world(settings, db)
    ids: dict[str, int] = {}
    saved, truth = [], []
    policy: dict[str, object] = {}
    for step in SCENARIOS["withdraws"]:
        step(world, tmp_path, ids)
        with TestClient(create_app(settings, db)) as client:
            tables, policy = save_tables(client)
        saved.append(tables)
        truth.append(joint_counts(db))
    k, bound = int(str(policy["threshold"])), int(str(policy["noise_bound"]))
    found = attacker_lp(saved, truth, k, bound)
    assert found["targets"] >= 50, found["targets"]  # withdrawn counts 1..k-1 beneath cells
    assert found["pinned"] == 0, found["exposed"][:3]
    assert found["subtracted"] == 0

    # The same records protected alone, as if no version had been published before.
    alone = GateContext("alone", dimensions=PUBLIC_DIMENSIONS).protected(
        public_frame(db), DisclosurePolicy.from_settings(settings)
    )
    shown = snapshot(alone.lattice, "alone").cells
    base = sum(1 for count in shown.values() if count)
    after = _published(saved[-1])
    print(f"withdrawal: {after} non-zero cells published, {base} alone")
    assert after >= (1 - MOST_LOST) * base, (after, base)


@pytest.mark.parametrize(("kind", "witnessed"), [("withdraws", 1), ("imports-more", 0)])
def test_the_reduced_lp_and_the_witnesses_agree_with_the_full_lp(
    kind: str, witnessed: int, settings: Settings, db: Database, tmp_path: Path, backend: str
) -> None:
    """The audit's LP leaves out implied and duplicate rows, and skips the LP for a
    difference whose witness holds: on every target, the full LP over every row of every
    version must give the same bounds as the reduced one, and at most 0 as the least value
    wherever a witness was found.  (Library level over the records the gate reads; the
    scenario's data come through the database.)"""
    if backend != "sqlite":
        pytest.skip("the same computation on either backend's records")
    from thbhub.privacy import versions_solve
    from thbhub.privacy.versions_witness import Witnesses

    world = build_world(settings, db)
    ids: dict[str, int] = {}
    policy = DisclosurePolicy.from_settings(settings)
    history = []
    for i, step in enumerate(SCENARIOS[kind]):
        step(world, tmp_path, ids)
        lattice = Lattice.build(public_frame(db), PUBLIC_DIMENSIONS, policy)
        protect(lattice)
        if i + 1 < len(SCENARIOS[kind]):
            history.insert(0, snapshot(lattice, f"v{i}"))
    kept = earlier(lattice, history)
    found = classes(lattice, kept)
    variables = versions_lp._variables(lattice, kept, found, 50_000)
    parts: list[tuple[list[np.ndarray], list[np.ndarray], np.ndarray, np.ndarray]] = []
    sizes, first = [], 0
    for bit, version in enumerate(kept, start=1):
        rows, cols, lows, highs, first, size = versions_solve._rows(
            variables, bit, versions_solve._earlier_tables(version, lattice), first
        )
        parts.append((rows, cols, lows, highs))
        sizes.append(size)
    fixed = versions_solve._Rows.build(
        [r for p in parts for r in p[0]],
        [c for p in parts for c in p[1]],
        [p[2] for p in parts],
        [p[3] for p in parts],
        sizes,
        first,
        variables.height,
        lattice.order,
    )
    reduced = versions_solve._joint(lattice, variables, first, fixed)
    rows, cols, lows, highs, total, _ = versions_solve._rows(
        variables, 0, versions_solve._new_tables(lattice), first
    )
    all_rows = [r for p in parts for r in p[0]] + rows
    all_cols = [c for p in parts for c in p[1]] + cols
    full = Polytope(
        sparse.csr_matrix(
            (
                np.ones(sum(c.size for c in all_cols)),
                (np.concatenate(all_rows), np.concatenate(all_cols)),
            ),
            shape=(total, variables.height),
        ),
        np.concatenate([p[2] for p in parts] + [lows]),
        np.concatenate([p[3] for p in parts] + [highs]),
    )
    assert reduced.a_eq.shape[0] < 0.8 * total  # the reduction leaves rows out
    targets = versions_lp._primaries(lattice, variables) + versions_lp._differences(
        lattice, kept, found, variables
    )
    witnesses = Witnesses(lattice, found, variables)
    held = 0
    for target in targets:
        assert np.allclose(reduced.interval(target.variables), full.interval(target.variables))
        if target.primary:
            continue
        change = witnesses.change(target.key, target.cell, target.pair)
        blocking = None if change is None else witnesses.blocking(change)
        if blocking is not None and blocking.size == 0:
            held += 1
            assert full.interval(target.variables)[0] <= 1e-6, target
    assert held >= witnessed, held  # witnesses were there to check
