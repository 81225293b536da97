"""Profiles: what is over- or under-represented in a group of case records against the rest.

For each characteristic (sex, age band, citizenship, country of exploitation, sector, means
of control, recruiter relation) and each of its values: the share of the group's records
with that value (among the group's records where the characteristic is recorded), the same
share among the other records, their ratio with a 95% interval, a p-value and its
Benjamini-Hochberg q-value over every comparison of the profile.  All from published cells
of the gated lattices (:mod:`thbhub.insights.lattices`); a comparison with a suppressed
count says so and shows no ratio.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from thbhub.domain.errors import UserError
from thbhub.insights.cells import (
    SUPPRESSED_NOTE,
    TOO_FEW,
    benjamini_hochberg,
    count,
    minus,
    ratio_interval,
    share,
)
from thbhub.insights.groups import describe
from thbhub.insights.lattices import (
    NOT_RECORDED,
    PSEUDO,
    RECORDED,
    TOPICS,
    Lattices,
    NotPublished,
)
from thbhub.insights.store import PublishedTable
from thbhub.privacy.lattice import MISSING, ProtectionFailed

CHARACTERISTICS: tuple[str, ...] = (
    "sex",
    "age",
    "citizenship",
    "country",
    "sector",
    "means",
    "recruiter",
)


def profile(
    lattices: Lattices, group: Mapping[str, str], where: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The profile of ``group`` (lattice coordinates, :func:`thbhub.insights.groups.parse`)
    within the records matching ``where``."""
    where = dict(where or {})
    if not group:
        raise UserError("a profile needs a group, e.g. --group form=form:labour-exploitation")
    topics = [d for d in group if d in TOPICS]
    if len(topics) > 1 or any(d in TOPICS for d in where):
        raise UserError(
            "a group may name one multi-valued field (means, sector or recruiter), and a "
            "filter none"
        )
    overlap = set(group) & set(where)
    if overlap:
        raise UserError(f"{sorted(overlap)} both define the group and filter the records")
    limit = lattices.policy.max_table_dims
    if len(group) + len(where) + 1 > limit:
        raise UserError(
            f"a group and its filters may use at most {limit - 1} dimensions together under "
            f"the disclosure policy (each comparison adds one); got {len(group) + len(where)}"
        )
    k = lattices.policy.threshold
    rows: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    size: dict[str, int | None] = {}
    audited = True
    for c in CHARACTERISTICS:
        if c in group or c in where:
            continue
        if topics and c in TOPICS:
            reason = (
                "see the co-occurrence matrix"
                if c == topics[0]
                else "two multi-valued fields are not crossed"
            )
            skipped.append({"dimension": c, "reason": reason})
            continue
        try:
            table = lattices.table([c, *group], where)
        except (NotPublished, ProtectionFailed) as e:
            reason = (
                "cannot be published safely beside the public tables"
                if isinstance(e, ProtectionFailed)
                else "not published for this group and filter (docs/insights.md)"
            )
            skipped.append({"dimension": c, "reason": reason})
            continue
        audited = audited and table.audited
        rows += _compare(table, c, dict(group), topics[0] if topics else None, k, size)
    _adjust(rows)
    rows.sort(key=_order)
    for r in rows:
        for f in ("in_share", "out_share", "ratio", "ci_low", "ci_high", "p", "q"):
            if r.get(f) is not None:
                r[f] = float(f"{r[f]:.3g}")
    return {
        "group": describe(group),
        "where": describe(where) if where else None,
        "audience": "public" if lattices.audience == "public" else "organisation",
        "group_records": size.get("group"),
        "other_records": size.get("other"),
        "comparisons": rows,
        "not_compared": skipped,
        "audited": audited,
        "policy": lattices.policy.as_dict(),
        "note": lattices.policy.note(),
    }


def _compare(
    table: PublishedTable,
    c: str,
    group: dict[str, str],
    topic: str | None,
    k: int,
    size: dict[str, int | None],
) -> list[dict[str, Any]]:
    universe = {topic: RECORDED} if topic else {}
    in_n, all_n = count(table, group), count(table, universe)
    missing = NOT_RECORDED if c in TOPICS else MISSING
    if c in TOPICS:  # the records where the characteristic is recorded
        d_in = count(table, {**group, c: RECORDED})
        d_all = count(table, {**universe, c: RECORDED})
    else:
        d_in = minus(in_n, count(table, {**group, c: missing}), 0)
        d_all = minus(all_n, count(table, {**universe, c: missing}), 0)
    if c not in TOPICS:
        size.setdefault("group", in_n)
        size.setdefault("other", minus(all_n, in_n, k))
    d_out = minus(d_all, d_in, k)
    values = sorted({cell.key[0] for cell in table.cells} - PSEUDO - {MISSING})
    rows = []
    for v in values:
        a = count(table, {**group, c: v})
        total = count(table, {**universe, c: v})
        if a == 0 and total == 0:
            continue
        out = minus(total, a, k)
        row: dict[str, Any] = {
            "dimension": c,
            "value": v,
            "in_count": a,
            "in_total": d_in,
            "in_share": share(a, d_in),
            "out_count": out,
            "out_total": d_out,
            "out_share": share(out, d_out),
            "ratio": None,
            "ci_low": None,
            "ci_high": None,
            "p": None,
            "q": None,
            "status": "value",
        }
        if None in (a, d_in, total, d_all):
            row["status"] = SUPPRESSED_NOTE
        elif out is None or d_out is None or not d_in:
            row["status"] = TOO_FEW
        else:
            assert a is not None and d_in is not None
            # Noise may put a count a little above its total: a share is at most 1.
            result = ratio_interval(min(a, d_in), d_in, min(out, d_out), d_out)
            if result is None:
                row["status"] = TOO_FEW
            else:
                row["ratio"], row["ci_low"], row["ci_high"], row["p"] = result
        rows.append(row)
    empty = dict.fromkeys(
        ("in_total", "in_share", "out_count", "out_total", "out_share", "ratio", "ci_low"), None
    )
    rows.append(
        {
            "dimension": c,
            "value": "(not recorded)",
            "in_count": count(table, {**group, c: missing}),
            **empty,
            "ci_high": None,
            "p": None,
            "q": None,
            "status": "not recorded",
        }
    )
    return rows


def _adjust(rows: list[dict[str, Any]]) -> None:
    tested = [r for r in rows if r.get("p") is not None]
    for r, q in zip(tested, benjamini_hochberg([r["p"] for r in tested]), strict=True):
        r["q"] = q


def _order(row: dict[str, Any]) -> tuple[int, float]:
    """Compared rows first, the significant (q < 0.05) among them first, each by how much
    it tells: the group's share times the log-ratio (its part in the information the
    characteristic gives about the group)."""
    if row.get("ratio") is None:
        return (3 if row["status"] == "not recorded" else 2, 0.0)
    info = (row["in_share"] or 0.0) * abs(math.log(row["ratio"]))
    return (0 if row["q"] is not None and row["q"] < 0.05 else 1, -info)
