"""The linked persons of a linkage project, one row each, and capture tables made from them.

A person is a project linkage key.  Each person gets *one* value of every dimension an
estimate can be filtered by, so that the slices (``year = 2023``, ``form = labour``, both)
partition the persons and are cells of one lattice of tables: that is what lets the
disclosure gate protect every filtered public estimate at once
(:mod:`thbhub.estimation.disclosure`, docs/estimation.md):

- ``pattern``: which member organisations' lists the person is on (bit i = member i, in
  the order they joined), over all of the person's records;
- ``year``: the year the person was first recorded by any member (its earliest record);
- ``form``: the form of exploitation the person's records name, if they name exactly one;
  ``several`` if they name more than one, ``(missing)`` if none.

Filtering persons by a person-level value, not records by a record-level one, is also what
stratified multiple systems estimation needs: a person's capture history must not change
with the slice it is counted in.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Connection, Text, cast, select

from thbhub.cases import counting
from thbhub.estimation.table import CaptureTable
from thbhub.storage.schema_cases import case_records
from thbhub.storage.schema_estimation import linkage_keys

#: The filter dimensions of a project's estimates, and of the gate's lattice with ``pattern``.
FILTERS = ("year", "form")
MISSING = "(missing)"
SEVERAL = "several"
_SCHEMA = {
    "link_key": pl.String,
    "organisation_id": pl.Int64,
    "year": pl.Int64,
    "forms": pl.String,
    "forms_no": pl.String,
    "forms_status": pl.String,
}


def person_frame(
    conn: Connection,
    project_id: int,
    members: list[dict[str, Any]],
    *,
    published_only: bool = False,
) -> pl.DataFrame:
    """One row per linked person: ``pattern`` (int), ``year`` and ``form`` (text), from the
    records of the current members (only published ones with ``published_only``)."""
    q = (
        select(
            linkage_keys.c.link_key,
            linkage_keys.c.organisation_id,
            case_records.c.year,
            # JSON lists as their text, decoded column-wise (as storage.cases.record_frame)
            cast(case_records.c.forms, Text),
            cast(case_records.c.forms_no, Text),
            case_records.c.forms_status,
        )
        .join(case_records, case_records.c.id == linkage_keys.c.record_id)
        .where(linkage_keys.c.project_id == project_id)
    )
    if published_only:
        q = q.where(case_records.c.state == "published")
    frame = pl.DataFrame(conn.execute(q).all(), _SCHEMA, orient="row")
    bit = {m["organisation_id"]: 1 << i for i, m in enumerate(members)}
    frame = counting.decode_lists(frame.filter(pl.col("organisation_id").is_in(list(bit))))
    persons = frame.group_by("link_key").agg(
        pl.col("organisation_id").replace_strict(bit, return_dtype=pl.Int64).unique().sum()
        .alias("pattern"),
        pl.col("year").min().alias("first_year"),
        pl.col("forms").list.explode(keep_nulls=False, empty_as_null=False).unique()
        .alias("all_forms"),
    )  # fmt: skip
    return persons.select(
        pl.col("pattern"),
        pl.col("first_year").cast(pl.String).fill_null(MISSING).alias("year"),
        pl.when(pl.col("all_forms").list.len() == 1)
        .then(pl.col("all_forms").list.first())
        .when(pl.col("all_forms").list.len() > 1)
        .then(pl.lit(SEVERAL))
        .otherwise(pl.lit(MISSING))
        .alias("form"),
    )


def where(year: int | None, form: str | None) -> dict[str, str]:
    """A query's filters as the lattice's text categories."""
    out = {}
    if year is not None:
        out["year"] = str(year)
    if form is not None:
        out["form"] = form
    return out


def capture_table(
    persons: pl.DataFrame, members: list[dict[str, Any]], filters: dict[str, str]
) -> CaptureTable:
    """Persons per combination of the members' lists within the slice ``filters``."""
    for d, v in filters.items():
        persons = persons.filter(pl.col(d) == v)
    counts = persons.group_by("pattern").len(name="count").sort("pattern")
    return CaptureTable(
        lists=tuple(m["name"] for m in members),
        patterns=np.asarray(counts["pattern"].to_list(), dtype=np.int64),
        counts=np.asarray(counts["count"].to_list(), dtype=np.int64),
    )
