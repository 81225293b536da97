"""Aggregate-seeded synthetic microdata: records drawn from the DP aggregates alone.

Like the Synthetic Data Showcase's aggregate-seeded synthesis (read, not copied), records
are built attribute by attribute, and an attribute may be added only if every combination
it forms with the attributes already chosen (up to the reporting length) is among the
released aggregates, so the synthesis itself fabricates no combination of length <= R.
The weight of a candidate value is the smallest released count among those combinations
(for a record still shorter than R that is the exact count of the extended combination).

Differences, for speed on a laptop and determinism: columns are filled in one fixed order
(most informative - fewest values - first) and all records that share a partial record are
extended together, so the work grows with the number of distinct partial records, not with
the number of records.  A partial record with no admissible value gets the missing
category.  Everything here is post-processing of the DP aggregates: it reads no record.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import polars as pl

from thbhub.privacy.combinations import MISSING
from thbhub.privacy.dp import DpAggregates

#: Shortest combinations (with chosen attributes) a value must form from released ones.
MIN_DEPTH = 1
#: Last resort: how many unreleased pairs a value may form with the partial record.
PAIR_SLACK = 0
#: Column orders (batches of records) used by the synthesis.
ORDERS = 4


def synthesise(
    release: DpAggregates, *, seed: int | None = None, orders: int = ORDERS
) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    aggs = release.aggregates
    r = release.reporting_length
    values = {c: (aggs[(c,)].height if (c,) in aggs else 0) for c in release.columns}
    base = sorted(release.columns, key=lambda c: (-values[c], c))
    # Like the showcase's per-record random attribute order, records are built in a few
    # batches with different column orders (the first is the most-values-first order), so
    # that no column is always conditioned on everything else.
    n = release.noisy_records
    sizes = [n // orders + (1 if i < n % orders else 0) for i in range(orders)]
    batches = []
    for i, size in enumerate(sizes):
        order = base if i == 0 else list(rng.permutation(base))
        syn = pl.DataFrame({"_rid": np.arange(size, dtype=np.int64)})
        done: list[str] = []
        for col in order:
            syn = _extend(syn, col, done, aggs, r, rng)
            done.append(col)
        batches.append(syn.select(list(release.columns)))
    return pl.concat(batches)


def _extend(
    syn: pl.DataFrame,
    col: str,
    done: list[str],
    aggs: dict[tuple[str, ...], pl.DataFrame],
    r: int,
    rng: np.random.Generator,
) -> pl.DataFrame:
    single = aggs.get((col,))
    if single is None or syn.height == 0:
        return syn.with_columns(pl.lit(MISSING).alias(col))
    if done:
        prefixes = syn.group_by(done).agg(pl.len().alias("_m")).with_row_index("_pid")
    else:
        prefixes = pl.DataFrame(
            {"_pid": [0], "_m": [syn.height]}, schema={"_pid": pl.UInt32, "_m": pl.UInt32}
        )
    # Strictest first: every combination with up to R-1 chosen attributes must be released;
    # partial records left with no admissible value are retried with shorter combinations
    # only (down to the single-value counts), rather than left incomplete.
    parts = []
    remaining = prefixes
    for depth in range(min(r - 1, len(done)), min(MIN_DEPTH, len(done)) - 1, -1):
        cand = _admissible(remaining, single, col, done, aggs, depth)
        parts.append(cand)
        remaining = remaining.join(cand.select("_pid").unique(), on="_pid", how="anti")
        if remaining.height == 0:
            break
    if remaining.height and done:
        parts.append(_best_partial(remaining, single, col, done, aggs))
    cand = pl.concat(parts, how="vertical_relaxed") if parts else prefixes.head(0)
    cand = cand.filter(pl.col("_w") > 0).sort(["_pid", col])
    # Cumulative weights within each partial record, offset by its id, so one sorted
    # search assigns every record its value.
    cand = cand.with_columns(
        _cum=pl.col("_w").cum_sum().over("_pid") / pl.col("_w").sum().over("_pid")
        + pl.col("_pid").cast(pl.Float64)
    )
    if done:
        syn = syn.join(prefixes.select([*done, "_pid"]), on=done, how="left")
    else:
        syn = syn.with_columns(_pid=pl.lit(0, dtype=pl.UInt32))
    pid = syn["_pid"].to_numpy().astype(np.float64)
    cum = cand["_cum"].to_numpy()
    pos = np.searchsorted(cum, pid + rng.random(len(pid)), side="right")
    pos = np.minimum(pos, max(len(cum) - 1, 0))
    values = cand[col].to_numpy() if len(cum) else np.array([MISSING] * len(pid))
    cand_pid = cand["_pid"].to_numpy() if len(cum) else np.array([-1] * len(pid))
    chosen = np.where(cand_pid[pos] == pid, values[pos], MISSING) if len(cum) else values
    return syn.drop("_pid").with_columns(pl.Series(col, chosen, dtype=pl.Utf8))


def _admissible(
    prefixes: pl.DataFrame,
    single: pl.DataFrame,
    col: str,
    done: list[str],
    aggs: dict[tuple[str, ...], pl.DataFrame],
    depth: int,
) -> pl.DataFrame:
    """(partial record, candidate value, weight) for values whose combinations with up to
    ``depth`` chosen attributes are all released; weight = the smallest of their counts."""
    cand = prefixes.join(single.rename({"n": "_w"}), how="cross")
    for size in range(1, depth + 1):
        for subset in combinations(done, size):
            key = _find(aggs, [*subset, col])
            if key is None:
                return cand.head(0)
            table = aggs[key].rename({"n": "_c"})
            # Missing is a category of the aggregates like any other ("age unknown" goes
            # with some citizenships far more than others), so it constrains too.
            cand = (
                cand.join(table, on=list(key), how="inner")
                .with_columns(_w=pl.min_horizontal("_w", "_c"))
                .drop("_c")
            )
            if cand.height == 0:
                return cand
    return cand


def _best_partial(
    prefixes: pl.DataFrame,
    single: pl.DataFrame,
    col: str,
    done: list[str],
    aggs: dict[tuple[str, ...], pl.DataFrame],
) -> pl.DataFrame:
    """Last resort: the values that form the most released pairs with the partial record
    (rather than leaving it incomplete, which would distort every count it enters)."""
    cand = prefixes.join(single.rename({"n": "_w"}), how="cross").with_columns(_hits=pl.lit(0))
    for other in done:
        key = _find(aggs, [other, col])
        if key is None:
            continue
        cand = (
            cand.join(aggs[key].rename({"n": "_c"}), on=list(key), how="left")
            .with_columns(
                _hits=pl.col("_hits") + pl.col("_c").is_not_null().cast(pl.Int32),
                _w=pl.min_horizontal("_w", pl.col("_c").fill_null(pl.col("_w"))),
            )
            .drop("_c")
        )
    pairs = sum(_find(aggs, [o, col]) is not None for o in done)
    best = (pl.col("_hits") == pl.col("_hits").max().over("_pid")) & (
        pl.col("_hits") >= pairs - PAIR_SLACK
    )
    return cand.filter(best).drop("_hits")


def _find(aggs: dict[tuple[str, ...], pl.DataFrame], cols: list[str]) -> tuple[str, ...] | None:
    wanted = set(cols)
    for key in aggs:
        if len(key) == len(wanted) and set(key) == wanted:
            return key
    return None
