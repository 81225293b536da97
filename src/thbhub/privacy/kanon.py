"""k-anonymous microdata by full-domain generalisation and minimal record suppression.

For every combination of generalisation levels of the quasi-identifiers (a small lattice:
at most 4 levels per identifier), the records whose equivalence class is smaller than k are
the ones that would have to be suppressed.  Among the level combinations that lose at most
``max_suppression`` of the records, the one that generalises least (sum of the levels, each
divided by its hierarchy's height) is chosen, ties broken by fewer records lost; then only
the records in classes smaller than k are removed - the fewest that this generalisation
needs.  This is Samarati's formulation of k-anonymity, searched exhaustively because the
lattice is small.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product
from typing import Any

import polars as pl

from thbhub.domain.errors import UserError
from thbhub.privacy.hierarchies import hierarchy, level_name

#: The largest number of generalisations (combinations of levels) searched: 4 levels for
#: each of 8 quasi-identifiers is 65,536.
MAX_CANDIDATES = 65_536


@dataclass(frozen=True)
class KAnonResult:
    frame: pl.DataFrame
    k: int
    quasi_identifiers: tuple[str, ...]
    levels: dict[str, int]
    records_in: int
    records_lost: int
    classes: int
    smallest_class: int
    candidates_tried: int
    level_names: dict[str, str] = field(default_factory=dict)

    @property
    def share_lost(self) -> float:
        return self.records_lost / self.records_in if self.records_in else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "method": "kanon",
            "k": self.k,
            "quasi_identifiers": list(self.quasi_identifiers),
            "generalisation": self.level_names,
            "records_in": self.records_in,
            "records_released": self.frame.height,
            "records_lost": self.records_lost,
            "share_lost": round(self.share_lost, 4),
            "equivalence_classes": self.classes,
            "smallest_class": self.smallest_class,
        }


def _generalised(frame: pl.DataFrame, qi: tuple[str, ...]) -> dict[str, list[pl.Series]]:
    out: dict[str, list[pl.Series]] = {}
    for col in qi:
        raw = frame[col].cast(pl.Utf8).fill_null("Unknown")
        uniques = raw.unique().to_list()
        levels = []
        for fn in hierarchy(col):
            mapping = {u: fn(u) for u in uniques}
            levels.append(raw.replace_strict(mapping, return_dtype=pl.Utf8).alias(col))
        out[col] = levels
    return out


def k_anonymise(
    frame: pl.DataFrame,
    quasi_identifiers: list[str] | tuple[str, ...],
    k: int,
    *,
    max_suppression: float = 0.05,
) -> KAnonResult:
    qi = tuple(quasi_identifiers)
    missing = [c for c in qi if c not in frame.columns]
    if missing:
        raise UserError(f"quasi-identifier(s) {missing} are not columns; have {frame.columns}")
    if k < 2:
        raise UserError("k must be at least 2")
    if not 0 <= max_suppression < 1:
        raise UserError("max suppression is a share between 0 and 1")
    n = frame.height
    levels = _generalised(frame, qi)
    heights = {c: len(levels[c]) - 1 for c in qi}
    size = 1
    for c in qi:
        size *= len(levels[c])
    if size > MAX_CANDIDATES:
        raise UserError(
            f"{len(qi)} quasi-identifiers make {size:,} generalisations to search, more than "
            f"the limit of {MAX_CANDIDATES:,} (thbhub.privacy.kanon.MAX_CANDIDATES); "
            "name fewer with --qi"
        )

    def loss_of(vector: tuple[int, ...]) -> float:
        return sum(v / heights[c] if heights[c] else 0.0 for c, v in zip(qi, vector, strict=True))

    # Least generalisation first: the first acceptable loss is the best one; only the
    # vectors of that same loss are still compared (fewer records lost wins).
    vectors = sorted(product(*(range(len(levels[c])) for c in qi)), key=loss_of)
    top = tuple(heights[c] for c in qi)
    best: tuple[float, int, tuple[int, ...]] | None = None
    tried = 0
    for vector in vectors:
        loss = loss_of(vector)
        if best is not None and loss > best[0] + 1e-12:
            break
        tried += 1
        cols = [levels[c][lv] for c, lv in zip(qi, vector, strict=True)]
        sizes = pl.DataFrame(cols).group_by(list(qi)).len()["len"] if qi else pl.Series([n])
        lost = int(sizes.filter(sizes < k).sum())
        if lost > max_suppression * n and vector != top:
            continue
        candidate = (loss, lost, vector)
        if best is None or candidate[:2] < best[:2]:
            best = candidate
    assert best is not None
    _, _, vector = best
    gen = frame.with_columns([levels[c][lv] for c, lv in zip(qi, vector, strict=True)])
    if qi:
        sized = gen.with_columns(_size=pl.len().over(list(qi)))
        kept = sized.filter(pl.col("_size") >= k)
        smallest = int(kept["_size"].min()) if kept.height else 0  # type: ignore[arg-type]
        classes = kept.select(list(qi)).unique().height
        kept = kept.drop("_size")
    else:
        kept = gen if n >= k else gen.head(0)
        smallest, classes = kept.height, int(kept.height > 0)
    return KAnonResult(
        frame=kept,
        k=k,
        quasi_identifiers=qi,
        levels=dict(zip(qi, vector, strict=True)),
        records_in=n,
        records_lost=n - kept.height,
        classes=classes,
        smallest_class=smallest,
        candidates_tried=tried,
        level_names={c: level_name(c, lv) for c, lv in zip(qi, vector, strict=True)},
    )
