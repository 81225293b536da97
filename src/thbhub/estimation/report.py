"""One answer for the API and the page: a table's estimate, the main-effects estimate, the
sensitivity table and what a reader needs beside them."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from thbhub.domain.errors import UserError
from thbhub.estimation.samples import TABLES, sample_table
from thbhub.estimation.service import (
    DEFAULT_BOOTSTRAP,
    DEFAULT_SEED,
    DEFAULT_THRESHOLD,
    estimate,
    main_effects,
    sensitivity,
)
from thbhub.estimation.table import CaptureTable

#: The most replicates a web request may ask for (each costs a full model selection).
WEB_MAX_BOOTSTRAP = 2000


def hidden_ratio(observed: int, total: float | None) -> float | None:
    """Unseen cases for every case seen."""
    if total is None:
        return None
    return round((total - observed) / observed, 1)


def report(
    table: CaptureTable,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    n_boot: int = DEFAULT_BOOTSTRAP,
    seed: int = DEFAULT_SEED,
) -> dict[str, Any]:
    """Everything the page shows about one table."""
    if n_boot > WEB_MAX_BOOTSTRAP:
        raise UserError(f"bootstrap is at most {WEB_MAX_BOOTSTRAP:,} replicates here")
    chosen = estimate(table, threshold=threshold, n_boot=n_boot, seed=seed).as_dict()
    main = main_effects(table).as_dict()
    return {
        "lists": list(table.lists),
        "estimate": chosen,
        "hidden_per_detected": hidden_ratio(table.observed, chosen["estimate"]),
        "main_effects": main,
        "sensitivity": sensitivity(table),
        "table": table.rows(),
    }


@lru_cache(maxsize=64)
def sample_report(
    name: str,
    threshold: float = DEFAULT_THRESHOLD,
    n_boot: int = DEFAULT_BOOTSTRAP,
    seed: int = DEFAULT_SEED,
) -> dict[str, Any]:
    """The report of a bundled table, with what was published about it (computed once per
    process and parameters: the tables never change)."""
    table = sample_table(name)
    meta = TABLES[name]
    return {
        "name": name,
        "title": meta.title,
        "source": meta.source,
        "published": meta.published,
        **report(table, threshold=threshold, n_boot=n_boot, seed=seed),
    }


def sample_list() -> list[dict[str, Any]]:
    return [
        {"name": t.file, "title": t.title, "source": t.source, "published": t.published}
        for t in TABLES.values()
    ]
