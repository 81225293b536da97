"""What a format reader hands the import service: storable rows, invalid rows, problems."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import polars as pl

from thbhub.domain.cases import CaseRecord, Problem, ValueStatus


@dataclass
class InvalidRow:
    row: int
    cells: dict[str, Any]  # already stripped of direct identifiers and unopted free text
    person_key: str | None
    problems: list[Problem]


@dataclass
class Parsed:
    format: str
    file: str
    rows_read: int = 0
    # One row per valid record, columns as in case_records; JSON columns already encoded.
    records: pl.DataFrame = field(default_factory=pl.DataFrame)
    invalid: list[InvalidRow] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dropped_columns: list[str] = field(default_factory=list)
    resubmitted: list[int] = field(default_factory=list)  # quarantine ids fixed by this file
    # source row -> {linkage project id: the person's project linkage key}, for organisations
    # in a linkage project (estimation.linkage stores them beside the records)
    link_keys: dict[int, dict[int, str]] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [p for r in self.invalid for p in r.problems]


JSON_COLUMNS = (
    "forms",
    "means",
    "sectors",
    "recruiter",
    "forms_no",
    "means_no",
    "sectors_no",
    "recruiter_no",
    "answers",
    "referral",
    "extra",
    "free_text",
    "flags",
    "events",
    "support",
)


def record_row(record: CaseRecord) -> dict[str, Any]:
    """A CaseRecord as a case_records row (statuses as strings, JSON columns encoded)."""
    row = asdict(record)
    for key, value in row.items():
        if isinstance(value, ValueStatus):
            row[key] = value.value
        elif key in JSON_COLUMNS:
            row[key] = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return row


def records_frame(records: list[CaseRecord]) -> pl.DataFrame:
    rows = [record_row(r) for r in records]
    schema = {
        k: (pl.Int64 if k in ("source_row", "year", "age_years") else pl.String)
        for k in record_row(CaseRecord("x", 0))
    }
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)
