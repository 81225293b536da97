"""The stepwise choice of two-list terms (SparseMSE's `stepwisefit`), for many tables at
once: the bootstrap reruns the whole selection on every resampled table.

Start from the main effects.  For each pair of lists not yet in the model, the number of
cases on both lists is, if the pair adds nothing, Poisson with the mean the current model
fits to those cells; its one-sided p-value is the smaller tail.  The most significant pair
(the first in list order among equals) is added while its p-value is below the threshold and
the model with it passes the existence and identifiability checks; a pair that fails them is
passed over.  A pair whose lists share no case enters at minus infinity.

Tables are grouped by the model they have reached, and each group is fitted in one batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import poisson

from thbhub.estimation.model import Pair, all_pairs, cell_bits, check, design, fit, pair_cells


@dataclass
class Selected:
    """The chosen model and its estimate for each table of a batch."""

    pairs: list[tuple[Pair, ...]]  # terms in the order added
    dark: np.ndarray  # exp(intercept): the number no list saw
    dark_log_se: np.ndarray  # standard error of the intercept
    converged: np.ndarray  # the final fit converged
    degenerate: np.ndarray  # a list held no case or every case: main effects only
    n_fits: int = 0  # models fitted, one per table and step (what the benchmark counts)


def full_counts(n_lists: int, patterns: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """(tables, cells) counts over every observable cell from per-pattern counts
    ``counts`` (tables, patterns)."""
    out = np.zeros((counts.shape[0], (1 << n_lists) - 1))
    out[:, patterns - 1] = counts
    return out


def select(n_lists: int, cells: np.ndarray, threshold: float) -> Selected:
    """The stepwise model and its estimate for each row of ``cells`` (tables, cells)."""
    n_tables = cells.shape[0]
    bits = cell_bits(n_lists)
    both = pair_cells(n_lists)
    pairs_all = all_pairs(n_lists)
    totals = cells @ bits  # (tables, lists)
    overlap = cells @ both  # (tables, pairs)
    grand = cells.sum(axis=1)
    empty_list = totals == 0
    full_list = totals == grand[:, None]
    degenerate = empty_list.any(axis=1) | full_list.any(axis=1)

    chosen: list[list[int]] = [[] for _ in range(n_tables)]
    dark = np.zeros(n_tables)
    se = np.zeros(n_tables)
    converged = np.ones(n_tables, dtype=bool)
    support = cells > 0
    active = np.flatnonzero(~full_list.any(axis=1))
    n_fits = 0
    # Every case on one list: no case can be missed by all, the extended estimate of the
    # unseen number is 0 (R's glm gets there with its intercept running to minus infinity).
    while active.size:
        groups: dict[tuple[tuple[Pair, ...], tuple[Pair, ...], tuple[int, ...]], list[int]] = {}
        for t in active.tolist():
            terms = tuple(pairs_all[k] for k in chosen[t])
            empty = tuple(pairs_all[k] for k in chosen[t] if overlap[t, k] == 0)
            kept = tuple(p for p in terms if p not in empty)
            dropped = tuple(np.flatnonzero(empty_list[t]).tolist())
            groups.setdefault((kept, empty, dropped), []).append(t)
        next_active: list[int] = []
        for (kept, empty, dropped), members in groups.items():
            d = design(n_lists, kept, empty, dropped)
            idx = np.array(members)
            fits = fit(d.matrix, cells[idx][:, d.rows])
            n_fits += len(members)
            dark[idx] = np.exp(fits.coef[:, 0])
            se[idx] = np.sqrt(np.maximum(fits.intercept_var, 0.0))
            converged[idx] = fits.converged
            if threshold <= 0:
                continue
            expected = fits.fitted @ both[d.rows]  # (members, pairs)
            observed = overlap[idx]
            p_low = poisson.cdf(observed, expected)
            p_high = np.where(observed > 0, poisson.sf(observed - 1, expected), 1.0)
            p = np.minimum(p_low, p_high)
            for row, t in enumerate(members):
                if degenerate[t]:
                    # A list with no case (or every case) fails the existence check for any
                    # added term, so SparseMSE keeps the main effects.
                    continue
                pick = _first_passing(n_lists, p[row], chosen[t], threshold, support[t])
                if pick is not None:
                    chosen[t].append(pick)
                    next_active.append(t)
        active = np.array(sorted(next_active), dtype=np.int64)
    return Selected(
        [tuple(pairs_all[k] for k in c) for c in chosen], dark, se, converged, degenerate, n_fits
    )


def _first_passing(
    n_lists: int, p: np.ndarray, chosen: list[int], threshold: float, support: np.ndarray
) -> int | None:
    """The pair SparseMSE adds: the lowest p-value below the threshold (the first pair among
    equals) whose model passes both checks; ``None`` when none does."""
    pairs_all = all_pairs(n_lists)
    p = p.copy()
    if chosen:
        p[chosen] = 1.0
    candidates = np.flatnonzero(p < threshold)
    if candidates.size == 0:
        return None
    order = candidates[np.lexsort((candidates, p[candidates]))]
    key = support.astype(np.uint8).tobytes()
    base = tuple(pairs_all[k] for k in chosen)
    for k in order.tolist():
        if check(n_lists, (*base, pairs_all[k]), key) == 0:
            return int(k)
    return None
