"""Modus operandi and journeys, read from the gated lattices (:mod:`thbhub.insights.lattices`).

* :func:`cooccurrence`: which means of control go together, by form and sector;
* :func:`breakdown`: a multi-valued field (recruiter relation, means of control, sector)
  by form, sex, age or year: each value's count and its share of the records where the
  field is recorded;
* :func:`journeys`: citizenship -> country of exploitation flows, ranked.

A suppressed count is shown as suppressed, and a share needing it is not computed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from thbhub.domain.errors import UserError
from thbhub.insights.cells import count, share
from thbhub.insights.groups import describe
from thbhub.insights.lattices import (
    FORMS,
    PSEUDO,
    RECORDED,
    TOPICS,
    Lattices,
    NotPublished,
)
from thbhub.insights.store import PublishedTable
from thbhub.privacy.gate import SUPPRESSED
from thbhub.privacy.lattice import MISSING, ProtectionFailed

BREAKDOWN_BY: tuple[str, ...] = ("form", "sex", "age", "year")


def _form_label(column: str) -> str:
    return "form:" + column.removeprefix("form_").replace("_", "-")


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _status(n: int | None) -> str:
    return SUPPRESSED if n is None else "value"


def _meta(lattices: Lattices, tables: list[PublishedTable]) -> dict[str, Any]:
    return {
        "audience": "public" if lattices.audience == "public" else "organisation",
        "audited": all(t.audited for t in tables),
        "policy": lattices.policy.as_dict(),
        "note": lattices.policy.note(),
    }


def cooccurrence(
    lattices: Lattices, form: str | None = None, sector: str | None = None
) -> dict[str, Any]:
    """Records listing each pair of means of control (the diagonal: each means alone), among
    the records of ``form`` (a form flag column) or of ``sector`` (a sector concept): the
    pairs are published by form or by sector, not by both together."""
    where: dict[str, str] = {}
    if form is not None:
        if form not in FORMS:
            raise UserError(f"form must be one of {', '.join(_form_label(f) for f in FORMS)}")
        where[form] = "yes"
    if sector is not None:
        if form is not None:
            raise UserError("the means of control go together by form or by sector, not both")
        where["sector"] = sector
    protected = lattices.get("pairs_sector" if sector else "pairs")
    categories = protected.categories
    empty = any(v not in categories.get(d, []) for d, v in where.items())
    if empty and sector is not None:
        # no record lists a means of control with that sector: nothing to show
        return {
            "form": _form_label(form) if form else None,
            "sector": sector,
            "items": [],
            "cells": [],
            **_meta(lattices, []),
        }
    # no record lists two means of control with that form: only the diagonal is shown
    table = None if empty else protected.table(["pair"], where or None)
    used = [table] if table is not None else []
    alone: dict[str, int | None] = {}
    pairs: list[tuple[str, str, int | None]] = []
    for cell in table.cells if table is not None else ():
        a, _, b = cell.key[0].partition(" + ")
        n = None if cell.status == SUPPRESSED else cell.count
        if a == b:
            alone[a] = n
        pairs.append((a, b, n))
    if sector is None:
        # Each means alone (the diagonal) is a cell of the means-of-control lattice, read
        # there: the pairs lattice by form leaves it out, so that one count is published
        # by one lattice, with one noise and one suppression (docs/insights.md).
        means = lattices.table(["means"], {form: "yes"} if form else None)
        used.append(means)
        listed = {a for a, b, _ in pairs} | {b for _, b, _ in pairs}
        for c in means.cells:
            a = c.key[0]
            if a not in PSEUDO and (a in listed or c.status != "zero"):
                alone[a] = count(means, {"means": a})
        pairs = [(a, b, n) for a, b, n in pairs if a != b]
        pairs += [(a, a, n) for a, n in alone.items()]
    items = sorted(alone)
    cells = []
    for a, b, n in pairs:
        if n == 0:
            continue
        for x, y in ((a, b), (b, a)) if a != b else ((a, b),):
            cells.append(
                {
                    "means": x,
                    "with": y,
                    "count": n,
                    "status": _status(n),
                    # of the records listing x, the share also listing y
                    "share_of_means": _round(share(n, alone.get(x))) if x != y else None,
                }
            )
    return {
        "form": _form_label(form) if form else None,
        "sector": sector,
        "items": items,
        "cells": cells,
        **_meta(lattices, used),
    }


def breakdown(
    lattices: Lattices, topic: str, by: str, where: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """``topic``'s values by ``by`` (form, sex, age or year): counts and shares of the
    records where ``topic`` is recorded, per value of ``by``."""
    if topic not in TOPICS:
        raise UserError(f"choose a field from {', '.join(TOPICS)}")
    if by not in BREAKDOWN_BY:
        raise UserError(f"break down by one of {', '.join(BREAKDOWN_BY)}")
    where = dict(where or {})
    if any(d in TOPICS for d in where) or by in where:
        raise UserError("filter on other dimensions than the one broken down by")
    rows: list[dict[str, Any]] = []
    tables: list[PublishedTable] = []
    columns = list(FORMS) if by == "form" else [by]
    for column in columns:
        if column in where:
            continue
        try:
            table = lattices.table([topic, column], where)
        except (NotPublished, ProtectionFailed) as e:
            return {
                "field": topic,
                "by": by,
                "where": describe(where) if where else None,
                "rows": [],
                "unavailable": str(e),
                **_meta(lattices, []),
            }
        tables.append(table)
        groups = [("yes", _form_label(column))] if by == "form" else None
        if groups is None:
            values = sorted({c.key[1] for c in table.cells} - {MISSING})
            groups = [(v, v) for v in values]
        for value, label in groups:
            recorded = count(table, {column: value, topic: RECORDED})
            for item in sorted({c.key[0] for c in table.cells} - PSEUDO):
                n = count(table, {column: value, topic: item})
                if n == 0:
                    continue
                rows.append(
                    {
                        by: label,
                        topic: item,
                        "count": n,
                        "recorded": recorded,
                        "share": _round(share(n, recorded)),
                        "status": _status(n),
                    }
                )
    return {
        "field": topic,
        "by": by,
        "where": describe(where) if where else None,
        "rows": rows,
        **_meta(lattices, tables),
    }


def journeys(
    lattices: Lattices, where: Mapping[str, str] | None = None, limit: int = 50
) -> dict[str, Any]:
    """Citizenship -> country of exploitation flows, largest published first; suppressed
    flows counted, not ranked (their size is not known)."""
    where = dict(where or {})
    if {"citizenship", "country"} & set(where) or any(d in TOPICS for d in where):
        raise UserError("journeys are filtered by year, sex, age or form only")
    table = lattices.table(["citizenship", "country"], where)
    flows: list[dict[str, Any]] = []
    hidden = 0
    for cell in table.cells:
        if cell.count == 0:
            continue
        src, dst = cell.key
        if cell.status == SUPPRESSED:
            hidden += 1
            continue
        flows.append(
            {
                "citizenship": src,
                "country": dst,
                "count": cell.count,
                "domestic": src == dst and src != MISSING,
                "status": "value",
            }
        )
    flows.sort(key=lambda f: (-f["count"], f["citizenship"], f["country"]))
    return {
        "where": describe(where) if where else None,
        "flows": flows[:limit],
        "flows_published": len(flows),
        "flows_suppressed": hidden,
        **_meta(lattices, [table] if table is not None else []),
    }
