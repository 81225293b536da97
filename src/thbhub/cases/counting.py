"""Counting case records by dimensions: the owner's summaries (no I/O here; the service
reads the columns, :func:`count_records` counts them)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import polars as pl

from thbhub.domain.cases import route_values, support_values
from thbhub.storage.cases import JSON_RECORD_COLUMNS

SUMMARY_DIMENSIONS = {
    "year": "year",
    "sex": "sex",
    "age": "age",
    "citizenship": "citizenship",
    "country": "country",
    "form": "forms",
    "means": "means",
    "sector": "sectors",
    "identification": "identification",
    "route": "events",  # <event type>:<country>, e.g. Recruitment:country:UA
    "support": "support",  # support-plan type
}
#: Dimensions derived from a JSON column rather than read from it.
_DERIVED = {"route": route_values, "support": support_values}


def _from_json(derive: Callable[[Any], list[str]]) -> Callable[[str], list[str]]:
    def values(text: str) -> list[str]:
        return derive(json.loads(text))

    return values


def count_records(frame: pl.DataFrame, by: Sequence[str]) -> pl.DataFrame:
    """Records counted by the dimensions ``by``; a multi-valued one counts a record once per
    value (every combination when there are several), an empty one under null."""
    values: list[pl.Expr] = []
    for d in by:
        column = pl.col(SUMMARY_DIMENSIONS[d])
        if d in _DERIVED:
            listed = column.map_elements(_from_json(_DERIVED[d]), return_dtype=pl.List(pl.String))
        elif SUMMARY_DIMENSIONS[d] in JSON_RECORD_COLUMNS:
            listed = column.str.json_decode(pl.List(pl.String))
        else:
            values.append(column.alias(d))
            continue
        values.append(pl.when(listed.list.len() > 0).then(listed).alias(d))
    table = frame.select(values)
    for d in by:
        if isinstance(table.schema[d], pl.List):
            table = table.explode(d)
    return table.group_by(list(by)).len("count")
