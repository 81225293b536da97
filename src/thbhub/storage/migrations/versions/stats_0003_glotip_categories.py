"""Statistics: GLOTIP cells stored before categories were kept apart, as they are now.

Until now the GLOTIP importer read the category texts that name no country (an empty cell,
`0`, `Nationality`) as "unknown", mapped "EU-28 others", "Africa others", "Asia others" and
"Europe others" to the whole group, and added up different categories that so fell on one
key (Bolivia 2018: "Sin determinar" 26 + an unnamed 332 = 358 "unknown").  Every cell kept
its source's own text (`label`) and every part of a sum its own row (`part=N`), so the
stored cells can be put right without the file:

- each cell's citizenship (or `repatriation=` in `extra`) is set from its own category:
  `country-group:not-named`, `country-group:eu28-others`, ...;
- a sum of different categories (its label joins two texts with ` + `) is deleted and its
  parts become cells of their own; parts that still share a key keep apart under their
  codes (`codes=...`), as a new import stores them.

The concepts come with the taxonomy, which `thbhub init` installs after the migrations.

Revision ID: stats_0003
Revises: stats_0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "stats_0003"
down_revision = "stats_0002"
branch_labels = None
depends_on = None

#: category text -> the concept it names now (as the taxonomy maps it, source unodc)
RENAMED = {
    "": "country-group:not-named",
    "0": "country-group:not-named",
    "Nationality": "country-group:not-named",
    "EU-28 others": "country-group:eu28-others",
    "Africa others": "country-group:africa-others",
    "Asia others": "country-group:asia-others",
    "Europe others": "country-group:europe-others",
}
_LABEL = re.compile(
    r"^[^|]* \| (by citizenship|by country of repatriation): (.*?) \| [^|]* \| [^|]*$"
)
_PART = re.compile(r"(^|;)part=\d+$")

datasets = sa.table("stat_datasets", sa.column("id", sa.Integer), sa.column("importer"))
observations = sa.table(
    "observations",
    sa.column("id", sa.Integer),
    sa.column("dataset_id", sa.Integer),
    *(sa.column(c) for c in ("indicator", "country", "year", "sex", "age", "form")),
    *(sa.column(c) for c in ("citizenship", "extra", "flags", "label")),
)
KEY = ("dataset_id", "indicator", "country", "year", "sex", "age", "form", "citizenship")


def _renamed(row: dict[str, Any]) -> dict[str, str] | None:
    """New citizenship/extra for a cell from its own label, or None when it stays."""
    m = _LABEL.match(row["label"])
    if m is None or m.group(2) not in RENAMED:
        return None
    concept = RENAMED[m.group(2)]
    if m.group(1) == "by citizenship":
        return {"citizenship": concept, "extra": row["extra"]}
    extra = re.sub(r"(^|;)repatriation=[^;]*", rf"\1repatriation={concept}", row["extra"])
    return {"citizenship": row["citizenship"], "extra": extra}


def _codes(extra: str, label: str) -> str:
    item = "codes=" + label.split(" | ", 1)[-1].replace(";", ",")
    return f"{extra};{item}" if extra else item


def upgrade() -> None:
    conn = op.get_bind()
    glotip = sa.select(datasets.c.id).where(datasets.c.importer == "glotip")
    rows = [
        dict(r)
        for r in conn.execute(
            sa.select(observations).where(
                observations.c.dataset_id.in_(glotip),
                sa.or_(
                    observations.c.label.contains("| by citizenship: "),
                    observations.c.label.contains("| by country of repatriation: "),
                ),
            )
        ).mappings()
    ]
    # 1. Sums of different categories go; their parts become cells of their own.
    mixed = [r for r in rows if " + " in r["label"] and "summed" in r["flags"].split(",")]
    gone = {r["id"] for r in mixed}
    promoted: dict[int, str] = {}
    for s in mixed:
        for r in rows:
            if r["id"] in gone or not _PART.search(r["extra"]):
                continue
            base = _PART.sub("", r["extra"])
            if base == s["extra"] and all(r[k] == s[k] for k in KEY):
                promoted[r["id"]] = base
    if gone:
        conn.execute(sa.delete(observations).where(observations.c.id.in_(sorted(gone))))
    # 2. Every remaining cell takes the concept its own category names now.
    changes: dict[int, dict[str, str]] = {}
    for r in rows:
        if r["id"] in gone:
            continue
        new = _renamed(r) or {"citizenship": r["citizenship"], "extra": r["extra"]}
        if r["id"] in promoted:
            new["extra"] = _PART.sub("", new["extra"])
        if new != {"citizenship": r["citizenship"], "extra": r["extra"]}:
            changes[r["id"]] = new
    # 3. Promoted parts that still share a key (two codes, one concept) keep apart.
    by_key: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        if r["id"] in promoted:
            cell = {**r, **changes.get(r["id"], {})}
            by_key[(*(cell[k] for k in KEY), cell["extra"])].append(cell)
    for cells in by_key.values():
        if len(cells) > 1:
            for cell in cells:
                changes[cell["id"]] = {
                    "citizenship": cell["citizenship"],
                    "extra": _codes(cell["extra"], cell["label"]),
                }
    stmt = (
        sa.update(observations)
        .where(observations.c.id == sa.bindparam("cell_id"))
        .values(citizenship=sa.bindparam("new_citizenship"), extra=sa.bindparam("new_extra"))
    )
    params = [
        {"cell_id": i, "new_citizenship": c["citizenship"], "new_extra": c["extra"]}
        for i, c in changes.items()
    ]
    if params:
        conn.execute(stmt, params)


def downgrade() -> None:
    """Nothing to undo in the schema; the earlier readings were wrong and are not restored."""
