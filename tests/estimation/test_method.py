"""The method's parts against what can be computed another way: closed forms, statsmodels'
GLM, the primal linear program SparseMSE solves, and the checks the SparseMSE
documentation states for its Artificial_3 table."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import statsmodels.api as sm

from thbhub.estimation import bootstrap
from thbhub.estimation.model import (
    NOT_FINITE,
    NOT_IDENTIFIABLE,
    _positive_table_exists,
    all_pairs,
    check,
    design,
    fit,
    positive_table_exists_primal,
)
from thbhub.estimation.samples import sample_table
from thbhub.estimation.selection import full_counts, select
from thbhub.estimation.service import estimate, main_effects, sensitivity
from thbhub.estimation.table import from_rows


def support(table) -> bytes:  # type: ignore[no-untyped-def]
    cells = full_counts(table.n_lists, table.patterns, table.counts[None, :])[0]
    return (cells > 0).astype(np.uint8).tobytes()


def test_artificial_3_checks_are_those_the_sparsemse_documentation_states() -> None:
    # SparseMSE's Artificial_3 help page: all three pairs -> not identifiable (the program
    # is positive); AB alone or with AC or BC -> no finite estimate; main effects, AC, BC,
    # AC+BC -> both tests passed.
    table = sample_table("Artificial_3.csv")
    ab, ac, bc = (0, 1), (0, 2), (1, 2)
    key = support(table)
    assert check(3, (ab, ac, bc), key) == NOT_IDENTIFIABLE
    for model in [(ab,), (ab, ac), (ab, bc)]:
        assert check(3, model, key) & NOT_FINITE, model
    for model in [(), (ac,), (bc,), (ac, bc)]:
        assert check(3, model, key) == 0, model


def test_fast_existence_check_equals_the_primal_linear_program() -> None:
    # Every model of up to two pairs on the 5-list table, and random zero patterns.
    table = sample_table("NewOrl_5.csv")
    rng = np.random.default_rng(7)
    base = np.frombuffer(support(table), dtype=np.uint8).astype(bool)
    patterns = [base] + [base & (rng.random(base.size) < 0.7) for _ in range(6)]
    pairs = all_pairs(5)
    disagreements = []
    seen = {True: 0, False: 0}
    for positive in patterns:
        if not positive.any():
            continue
        for k in range(3):
            for model in itertools.combinations(pairs, k):
                d = design(5, model, ())
                fast = _positive_table_exists(d.matrix, positive[d.rows])
                slow = positive_table_exists_primal(d.matrix, positive[d.rows])
                seen[slow] += 1
                if fast != slow:
                    disagreements.append((positive, model))
    assert not disagreements
    assert seen[True] and seen[False]  # both answers occur: the comparison means something


def test_batched_fit_equals_statsmodels_glm() -> None:
    table = sample_table("NewOrl.csv")
    cells = full_counts(8, table.patterns, table.counts[None, :])
    d = design(8, ((3, 4), (0, 2)), ((0, 1),))
    ours = fit(d.matrix, cells[:, d.rows])
    theirs = sm.GLM(cells[0, d.rows], d.matrix, family=sm.families.Poisson()).fit(tol=1e-12)
    assert np.allclose(ours.coef[0], theirs.params, rtol=1e-6, atol=1e-6)
    assert np.isclose(ours.intercept_var[0], theirs.cov_params()[0, 0], rtol=1e-5)
    assert ours.converged[0]


def test_two_lists_main_effects_is_lincoln_petersen() -> None:
    # N = n1 * n2 / m for two lists (n1, n2 on each list, m on both).
    table = from_rows(["A", "B"], [((1, 0), 60), ((0, 1), 30), ((1, 1), 15)])
    found = main_effects(table)
    assert found.estimate == pytest.approx(75 * 45 / 15, rel=1e-8)


def test_pairs_that_never_overlap_leave_their_cells_out() -> None:
    # Artificial_3 with A:C and B:C at minus infinity: cells A, B, AB, C remain, the model
    # is saturated on them, so the unseen number is n_A * n_B / n_AB = 40 * 30 / 6 = 200.
    table = sample_table("Artificial_3.csv")
    d = design(3, (), ((0, 2), (1, 2)))
    cells = full_counts(3, table.patterns, table.counts[None, :])
    fitted = fit(d.matrix, cells[:, d.rows])
    assert np.exp(fitted.coef[0, 0]) == pytest.approx(200.0, rel=1e-8)
    assert sorted((d.rows + 1).tolist()) == [1, 2, 3, 4]  # cells A, B, AB, C
    rows = {r["threshold"]: r for r in sensitivity(table)}
    assert rows[0.2]["interactions"] == ["A:C", "B:C"]
    assert rows[0.2]["estimate"] == pytest.approx(296.0)


def test_stepwise_adds_the_most_significant_pair_first_while_below_the_threshold() -> None:
    table = sample_table("NewOrl.csv")
    rows = {r["threshold"]: r for r in sensitivity(table)}
    assert rows[0.0]["interactions"] == [] and rows[0.01]["interactions"] == []
    assert rows[0.02]["interactions"] == ["D:E"]
    # Looser thresholds keep the earlier picks, in order, and add to them.
    looser = [rows[t]["interactions"] for t in (0.02, 0.05, 0.1, 0.2)]
    for shorter, longer in itertools.pairwise(looser):
        assert longer[: len(shorter)] == shorter and len(longer) >= len(shorter)


def test_a_list_holding_every_case_leaves_nobody_unseen() -> None:
    table = from_rows(["A", "B", "C"], [((1, 0, 0), 5), ((1, 1, 0), 3), ((1, 0, 1), 2)])
    found = estimate(table, n_boot=0)
    assert found.estimate == table.observed
    assert any("holds every case" in w for w in found.warnings)


def test_repeated_patterns_are_added_up() -> None:
    whole = sample_table("Korea.csv")
    split = from_rows(
        whole.lists,
        [
            ([(p >> i) & 1 for i in range(3)], part)
            for p, c in zip(whole.patterns.tolist(), whole.counts.tolist(), strict=True)
            for part in (c // 2, c - c // 2)
        ],
    )
    assert estimate(split, n_boot=0).estimate == estimate(whole, n_boot=0).estimate


def test_bootstrap_is_reproducible_and_depends_on_the_seed() -> None:
    table = sample_table("Korea.csv")
    first = estimate(table, n_boot=200, seed=5)
    again = estimate(table, n_boot=200, seed=5)
    other = estimate(table, n_boot=200, seed=6)
    assert (first.ci_low, first.ci_high) == (again.ci_low, again.ci_high)
    assert (first.ci_low, first.ci_high) != (other.ci_low, other.ci_high)


def test_batch_of_tables_gives_each_table_its_own_selection() -> None:
    # The bootstrap runs every replicate in one batch: each must equal its own run.
    table = sample_table("NewOrl.csv")
    draws = bootstrap.resample(table.counts, 40, seed=3)
    together = select(8, full_counts(8, table.patterns, draws), 0.02)
    for k in range(0, 40, 7):
        alone = select(8, full_counts(8, table.patterns, draws[k : k + 1]), 0.02)
        assert alone.pairs[0] == together.pairs[k]
        assert alone.dark[0] == pytest.approx(together.dark[k], rel=1e-9)


def test_bca_with_no_bias_and_no_acceleration_is_the_percentile_interval() -> None:
    replicates = np.arange(1, 1002, dtype=float)
    low, high, z0, levels = bootstrap.bca(501.0, replicates, 0.0)
    assert levels == pytest.approx((0.025, 0.975), abs=2e-3)
    assert z0 == pytest.approx(0.0, abs=1e-2)
    assert low == pytest.approx(np.quantile(replicates, 0.025), abs=2)
    assert high == pytest.approx(np.quantile(replicates, 0.975), abs=2)


def test_a_bca_limit_read_beyond_the_replicates_is_the_extreme_one_and_says_so() -> None:
    """NewOrl_5 (docs/estimation.md): three quarters of the replicates lie above the
    estimate (z0 = -0.66) and the acceleration is negative, so the lower limit's adjusted
    level is about 0.0001, below 1/1,001: the limit is the smallest replicate, in R's
    SparseMSE as here, and it moves a lot with the seed.  The estimate warns of it."""
    table = sample_table("NewOrl_5.csv")
    found = estimate(table, n_boot=1000, seed=1234)
    assert any("lower limit is the smallest of the 1,000 replicates" in w for w in found.warnings)
    point = found.estimate

    def estimator(counts: np.ndarray) -> np.ndarray:
        chosen = select(table.n_lists, full_counts(table.n_lists, table.patterns, counts), 0.02)
        return counts.sum(axis=1) + chosen.dark

    interval = bootstrap.interval(table.counts, point, estimator, 1000, 1234)
    assert interval.levels[0] < 1 / 1001
    assert interval.low == pytest.approx(interval.replicates.min())
    assert found.ci_low == pytest.approx(interval.low)
    # Korea: both limits read inside the replicates, no such warning
    plain = estimate(sample_table("Korea.csv"), n_boot=1000, seed=1234)
    assert plain.ci_low is not None
    assert not any("replicates (BCa level" in w for w in plain.warnings)
