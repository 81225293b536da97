"""The utility report: what a release's privacy settings cost, measured against the truth.

Definitions follow the Synthetic Data Showcase's evaluator so that figures are comparable
with its published ones: for combinations of 1..R values (combinations with a missing value
left out), *suppressed* = original combinations absent from the release, *fabricated* =
released combinations absent from the original, both as a percentage of the original
combinations; the mean absolute error is over combinations present in both, overall and for
original counts of at least 10.  The report is computed from the true records and is shown
to the owning organisation only.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from thbhub.privacy.combinations import Aggregates, without_missing


def compare(original: Aggregates, released: Aggregates, reporting_length: int) -> dict[str, Any]:
    original = without_missing(original)
    released = without_missing(released)
    by_length: dict[int, dict[str, float]] = {}
    totals: dict[str, float] = {
        "original": 0,
        "suppressed": 0,
        "fabricated": 0,
        "both": 0,
        "err": 0.0,
        "both10": 0,
        "err10": 0.0,
        "sum_count": 0,
    }
    for k in range(1, reporting_length + 1):
        acc: dict[str, float] = dict.fromkeys(totals, 0.0)
        for cols, o in original.items():
            if len(cols) != k:
                continue
            s = released.get(cols)
            if s is None:
                s = o.head(0)
            keys = list(cols)
            both = o.join(s.rename({"n": "s"}), on=keys, how="inner")
            err = (both["n"] - both["s"]).abs()
            big = both["n"] >= 10
            acc["original"] += o.height
            acc["sum_count"] += int(o["n"].sum())
            acc["both"] += both.height
            acc["suppressed"] += o.height - both.height
            acc["fabricated"] += s.join(o.select(keys), on=keys, how="anti").height
            acc["err"] += float(err.sum())
            acc["both10"] += int(big.sum())
            acc["err10"] += float(err.filter(big).sum())
        for cols, s in released.items():  # whole column sets the original never has
            if len(cols) == k and cols not in original:
                acc["fabricated"] += s.height
        by_length[k] = _metrics(acc)
        for key in totals:
            totals[key] += acc[key]
    return {"by_length": by_length, "overall": _metrics(totals)}


def _metrics(acc: dict[str, Any]) -> dict[str, float]:
    o = acc["original"] or 1
    return {
        "original_combinations": int(acc["original"]),
        "mean_count": round(acc["sum_count"] / o, 2),
        "suppressed_pct": round(100 * acc["suppressed"] / o, 2),
        "fabricated_pct": round(100 * acc["fabricated"] / o, 2),
        "mae": round(acc["err"] / acc["both"], 2) if acc["both"] else 0.0,
        "mae_ge10": round(acc["err10"] / acc["both10"], 2) if acc["both10"] else 0.0,
    }


def report_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The report as rows (one per length, then ``all``), for tables and CSV."""
    rows = [{"length": str(k), **m} for k, m in report["by_length"].items()]
    rows.append({"length": "all", **report["overall"]})
    return rows


def frame_of(report: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(report_rows(report))


def comparison(
    original: Aggregates, released: Aggregates, *, lengths: tuple[int, ...] = (1, 2), top: int = 25
) -> list[dict[str, Any]]:
    """For the owner's "original vs released" view: the ``top`` largest original
    combinations of each length with their released counts, then the largest fabricated."""
    rows: list[dict[str, Any]] = []
    fabricated: list[dict[str, Any]] = []
    for k in lengths:
        found: list[dict[str, Any]] = []
        for cols, o in original.items():
            if len(cols) != k:
                continue
            s = released.get(cols, o.head(0))
            keys = list(cols)
            both = o.join(s.rename({"n": "s"}), on=keys, how="left")
            for r in both.sort("n", descending=True).head(top).iter_rows(named=True):
                found.append(
                    {
                        "combination": "; ".join(f"{c}={r[c]}" for c in cols),
                        "original": int(r["n"]),
                        "released": None if r["s"] is None else int(r["s"]),
                        "outcome": "kept" if r["s"] is not None else "suppressed",
                    }
                )
            for r in s.join(o.select(keys), on=keys, how="anti").iter_rows(named=True):
                fabricated.append(
                    {
                        "combination": "; ".join(f"{c}={r[c]}" for c in cols),
                        "original": None,
                        "released": int(r["n"]),
                        "outcome": "fabricated",
                    }
                )
        rows += sorted(found, key=lambda x: -x["original"])[:top]
    fabricated.sort(key=lambda x: -x["released"])
    return rows + fabricated[:top]
