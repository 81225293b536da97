"""The share intervals: the two-corner rule for suppressed cells equals the union over every
table the cells allow, and the intervals cover the true share as often as they claim (a
simulation of multinomial tables with cells below 5 suppressed as `<5`)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thbhub.analytics.intervals import quantile2, score_interval, share_range

Z2 = quantile2("wilson", 2)


@settings(max_examples=200, deadline=None)
@given(
    a=st.integers(0, 6),
    width=st.integers(0, 4),
    r_lo=st.integers(0, 60),
    r_width=st.integers(0, 12),
)
def test_corners_are_the_union_over_every_possible_table(
    a: int, width: int, r_lo: int, r_width: int
) -> None:
    b, r_hi = a + width, r_lo + r_width
    found = share_range((a, b), (r_lo, r_hi), Z2)
    tables = [(x, r) for x in range(a, b + 1) for r in range(r_lo, r_hi + 1) if x + r > 0]
    if not tables or a + r_hi == 0 or b + r_lo == 0:
        return
    assert found is not None
    share_low, share_high, ci_low, ci_high = found
    shares = [x / (x + r) for x, r in tables]
    intervals = [score_interval(x, x + r, Z2) for x, r in tables]
    assert share_low == pytest.approx(min(shares)) and share_high == pytest.approx(max(shares))
    assert ci_low == pytest.approx(min(i[0] for i in intervals))
    assert ci_high == pytest.approx(max(i[1] for i in intervals))


def test_wilson_matches_a_worked_value() -> None:
    # 16 of 39 (Latvia 2019, female victims): Wilson 95% by the textbook formula.
    low, high = score_interval(16, 39, Z2)
    assert (round(low, 4), round(high, 4)) == (0.2708, 0.5658)
    # Goodman for 4 categories is wider than Wilson.
    g_low, g_high = score_interval(16, 39, quantile2("goodman", 4))
    assert g_low < low and g_high > high


def _suppressed_share_interval(counts: np.ndarray, k: int) -> tuple[float, float]:
    """What the shares service does for category k when cells below 5 are published as
    `<5` and the total is published: bounds [0, 4] for a suppressed count."""
    total = float(counts.sum())
    a, b = (0.0, 4.0) if counts[k] < 5 else (float(counts[k]),) * 2
    found = share_range((a, b), (total - b, total - a), Z2)
    assert found is not None
    return found[2], found[3]


@pytest.mark.parametrize(
    ("probs", "n"),
    [((0.6, 0.3, 0.08, 0.02), 40), ((0.45, 0.45, 0.1), 25), ((0.7, 0.2, 0.05, 0.05), 150)],
)
def test_coverage_with_suppressed_cells(probs: tuple[float, ...], n: int) -> None:
    """Each category's interval (suppressed ones by their bounds) contains the true share in
    at least 93% of 2,000 simulated tables (nominal 95%; Monte Carlo error about 0.5 point)."""
    rng = np.random.default_rng(20261203)
    draws = rng.multinomial(n, probs, size=2000)
    for k, p in enumerate(probs):
        hits = 0
        for counts in draws:
            low, high = _suppressed_share_interval(counts, k)
            hits += low <= p <= high
        assert hits / len(draws) >= 0.93, (k, p, hits / len(draws))


def test_a_suppressed_cell_read_as_zero_would_not_cover() -> None:
    """The test above can fail: reading `<5` as 0 (the rule the service refuses) covers a
    true share of 10% in 60 in far fewer tables than 93%; the bounds rule covers it."""
    rng = np.random.default_rng(7)
    draws = rng.multinomial(60, (0.6, 0.3, 0.1), size=2000)
    hits = bounded = 0
    for counts in draws:
        x = counts[2] if counts[2] >= 5 else 0
        low, high = score_interval(x, 60, Z2)
        hits += low <= 0.1 <= high
        low, high = _suppressed_share_interval(counts, 2)
        bounded += low <= 0.1 <= high
    assert bounded / len(draws) >= 0.93
    assert hits / len(draws) < 0.93
