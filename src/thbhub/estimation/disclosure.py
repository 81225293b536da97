"""The one place a linkage project's public numbers are made: through the disclosure gate.

Everything a non-member sees about a project's linked records (the number of persons seen,
the estimate and its interval, for the whole project or a slice of it) is computed here,
from :class:`thbhub.privacy.gate.GatedTable` cells only, never from the true counts:

1. The published linked persons (:func:`thbhub.estimation.persons.person_frame`, one row
   each with one ``pattern``, ``year`` and ``form``) go to the gate as one dataset whose
   dimensions are fixed for the project's life: the ``pattern`` and the project's *public
   splits* (year, form, both or none, chosen at creation).  The gate builds every table of
   that lattice up to two dimensions (the overlap table, by year, by form, year by form),
   suppresses counts in 1..k-1 and whatever would let them be recovered by adding and
   subtracting published cells, audits that by linear programming, and moves every other
   count by the cell key method's bounded, consistent noise.
2. A public query filters by one public split at most (both together are for members):
   it is a slice of that lattice.  The number of persons seen is the slice's gated total,
   the overlap table the gated cells ``by pattern`` within it.  Because every slice is a
   cell of one protected lattice, "all years minus the other years" or "one form minus the
   rest" is a relation the gate has already protected.
3. The estimate and its interval are computed from the gated overlap table, and only when
   none of its cells is suppressed: a function of published cells reveals nothing the
   cells would not (docs/estimation.md gives how far it moves from the members' estimate).

The price of splits: small slices make the gate suppress cells of the whole project's
overlap table too (docs/estimation.md measures it); a project that wants its headline
estimate public whatever its slices chooses fewer splits.  Members see the true table
(:mod:`thbhub.estimation.project_estimates`); this module is what everybody else gets.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import polars as pl

from thbhub.domain.errors import UserError
from thbhub.estimation.persons import FILTERS
from thbhub.estimation.service import estimate
from thbhub.estimation.table import CaptureTable
from thbhub.privacy.gate import SUPPRESSED, GateContext, GatedTable
from thbhub.privacy.policy import DisclosurePolicy

#: The public lattice's tables have at most this many dimensions: the overlap table by year
#: and by form, not by both.  With the three-way table in the lattice, the gate's protection
#: of its small cells suppresses the overlap table itself in small projects (the tests'
#: 65 persons lose every cell); with two, the same project publishes all of them.
MAX_DIMS = 2
#: Keys of the estimate the public may see.
PUBLIC_FIELDS = ("estimate", "ci_low", "ci_high", "method", "threshold", "bootstrap", "seed")


def public_splits(text: str) -> tuple[str, ...]:
    """A project's stored ``public_by`` ("year,form", "year", "form" or "") as a tuple."""
    return tuple(d for d in FILTERS if d in text.split(","))


def check_splits(given: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [d for d in given if d not in FILTERS]
    if unknown:
        raise UserError(
            f"a public estimate is split by {' and '.join(FILTERS)} only, not {unknown[0]!r}"
        )
    return tuple(d for d in FILTERS if d in given)


def gated_overlap(
    persons: pl.DataFrame,
    policy: DisclosurePolicy,
    dataset: str,
    filters: dict[str, str],
    splits: tuple[str, ...] = FILTERS,
) -> GatedTable | None:
    """The slice's overlap table as the gate releases it from the project's one lattice over
    the pattern and its public ``splits`` (``None``: no published person in the slice)."""
    frame = persons.select(pl.col("pattern").cast(pl.String), *splits)
    if frame.height == 0:
        return None
    policy = replace(policy, max_table_dims=min(policy.max_table_dims, MAX_DIMS))
    dims = ("pattern", *splits)
    protected = GateContext(dataset=dataset, dimensions=dims).protected(frame, policy)
    for d, v in filters.items():
        if v not in protected.lattice.categories[d]:
            return None
    return protected.table(["pattern"], filters)


def public_view(
    persons: pl.DataFrame,
    lists: list[str],
    policy: DisclosurePolicy,
    dataset: str,
    filters: dict[str, str],
    *,
    splits: tuple[str, ...],
    threshold: float,
    n_boot: int,
    seed: int,
) -> dict[str, Any]:
    """What anyone may see of the slice ``filters``: ``published``, ``observed`` (gated;
    None when suppressed) and, when every cell of the gated overlap table is published, the
    estimate and interval computed from those cells; else the reason there is none."""
    try:
        policy.require_version_safe()
    except UserError as refused:  # the deployment's policy publishes nothing: say why
        return {"published": False, "reason": str(refused)}
    closed = [d for d in filters if d not in splits]
    if closed:
        return {
            "published": False,
            "reason": f"this project publishes no estimate split by {closed[0]} (its public "
            f"splits: {', '.join(splits) or 'none'}); members see every split",
        }
    most = min(policy.max_table_dims, MAX_DIMS) - 1
    if len(filters) > most:
        return {
            "published": False,
            "reason": f"the public estimate is filtered by at most {most} of year and form "
            "(so that every filtered estimate is a slice of one protected set of tables)",
        }
    gated = gated_overlap(persons, policy, dataset, filters, splits)
    if gated is None:
        return {"published": False, "observed": 0, "reason": "no published linked person"}
    total = gated.total
    out: dict[str, Any] = {"observed": total.count, "observed_status": total.status}
    if total.status == SUPPRESSED:
        return out | {
            "published": False,
            "reason": (
                f"fewer persons seen than the disclosure threshold ({policy.threshold}), or "
                "suppressed to protect such a count: no number is published"
            ),
        }
    hidden = [c for c in gated.cells if c.status == SUPPRESSED]
    if hidden:
        return out | {
            "published": False,
            "reason": (
                f"{len(hidden)} cell(s) of the overlap table are below the disclosure "
                f"threshold ({policy.threshold}) or suppressed to protect one: an estimate "
                "would reveal them, so none is published"
            ),
        }
    cells = [(int(c.key[0]), int(c.count or 0)) for c in gated.cells if c.count]
    table = CaptureTable(
        lists=tuple(lists),
        patterns=np.asarray([p for p, _ in cells], dtype=np.int64),
        counts=np.asarray([n for _, n in cells], dtype=np.int64),
    )
    found = estimate(table, threshold=threshold, n_boot=n_boot, seed=seed).as_dict()
    return out | {"published": True} | {k: found[k] for k in PUBLIC_FIELDS}
