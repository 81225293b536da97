"""The audit's warm-started solver gives the optima of a cold solve, objective after
objective over one polytope, including unbounded sides and a polytope with no equations."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from thbhub.privacy.polytope import Polytope


def _cold(a: sparse.csr_matrix, b: np.ndarray, variables: np.ndarray) -> tuple[float, float]:
    c = np.zeros(a.shape[1])
    c[variables] = 1.0
    out = []
    for sign in (1.0, -1.0):
        res = linprog(sign * c, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
        out.append(-np.inf if res.status == 3 else float(res.fun))
    return out[0], -out[1]


def test_warm_started_optima_equal_cold_ones() -> None:
    rng = np.random.default_rng(7)
    for _ in range(20):
        cols = int(rng.integers(4, 40))
        rows = int(rng.integers(1, cols))
        # Sums of random subsets of non-negative unknowns, as published cells are; some
        # unknowns are left out of every equation, so some objectives are unbounded above.
        a = (rng.random((rows, cols)) < 0.3).astype(float)
        a[:, rng.random(cols) < 0.1] = 0.0
        truth = rng.integers(0, 9, cols).astype(float)
        b = a @ truth
        a_eq = sparse.csr_matrix(a)
        polytope = Polytope(a_eq, b)
        for _ in range(15):
            size = int(rng.integers(1, 4))
            variables = np.sort(rng.choice(cols, size, replace=False))
            low, high = polytope.interval(variables)
            ref_low, ref_high = _cold(a_eq, b, variables)
            assert np.isclose(low, ref_low, atol=1e-7), (low, ref_low)
            assert high == ref_high or np.isclose(high, ref_high, atol=1e-7), (high, ref_high)
            assert low <= truth[variables].sum() + 1e-7 <= high + 2e-7


def test_nothing_published_bounds_nothing_above() -> None:
    polytope = Polytope(sparse.csr_matrix((0, 3)), np.zeros(0))
    assert polytope.interval(np.array([1])) == (0.0, np.inf)


def test_the_solver_writes_nothing_on_stdout() -> None:
    """Our stdout is data (``--format json``): HiGHS's banner, printed at the C level when
    a process makes its first solver, must not reach it."""
    code = (
        "import numpy as np; from scipy import sparse;"
        "from thbhub.privacy.polytope import Polytope;"
        "p = Polytope(sparse.csr_matrix(np.ones((1, 2))), np.array([3.0]));"
        "print(p.interval(np.array([0])))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout == "(0.0, 3.0)\n"
