"""Counting case records by dimensions: the owner's summaries (no I/O here; the service
reads the columns, :func:`count_records` counts them)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
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
    "state": "state",  # publication state (its import's): draft, submitted, published, ...
}
#: What the owner's record list can be filtered on: dimension -> record column.  The
#: scalar ones are also matched in SQL (:func:`thbhub.storage.cases.record_rows`).
FILTERS = {
    d: SUMMARY_DIMENSIONS[d] for d in ("year", "sex", "citizenship", "country", "form", "means")
}
#: Multi-valued dimensions answered item by item: the column of the concepts answered "no".
#: A record listing no value counts under ``<scheme>:none`` (:data:`NONE`) when it answered
#: "no" to at least one and the field is observed, under ``None`` when it answered nothing
#: or the field is not specified (CTDC's ``typeOfLabourNotSpecified = 1`` beside zeros).
ANSWERED_NO = {"form": "forms_no", "means": "means_no", "sector": "sectors_no"}
FIELD_STATUS = {"form": "forms_status", "means": "means_status", "sector": "sectors_status"}
NONE = {"form": "form:none", "means": "means:none", "sector": "sector:none"}
#: How pages name those values: they are answers, not taxonomy concepts.
NONE_LABELS = {
    "form:none": "none (answered no to every form)",
    "means:none": "none (answered no to every means of control)",
    "sector:none": "none (answered no to every sector)",
}

#: Dimensions derived from a JSON column rather than read from it.
_DERIVED = {"route": route_values, "support": support_values}


def _from_json(derive: Callable[[Any], list[str]]) -> Callable[[str], list[str]]:
    def values(text: str) -> list[str]:
        return derive(json.loads(text))

    return values


def decode_lists(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with its JSON list columns (as :func:`thbhub.storage.cases.record_frame`
    reads them) decoded into Polars lists, once for all the counts and filters over it."""
    return frame.with_columns(
        pl.col(c).str.json_decode(pl.List(pl.String))
        for c in frame.columns
        if c in JSON_RECORD_COLUMNS
        and c not in (SUMMARY_DIMENSIONS[d] for d in _DERIVED)
        and frame.schema[c] == pl.String
    )


def matching(frame: pl.DataFrame, filters: Mapping[str, Any]) -> pl.DataFrame:
    """The records of ``frame`` with every value in ``filters`` (a dimension of
    :data:`FILTERS` -> a value; None matches all); a multi-valued dimension matches when the
    record lists the value.  ``frame``'s lists decoded (:func:`decode_lists`)."""
    conditions = []
    for d, value in filters.items():
        if value is None:
            continue
        if d not in FILTERS:
            raise ValueError(f"records are not filtered by {d!r}")
        column = pl.col(FILTERS[d])
        listed = FILTERS[d] in JSON_RECORD_COLUMNS
        if listed and value == NONE.get(d):
            condition = (column.list.len() == 0) & _answered_none(frame, d)
        else:
            condition = column.list.contains(value) if listed else column == value
        conditions.append(condition.fill_null(False))
    return frame.filter(conditions) if conditions else frame


def facets(
    frame: pl.DataFrame, dims: Sequence[str], filters: Mapping[str, Any]
) -> tuple[int, list[pl.DataFrame]]:
    """How many records match ``filters``, and for each dimension of ``dims`` the records
    counted by it among those matching every filter *but its own*: the counts of the values
    one could switch that filter to.  ``frame`` as :func:`decode_lists` gives it."""
    total = matching(frame, filters).height
    tables = [
        count_records(matching(frame, {k: v for k, v in filters.items() if k != d}), [d])
        for d in dims
    ]
    return total, tables


def sorted_rows(table: pl.DataFrame, by: Sequence[str]) -> list[dict[str, Any]]:
    """A count table as rows, ordered by its dimensions' values, the unrecorded last."""
    rows = table.to_dicts()
    rows.sort(key=lambda row: tuple((v is None, str(v)) for v in (row[d] for d in by)))
    return rows


def count_records(frame: pl.DataFrame, by: Sequence[str]) -> pl.DataFrame:
    """Records counted by the dimensions ``by``; a multi-valued one counts a record once per
    value (every combination when there are several), an empty one under null.  List columns
    may come as JSON text or decoded (:func:`decode_lists`)."""
    values: list[pl.Expr] = []
    for d in by:
        column = pl.col(SUMMARY_DIMENSIONS[d])
        listed = (
            column.map_elements(_from_json(_DERIVED[d]), return_dtype=pl.List(pl.String))
            if d in _DERIVED
            else _as_list(frame, SUMMARY_DIMENSIONS[d])
        )
        if listed is None:
            values.append(column.alias(d))
            continue
        if ANSWERED_NO.get(d) not in frame.columns:
            values.append(pl.when(listed.list.len() > 0).then(listed).alias(d))
        else:
            none = pl.lit([NONE[d]], pl.List(pl.String))
            values.append(
                pl.when(listed.list.len() > 0)
                .then(listed)
                .when(_answered_none(frame, d))
                .then(none)
                .alias(d)
            )
    table = frame.select(values)
    for d in by:
        if isinstance(table.schema[d], pl.List):
            table = table.explode(d)
    return table.group_by(list(by)).len("count")


def _as_list(frame: pl.DataFrame, column: str) -> pl.Expr | None:
    """A list column of ``frame`` as a Polars list (decoded if it is JSON text); None for a
    column that is not a list."""
    if isinstance(frame.schema[column], pl.List):
        return pl.col(column)
    if column in JSON_RECORD_COLUMNS:
        return pl.col(column).str.json_decode(pl.List(pl.String))
    return None


def _answered_none(frame: pl.DataFrame, dimension: str) -> pl.Expr:
    """The record said no to some value of ``dimension`` and the field is observed (with
    the field's status in ``frame``): counted under :data:`NONE` if it lists no value."""
    no = _as_list(frame, ANSWERED_NO[dimension])
    assert no is not None
    condition = no.list.len() > 0
    if FIELD_STATUS[dimension] in frame.columns:
        condition = condition & (pl.col(FIELD_STATUS[dimension]) == "observed")
    return condition
