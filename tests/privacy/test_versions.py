"""Issue 13, section 1: a visitor who saved the public tables before a publication and reads
them again after subtracts the two.  Before the cell key method, (2016, 30-38) = 16 and then
17 said that the new organisation holds exactly one record there.

The attack is replayed on the user's path (`GET /api/v1/privacy/case-tables`, anonymous, on
a real database of each backend): version 1 is one organisation's published records, version
2 adds a second organisation's.  For every pair of corresponding cells the attacker computes,
from the two published values and the published policy alone (threshold k, noise bound D),
the set of true differences consistent with both:

* a published number p can come from any true count in max(k, p - D) .. p + D (the
  perturbation table; with D = 0, only p itself), a published 0 only from 0;
* a suppressed cell can hold any count from 1 up (the gate never says whether a suppression
  is primary or secondary, and never suppresses a zero).

A count is *recovered* when that set lies within 1..k-1: the visitor then knows that the
second organisation added between 1 and k-1 records to the cell.  None may be.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from itertools import combinations
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from benchmarks.versions_attack import attacker_lp
from fastapi.testclient import TestClient

from access_support import build_world
from support_versions import (
    import_and_publish,
    joint_counts,
    possible,
    save_tables,
    subset_file,
)
from thbhub.ingest.sample import sample_dir
from thbhub.privacy.lattice import MISSING
from thbhub.privacy.policy import DisclosurePolicy
from thbhub.privacy.public import PUBLIC_DIMENSIONS, public_frame
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.app import create_app

Cell = tuple[tuple[str, str], ...]  # ((dimension, value), ...) sorted
INFINITY = 10**9


def _true_counts(db: Database) -> Counter[Cell]:
    """The count of every cell of the lattice, from the records the gate reads."""
    frame = public_frame(db).with_columns(
        [pl.col(d).cast(pl.Utf8).fill_null(MISSING) for d in PUBLIC_DIMENSIONS]
    )
    counts: Counter[Cell] = Counter()
    for row in frame.iter_rows(named=True):
        for size in range(4):
            for dims in combinations(PUBLIC_DIMENSIONS, size):
                counts[tuple(sorted((d, row[d]) for d in dims))] += 1
    return counts


def _two_versions(settings: Settings, db: Database, tmp_path: Path) -> tuple[Any, ...]:
    """What a visitor saved of every public table before and after a second organisation
    published (through the API), the true counts behind each, and the published policy."""
    world = build_world(settings, db)
    import_and_publish(world, "contributor", "alpha", sample_dir() / "ctdc_global_bsr.csv")
    with TestClient(create_app(settings, db)) as client:
        before, policy = save_tables(client)
    truth_before, joint_before = _true_counts(db), joint_counts(db)

    import_and_publish(world, "foreign", "beta", subset_file(tmp_path, "second", 1))
    with TestClient(create_app(settings, db)) as client:
        after, policy = save_tables(client)
    truth_after, joint_after = _true_counts(db), joint_counts(db)
    return before, after, truth_before, truth_after, policy, [joint_before, joint_after]


def test_subtracting_two_versions_recovers_no_small_count(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    before, after, truth_before, truth_after, policy, _ = _two_versions(settings, db, tmp_path)

    k = int(policy["threshold"])
    bound = int(policy.get("noise_bound", 0))  # before the cell key method: exact counts
    assert set(before) == set(after) or set(before) <= set(after)
    small = recovered = 0
    exposed: list[tuple[Cell, int, int | None, int | None]] = []
    for cell, p2 in after.items():
        p1 = before.get(cell, 0)  # a category new in version 2 was a zero before
        added = truth_after[cell] - truth_before[cell]
        low1, high1 = possible(p1, k, bound)
        low2, high2 = possible(p2, k, bound)
        # The truth is always among the possibilities: the published bound is honoured.
        assert low1 <= truth_before[cell] <= high1, (cell, p1, truth_before[cell])
        assert low2 <= truth_after[cell] <= high2, (cell, p2, truth_after[cell])
        lowest, highest = low2 - high1, high2 - low1
        if 0 < added < k:
            small += 1
        if lowest >= 1 and highest <= k - 1:  # pinned to 1..k-1: recovered
            recovered += 1
            exposed.append((cell, added, p1, p2))
    # The attack has material: many cells got 1..k-1 records of the second organisation
    # (on the code before the cell key method, 173 of them were recovered: e.g. year 2006 x
    # male published as 15, then 16).
    assert small >= 100, small
    assert recovered == 0, f"{recovered} small counts recovered, e.g. {exposed[:5]}"


@pytest.mark.parametrize("k", range(2, 13))
def test_the_perturbation_table_never_pins_a_small_difference(k: int) -> None:
    """Exhaustively, for every count n >= k a cell held, every 1..k-1 records added to it and
    every pair of noises the table can give (then rounding, if the policy rounds): the
    differences consistent with the two published numbers include 0 or k."""
    from thbhub.privacy.cellkey import possible_counts as possible
    from thbhub.privacy.cellkey import support
    from thbhub.privacy.policy import DisclosurePolicy, least_noise_bound

    possible_counts = lru_cache(maxsize=None)(possible)
    for bound in {least_noise_bound(k), DisclosurePolicy(threshold=k).noise_bound}:
        for base in (None, 3, 5):
            policy = DisclosurePolicy(threshold=k, noise=bound, rounding_base=base)
            for n in range(k, k + 4 * bound + 3):
                for added in range(1, k):
                    for e1 in support(n, k, bound):
                        for e2 in support(n + added, k, bound):
                            before = possible_counts(policy.round(n + e1), policy)
                            after = possible_counts(policy.round(n + added + e2), policy)
                            assert n in before and n + added in after
                            lowest = min(after) - max(before)
                            highest = max(after) - min(before)
                            assert lowest <= 0 or highest >= k, (k, bound, base, n, added, e1, e2)
    # With a bound one below the least, a difference is pinned: the least bound is tight.
    bound = least_noise_bound(k) - 1
    policy = DisclosurePolicy(threshold=k, noise=bound)
    # a cell of k records published as k, then k + bound + 1 published as k + 2 bound + 1
    before = possible_counts(k, policy)
    after = possible_counts(k + 2 * bound + 1, policy)
    assert k + bound + 1 in after
    assert min(after) - max(before) >= 1 and max(after) - min(before) <= k - 1


def test_the_noise_follows_the_records_and_the_secret() -> None:
    """Consistency: the same records give the same numbers whatever their order (record keys
    come from the records' values and rank, not from row positions or ids); another
    deployment secret gives other numbers; no number is more than D away."""
    from support_privacy import records
    from thbhub.privacy.cellkey import derive_secret
    from thbhub.privacy.gate import release_table
    from thbhub.privacy.policy import DisclosurePolicy

    frame = records(600, seed=4)
    policy = DisclosurePolicy(cell_key_secret=derive_secret("one deployment"))
    other = DisclosurePolicy(cell_key_secret=derive_secret("another deployment"))
    by = ["year", "sex", "citizenship"]
    table = release_table(frame, by, policy)
    shuffled = release_table(frame.sample(fraction=1.0, shuffle=True, seed=9), by, policy)
    assert table.as_dict() == shuffled.as_dict()
    elsewhere = release_table(frame, by, other)
    assert table.all_counts() != elsewhere.all_counts()
    exact = release_table(frame, by, DisclosurePolicy(noise=0))
    for shown, true in zip(table.all_counts(), exact.all_counts(), strict=True):
        assert (shown is None) == (true is None)
        if shown is not None and true is not None:
            assert abs(shown - true) <= policy.noise_bound and (shown == 0) == (true == 0)


def test_public_tables_are_refused_without_a_secret_or_with_too_little_noise(
    settings: Settings, db: Database
) -> None:
    from thbhub.domain.errors import UserError
    from thbhub.privacy.public import public_table

    with pytest.raises(UserError, match="below 2, the least"):
        public_table(db, settings.model_copy(update={"disclosure_noise_bound": 1}), ["sex"])
    with pytest.raises(UserError, match="no secret key"):
        public_table(db, settings.model_copy(update={"secret_key": None}), ["sex"])
    assert public_table(db, settings, ["sex"]).policy.noise_bound == 2


# -- the same two versions, attacked by linear programming over everything published ------
#
# The visitor combines *all* saved cells of both versions at once: the attacker of
# `benchmarks/versions_attack.py` (also used by test_versions_general), which knows the
# published policy (k, D) and bounds, by linear programming over every combination and
# membership class, each count of records in one version and not the other; none of those
# with a true value in 1..k-1 may be pinned to 1..k-1.


def test_everything_published_in_two_versions_pins_no_small_count(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    before, after, _, _, policy, truth = _two_versions(settings, db, tmp_path)

    k, bound = int(policy["threshold"]), int(policy["noise_bound"])
    # The independent attacker of the benchmark (every cell of both versions at once).
    found = attacker_lp([before, after], truth, k, bound)
    targets, pinned, exposed = found["targets"], found["pinned"], found["exposed"]
    # The attack has material: Beta adds 1..k-1 records to many cells of version 2.
    assert targets >= 100, targets
    assert pinned == 0, f"{pinned} of {targets} pinned to 1..{k - 1}, e.g. {exposed[:3]}"


def test_every_kept_version_is_found_again_with_its_classes(db: Database) -> None:
    """What a new version is protected against: every kept version but itself (also when
    the current one is computed again after a restart), newest first, with its class
    structure; beyond KEPT_VERSIONS the oldest is dropped."""
    from thbhub.storage import privacy as q

    joint = {"dims": ["organisation"], "rows": [["A", 10]]}
    with db.begin() as conn:
        assert q.earlier_public_versions(conn, "cases", "v1") == []
        q.store_public_version(conn, "cases", "v1", {"[]": 10}, {"A": "a"}, joint)
        q.store_public_version(conn, "cases", "v2", {"[]": 12}, {"A": "a", "B": "b"})
        q.store_public_version(conn, "cases", "v2", {"[]": 99}, {})  # again: kept as first
        earlier = q.earlier_public_versions(conn, "cases", "v2")
        assert [e["label"] for e in earlier] == ["v1"]
        assert earlier[0]["cells"] == {"[]": 10} and earlier[0]["joint"] == joint
        assert [e["label"] for e in q.earlier_public_versions(conn, "cases", "v3")] == [
            "v2",
            "v1",
        ]
        assert q.earlier_public_versions(conn, "cases", "v3")[0]["joint"] is None
        for i in range(3, q.KEPT_VERSIONS + 2):
            q.store_public_version(conn, "cases", f"v{i}", {"[]": i}, {})
        labels = [e["label"] for e in q.earlier_public_versions(conn, "cases", "new")]
        assert len(labels) == q.KEPT_VERSIONS and labels[0] == f"v{q.KEPT_VERSIONS + 1}"
        assert "v1" not in labels


def test_versions_kept_before_privacy_0004_are_upgraded(empty_db_url: str) -> None:
    """A database holding privacy_0003 snapshots upgrades: they stay, without a class
    structure (``joint`` None), and are used as before (unchanged organisations only)."""
    from alembic import command
    from sqlalchemy import text

    from thbhub.storage import privacy as q
    from thbhub.storage.migrate import _config, upgrade

    old = Database(empty_db_url)
    try:
        command.upgrade(_config(old), "privacy_0003")
        with old.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO privacy_public_versions (dataset, label, published_at, cells,"
                    " organisations) VALUES ('cases', 'v1', :at, :cells, :orgs)"
                ),
                {"at": "2026-12-01 10:00:00+00:00", "cells": '{"[]": 10}', "orgs": '{"A": "a"}'},
            )
        upgrade(old)
        with old.connect() as conn:
            (kept,) = q.earlier_public_versions(conn, "cases", "v2")
        assert kept["label"] == "v1" and kept["cells"] == {"[]": 10}
        assert kept["organisations"] == {"A": "a"} and kept["joint"] is None
    finally:
        old.dispose()


def test_a_version_kept_before_privacy_0004_is_audited_for_unchanged_organisations() -> None:
    """A kept version without a class structure (stored before privacy_0004): only the
    organisations whose records did not change are modelled in it (their fingerprint), the
    rest of its cells are left out; with the structure, every organisation is."""
    from dataclasses import replace

    from support_privacy import records
    from thbhub.privacy.cellkey import derive_secret
    from thbhub.privacy.gate import GateContext
    from thbhub.privacy.versions import earlier, snapshot

    policy = DisclosurePolicy(cell_key_secret=derive_secret("legacy"))
    frame = records(400, seed=5).with_columns(
        organisation=pl.Series(["A", "B"] * 200), age=pl.col("age").fill_null("(missing)")
    )
    dims = ("organisation", "year", "sex", "age", "citizenship", "country")
    first = GateContext("v1", dimensions=dims).protected(frame, policy)
    kept = snapshot(first.lattice, "v1")
    fewer = frame.filter(~((pl.col("organisation") == "B") & (pl.col("year") == "2015")))
    second = GateContext("v2", dimensions=dims).protected(fewer, policy, [kept])
    assert second.audited
    legacy = replace(kept, joint=None)
    (modelled,) = earlier(second.lattice, [legacy])
    assert modelled.unknown == {"B"}  # B withdrew records: not known in the old version
    assert set(modelled.counts["organisation"].unique()) == {"A"}
    assert all("organisation" in key for key in modelled.tables)  # totals over B left out
    (full,) = earlier(second.lattice, [kept])
    assert not full.unknown and full.counts["n"].sum() == frame.height
    again = GateContext("v2", dimensions=dims).protected(fewer, policy, [legacy])
    assert again.audited
