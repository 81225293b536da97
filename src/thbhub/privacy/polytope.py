"""Least and greatest values of sums of variables over one polytope, for the audit.

The disclosure audit (:mod:`thbhub.privacy.audit`) asks the same question of one set of
published equations hundreds of times, once per suppressed cell and side; this module keeps
one solver model for all of them.
"""

from __future__ import annotations

import functools
import os
import sys

import highspy
import numpy as np
from scipy import sparse


@functools.cache
def _quiet_first_solver() -> None:
    """Make the process's first HiGHS solver with file descriptor 1 on /dev/null.

    HiGHS writes its banner to the C-level stdout when the first solver of a process is
    made, before any option can silence it; our stdout is data (``--format json``), so that
    one construction writes nowhere.  Later solvers print nothing.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


class Polytope:
    """``{x >= 0 : A x = b}`` (or ``b <= A x <= b_upper``), and the least and greatest
    value of a sum of its variables.

    One HiGHS model serves every objective of an audit, warm-started: changing the costs
    leaves the last optimal basis primal feasible, so the primal simplex continues from it
    (presolve off, which would discard it) instead of solving each problem from scratch.
    On the public tables of the CTDC file with a second, small organisation that was 17x
    faster than a cold :func:`scipy.optimize.linprog` per objective, with the same optima
    (benchmarks/privacy_release.py --tables-only, which keeps ``a_eq`` and ``b_eq`` for
    that reference solve; tests/privacy/test_polytope.py).
    """

    def __init__(
        self, a_eq: sparse.csr_matrix, b_eq: np.ndarray, b_upper: np.ndarray | None = None
    ) -> None:
        """``b_upper`` makes the rows ranges ``b_eq <= A x <= b_upper`` (published counts
        with noise, benchmarks/privacy_versions.py); without it they are equations."""
        self.rows, self.cols = a_eq.shape
        self.a_eq, self.b_eq = a_eq, b_eq
        self.b_upper = b_eq if b_upper is None else b_upper
        self._costs: np.ndarray = np.zeros(0, dtype=np.int32)  # variables with a cost now
        _quiet_first_solver()
        self._highs = highspy.Highs()
        for option, value in (
            ("output_flag", False),
            ("presolve", "off"),
            ("solver", "simplex"),
            ("simplex_strategy", 4),  # primal: a basis stays primal feasible as costs change
        ):
            self._highs.setOptionValue(option, value)
        if self.rows == 0:
            return
        csc = a_eq.tocsc()
        lp = highspy.HighsLp()
        lp.num_col_ = self.cols
        lp.num_row_ = self.rows
        lp.col_cost_ = np.zeros(self.cols)
        lp.col_lower_ = np.zeros(self.cols)
        lp.col_upper_ = np.full(self.cols, highspy.kHighsInf)
        lp.row_lower_ = b_eq
        lp.row_upper_ = b_eq if b_upper is None else b_upper
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = csc.indptr
        lp.a_matrix_.index_ = csc.indices
        lp.a_matrix_.value_ = csc.data
        self._highs.passModel(lp)

    def interval(self, variables: np.ndarray) -> tuple[float, float]:
        """(min, max) of the sum of ``variables``; -inf or inf where unbounded."""
        return self._least(variables, 1.0), -self._least(variables, -1.0)

    def _least(self, variables: np.ndarray, sign: float) -> float:
        if self.rows == 0:  # nothing published: 0 below, unbounded above
            return 0.0 if sign > 0 else -np.inf
        index = variables.astype(np.int32)
        if self._costs.size:
            self._highs.changeColsCost(self._costs.size, self._costs, np.zeros(self._costs.size))
        self._highs.changeColsCost(index.size, index, np.full(index.size, sign))
        self._costs = index
        self._highs.run()
        status = self._highs.getModelStatus()
        if status in (
            highspy.HighsModelStatus.kUnbounded,
            highspy.HighsModelStatus.kUnboundedOrInfeasible,  # feasible: the true table is
        ):
            return -np.inf  # the attacker learns nothing on that side
        if status != highspy.HighsModelStatus.kOptimal:  # pragma: no cover - see above
            raise RuntimeError(f"audit LP failed: {self._highs.modelStatusToString(status)}")
        return float(self._highs.getInfo().objective_function_value)
