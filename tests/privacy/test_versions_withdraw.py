"""Issue 13, section 1: an organisation withdraws records, and the next version of the public
tables must be publishable at a small cost while no withdrawn count is pinned.

Before, every failing difference of withdrawn records was repaired by *isolating* its
combinations in the new version (every cell containing them suppressed, then the relation
rules again): on the CTDC file the withdrawal was refused after 10 audit rounds, and on the
bundled extract it cost 55 % of the cells the version publishes alone.  Now a failing
difference is repaired first by a *witness* (privacy/versions_witness.py: the withdrawn
records kept instead, within the new version's published numbers; only the cells whose
numbers exclude that are suppressed) or a *raising exchange* (kept records beneath the cell
withdrawn instead, as many withdrawn ones elsewhere kept: its greatest value reaches k),
then by suppressing the published cells the LP's bound rests on, and only then by
isolation.  Across versions a primary suppression is held to "not pinned to 1..k-1" (the
earlier version caps it; asking for the width k refused the CTDC withdrawal: docs/privacy.md).

The visitor's side is replayed through `GET /api/v1/privacy/case-tables` (anonymous) on each
backend and attacked with the independent LP of tests/support_versions.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from fastapi.testclient import TestClient
from scipy import sparse

from access_support import build_world
from privacy.test_versions_general import SCENARIOS
from support_versions import attacker_lp, joint_counts, save_tables
from thbhub.privacy import versions_lp, versions_solve
from thbhub.privacy.audit import protect
from thbhub.privacy.gate import GateContext
from thbhub.privacy.lattice import Lattice
from thbhub.privacy.policy import DisclosurePolicy
from thbhub.privacy.polytope import Polytope
from thbhub.privacy.public import PUBLIC_DIMENSIONS, public_frame
from thbhub.privacy.versions import Earlier, classes, earlier, snapshot
from thbhub.privacy.versions_witness import Witnesses
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.app import create_app

#: The withdrawal may cost at most this share of the non-zero cells the same records publish
#: alone (no earlier version).  Through the API on this scenario the same records publish 316
#: non-zero cells alone; after the withdrawal, the isolating repair (before the witnesses)
#: published 142 (55 % lost), the witnesses and relaxations 206 (35 % lost); with the
#: raising exchange and primaries held to "not pinned below k" across versions, 271 (14 %).
#: The gate tries the full width for primaries first (the insights need it:
#: privacy/gate.py:_across) and here it can be had: 243 (23 %).
MOST_LOST = 0.25


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


@dataclass
class _State:
    """The audit's inputs for the last version of a scenario, and its full LP (every row of
    every version, no reduction) as matrix and row ranges."""

    lattice: Lattice
    kept: list[Earlier]
    found: pl.DataFrame
    variables: pl.DataFrame
    fixed: versions_solve._Rows
    first: int
    matrix: sparse.csr_matrix
    lows: np.ndarray
    highs: np.ndarray

    def full(self, suppressed: np.ndarray | None = None) -> Polytope:
        """The full LP; ``suppressed`` (cells of the new version, in the order of
        versions_witness.Witnesses) read as suppressed: at least 1."""
        lows, highs = self.lows.copy(), self.highs.copy()
        if suppressed is not None:
            lows[self.first + suppressed] = 1.0
            highs[self.first + suppressed] = np.inf
        return Polytope(self.matrix, lows, highs)


def _state(kind: str, settings: Settings, db: Database, tmp_path: Path) -> _State:
    """Replay a scenario through the database; each version protected alone (the gate's
    single-version protection), as the library sees the records."""
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
    rows, cols, lows, highs, total, _ = versions_solve._rows(
        variables, 0, versions_solve._new_tables(lattice), first
    )
    all_rows = [r for p in parts for r in p[0]] + rows
    all_cols = [c for p in parts for c in p[1]] + cols
    matrix = sparse.csr_matrix(
        (
            np.ones(sum(c.size for c in all_cols)),
            (np.concatenate(all_rows), np.concatenate(all_cols)),
        ),
        shape=(total, variables.height),
    )
    assert all(t.height for t in lattice.tables.values())  # row = first + cell index
    return _State(
        lattice,
        kept,
        found,
        variables,
        fixed,
        first,
        matrix,
        np.concatenate([p[2] for p in parts] + [lows]),
        np.concatenate([p[3] for p in parts] + [highs]),
    )


def _targets(state: _State) -> list[versions_solve._Target]:
    return versions_lp._primaries(state.lattice, state.variables) + versions_lp._differences(
        state.lattice, state.kept, state.found, state.variables
    )


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
    state = _state(kind, settings, db, tmp_path)
    reduced = versions_solve._joint(state.lattice, state.variables, state.first, state.fixed)
    full = state.full()
    assert reduced.a_eq.shape[0] < 0.8 * state.matrix.shape[0]  # the reduction leaves rows out
    witnesses = Witnesses(state.lattice, state.found, state.variables)
    held = 0
    for target in _targets(state):
        assert np.allclose(reduced.interval(target.variables), full.interval(target.variables))
        if target.primary:
            continue
        change = witnesses.change(target.key, target.cell, target.pair)
        blocking = None if change is None else witnesses.blocking(change)
        if blocking is not None and blocking.size == 0:
            held += 1
            assert full.interval(target.variables)[0] <= 1e-6, target
    assert held >= witnessed, held  # witnesses were there to check


def test_a_raising_exchange_lets_the_greatest_value_reach_k(
    settings: Settings, db: Database, tmp_path: Path, backend: str
) -> None:
    """On the CTDC file, a withdrawal's targets were refused after every audit round: where
    an organisation's withdrawn records fall under a zero of the new version, at least one
    was certainly withdrawn (no witness can make the least value 0), and the greatest value
    stayed below k.  Witnesses.raising exchanges membership in the new version (kept
    records beneath the cell withdrawn instead, withdrawn ones elsewhere kept) so that the
    greatest value reaches k.  Checked against the full LP: after the exchange's cells are
    suppressed, every target it is found for (primary suppressions and withdrawn
    differences) has a greatest value of at least k; and it is found for targets that the
    full LP pins without it."""
    if backend != "sqlite":
        pytest.skip("the same computation on either backend's records")
    state = _state("withdraws", settings, db, tmp_path)
    k = state.lattice.policy.threshold
    witnesses = Witnesses(state.lattice, state.found, state.variables)
    full = state.full()
    checked = lifted = 0
    for target in _targets(state):
        if not target.primary and target.pair[1] != 0:
            continue
        cells = witnesses.raising(
            target.key, target.cell, target.pair, target.primary, k - target.value
        )
        if cells is None:
            continue
        checked += 1
        low, high = full.interval(target.variables)
        if high < k - 1e-6:
            lifted += 1
        after = state.full(cells).interval(target.variables)[1]
        assert after >= k - 1e-6, (target.key, target.cell, target.value, high, after)
        if checked >= 40:
            break
    assert checked >= 20, checked
    assert lifted >= 1, lifted  # some targets were pinned below k before the exchange
