"""Observations as downloadable files: CSV, JSON and Parquet, status and flags included."""

from __future__ import annotations

import io
import json
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from thbhub import csvio


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    return {k: ",".join(v) if isinstance(v, list) else v for k, v in row.items()}


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    cols: list[str] = []
    for row in rows:
        for key in row:
            if key not in cols:
                cols.append(key)
    return cols


#: The header of an empty answer when the caller does not say which columns it has.
_DEFAULT = ["indicator", "country", "year", "value", "status"]


def to_csv(rows: list[dict[str, Any]], columns: list[str] | None = None) -> bytes:
    buf = io.StringIO()
    cols = columns or _columns(rows) or _DEFAULT
    writer = csvio.DictWriter(buf, fieldnames=cols, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in _flat(row).items()})
    return buf.getvalue().encode("utf-8")


def to_json(rows: list[dict[str, Any]]) -> bytes:
    return json.dumps(rows, ensure_ascii=False).encode("utf-8")


_NUMERIC = {"value", "lower", "upper", "rate_per_100k", "rate_lower", "rate_upper", "population"}
_INTEGER = {"year", "row", "population_year"}


def to_parquet(rows: list[dict[str, Any]], columns: list[str] | None = None) -> bytes:
    cols = columns or _columns(rows) or _DEFAULT
    fields = []
    for c in cols:
        kind = pa.float64() if c in _NUMERIC else pa.int64() if c in _INTEGER else pa.string()
        fields.append(pa.field(c, kind))
    flat = [_flat(r) for r in rows]
    table = pa.table(
        {f.name: pa.array([r.get(f.name) for r in flat], type=f.type) for f in fields},
        schema=pa.schema(fields),
    )
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()
