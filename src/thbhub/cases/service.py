"""Case-record services: import, export, list, summary and the analysis frame.

Every call takes the :class:`Principal` asking, checks the access policy for the owning
organisation and writes an audit entry: in the same transaction as a write, right after a
read (``Database.read``: the read takes no write lock; it returns nothing unlogged).
Raw records are read by the owner's members and by organisations the owner granted a
sharing agreement in force: one place, :func:`_check_read`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Connection

from thbhub.access import audit
from thbhub.access.policy import agreements_for, may_read_raw_records, may_write_records
from thbhub.cases import counting, ctdc, htcds, htcds_table
from thbhub.cases.counting import SUMMARY_DIMENSIONS, count_records
from thbhub.cases.parsed import Parsed
from thbhub.cases.pseudonym import organisation_key
from thbhub.cases.vocab import Vocab
from thbhub.domain.cases import MAIN_FORMS, Problem
from thbhub.domain.errors import NotFoundError, PermissionDenied, UserError, shown_value
from thbhub.domain.principals import Principal, Role
from thbhub.domain.publication import moves
from thbhub.estimation import linkage_keys
from thbhub.ingest.registry import Progress, no_progress
from thbhub.ingest.rules import require_file
from thbhub.ingest.textfile import read_sample, require_utf8, sniff_delimiter
from thbhub.ingest.workbook import DEFAULT_LIMITS, SheetLimits
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage import cases as store

FORMATS = ("htcds", "ctdc")
#: File types a case file may come in (the web upload guard accepts only these).
CASE_FILE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm")
MAX_LISTED_PROBLEMS = 1000
#: Rows per insert batch of an import; progress is reported after each batch.
INSERT_BATCH = 5000


class DuplicateCaseFile(UserError):
    """The organisation imported this very file before (see ``again``)."""

    status_code = 409


class CaseFileRejected(UserError):
    """A file with invalid rows, rejected whole; ``problems`` lists every one."""

    status_code = 422

    def __init__(self, file: str, problems: list[Problem], rows: int) -> None:
        self.problems = problems
        first = problems[0]
        shown = shown_value(first.value)
        super().__init__(
            f"{file}: rejected, nothing stored: {len(problems)} problem(s) in {rows} row(s), "
            f"first row {first.row}, column {first.column!r}: {first.rule}{shown}; fix them "
            "or import with --quarantine to store the valid rows"
        )


def resolve_org(conn: Connection, org: str | int) -> int:
    org_id = store.organisation_id(conn, str(org))
    if org_id is None:
        raise NotFoundError(f"no organisation {org!r}: add it first with `thbhub orgs add`")
    return org_id


def _check_read(conn: Connection, principal: Principal, org_id: int) -> None:
    # The owner's members read; so do organisations it granted a sharing agreement in force.
    if principal.role is Role.admin:
        # Administering the hub gives no access to victims' records (docs/access.md).
        raise PermissionDenied(
            "administrators do not read case records; the contributors and analysts of the "
            "organisation that holds them do"
        )
    if not may_read_raw_records(principal, org_id, shared_with=agreements_for(conn, org_id)):
        raise PermissionDenied("you may not read this organisation's case records")


def detect_format(path: Path, limits: SheetLimits = DEFAULT_LIMITS) -> str:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "htcds"
    if suffix not in (".csv", ".tsv", ".txt"):
        raise UserError(f"{path.name}: unknown file type {suffix!r}; give a .csv or .xlsx file")
    require_utf8(path)
    sample = read_sample(path)
    header = sample.splitlines()[0] if sample.strip() else ""
    columns = [c.strip().strip('"') for c in header.split(sniff_delimiter(sample))]
    if ctdc.detect(columns):
        return "ctdc"
    missing = ctdc.missing_required(columns)
    if missing:
        raise UserError(
            f"{path.name}: row 1: a CTDC header without the required column(s) "
            f"{', '.join(missing)}; nothing was stored"
        )
    if htcds_table.detect(path, limits):
        return "htcds"
    raise UserError(
        f"{path.name}: neither an HTCDS v2.0 nor a CTDC header; give --format htcds|ctdc"
    )


def _checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def parse_file(
    conn: Connection,
    settings: Settings,
    org_id: int,
    path: Path,
    fmt: str,
    *,
    keep_text: Sequence[str] = (),
    name: str | None = None,
) -> Parsed:
    vocab = Vocab.load(conn)
    if fmt == "ctdc":
        if keep_text:
            raise UserError("--keep-text applies to HTCDS free-text fields; CTDC files have none")
        return ctdc.read(path, vocab, name=name)
    if fmt == "htcds":
        key = organisation_key(settings.secret(), org_id)
        return htcds.read(
            path,
            vocab,
            key,
            keep_text=set(keep_text),
            name=name,
            limits=SheetLimits.from_settings(settings),
            link_keys=linkage_keys.project_keys(conn, settings, org_id),
        )
    raise UserError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def import_cases(
    db: Database,
    settings: Settings,
    principal: Principal,
    path: Path,
    org: str | int,
    *,
    fmt: str | None = None,
    quarantine: bool = False,
    keep_text: Sequence[str] = (),
    name: str | None = None,
    again: bool = False,
    progress: Progress = no_progress,
) -> dict[str, Any]:
    """Validate and store a case file for ``org`` in one transaction.

    By default a file with any invalid row is rejected whole (:class:`CaseFileRejected`
    lists every problem) and nothing is written; with ``quarantine`` the valid rows are
    stored and the invalid ones kept in the quarantine to fix and re-submit.

    A file whose content the organisation has imported before is refused unless ``again``:
    storing the same victims twice would double every count made from them (a reloaded
    upload page re-sends the file).

    ``progress(done, total)`` is called with the records stored so far: ``(0, None)``
    before the file is read, ``(0, total)`` once it is validated, then after each batch
    of :data:`INSERT_BATCH` rows (all in the one transaction).
    """
    require_file(path)
    fmt = fmt or detect_format(path, SheetLimits.from_settings(settings))
    with db.begin() as conn:
        org_id = resolve_org(conn, org)
        if not may_write_records(principal, org_id):
            raise PermissionDenied("you may not add case records for this organisation")
        progress(0, None)
        checksum = _checksum(path)
        earlier = None if again else store.import_by_checksum(conn, org_id, checksum)
        if earlier is not None:
            raise DuplicateCaseFile(
                f"{name or path.name}: this file was already imported on "
                f"{earlier['created_at']:%Y-%m-%d %H:%M} as import {earlier['id']} "
                f"({earlier['rows_stored']:,} records stored); nothing was stored. To store "
                "its records a second time, import it again with --again"
            )
        parsed = parse_file(conn, settings, org_id, path, fmt, keep_text=keep_text, name=name)
        if parsed.rows_read == 0:
            raise UserError(f"{parsed.file}: no rows under the header; nothing was stored")
        errors = parsed.errors
        if errors and not quarantine:
            raise CaseFileRejected(parsed.file, errors, len(parsed.invalid))
        import_id = store.insert_import(
            conn,
            {
                "organisation_id": org_id,
                "file_name": parsed.file,
                "format": parsed.format,
                "checksum": checksum,
                "rows_read": parsed.rows_read,
                "rows_stored": 0,
                "rows_quarantined": 0,
                "imported_by": principal.email,
                "options": {
                    "quarantine": quarantine,
                    "keep_text": list(keep_text),
                    "again": again,
                },
            },
        )
        frame, constants = store.split_constants(parsed.records)
        constants.update(
            organisation_id=org_id,
            import_id=import_id,
            state="draft",
            created_at=store.now_value(conn),
        )
        stored = 0
        progress(0, frame.height)
        for batch in frame.iter_slices(INSERT_BATCH):
            stored += store.insert_records(conn, frame.columns, batch.rows(), constants)
            progress(stored, frame.height)
        store.insert_quarantine(
            conn,
            [
                {
                    "organisation_id": org_id,
                    "import_id": import_id,
                    "source_format": parsed.format,
                    "source_row": bad.row,
                    "person_key": bad.person_key,
                    "cells": bad.cells,
                    "problems": [p.as_dict() for p in bad.problems],
                }
                for bad in parsed.invalid
            ],
        )
        linkage_keys.store(conn, import_id, org_id, parsed.link_keys)
        resolved = store.resolve_quarantine(conn, org_id, parsed.resubmitted)
        store.finish_import(conn, import_id, stored, len(parsed.invalid))
        audit.record(
            conn,
            principal,
            "create",
            "case_records",
            object_id=f"import:{import_id}",
            organisation_id=org_id,
            rows=stored,
            detail={
                "file": parsed.file,
                "format": parsed.format,
                "quarantined": len(parsed.invalid),
            },
        )
    return {
        "import_id": import_id,
        "file": parsed.file,
        "format": parsed.format,
        "organisation_id": org_id,
        "rows_read": parsed.rows_read,
        "rows_stored": stored,
        "rows_quarantined": len(parsed.invalid),
        "quarantine_resolved": resolved,
        "state": "draft",
        "problems": [p.as_dict() for p in errors[:MAX_LISTED_PROBLEMS]],
        "warnings": _warning_summary(parsed.warnings),
        "notes": parsed.notes,
    }


def _warning_summary(warnings: list[Problem]) -> list[dict[str, Any]]:
    """Warnings grouped by column and rule, with a count and the first rows."""
    groups: dict[tuple[str, str], list[int]] = {}
    for w in warnings:
        groups.setdefault((w.column, w.rule), []).append(w.row)
    return [
        {"column": col, "rule": rule, "count": len(rows), "rows": rows[:10]}
        for (col, rule), rows in groups.items()
    ]


def validate_file(
    db: Database,
    settings: Settings,
    principal: Principal,
    path: Path,
    org: str | int,
    *,
    fmt: str | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """The validation report of a file without storing anything (the upload page's check)."""
    fmt = fmt or detect_format(path, SheetLimits.from_settings(settings))
    with db.connect() as conn:
        org_id = resolve_org(conn, org)
        if not may_write_records(principal, org_id):
            raise PermissionDenied("you may not add case records for this organisation")
        parsed = parse_file(conn, settings, org_id, path, fmt, name=name)
    return {
        "file": parsed.file,
        "format": parsed.format,
        "rows_read": parsed.rows_read,
        "rows_valid": parsed.records.height,
        "rows_invalid": len(parsed.invalid),
        "problems": [p.as_dict() for p in parsed.errors[:MAX_LISTED_PROBLEMS]],
        "warnings": _warning_summary(parsed.warnings),
        "notes": parsed.notes,
    }


# --- reads ----------------------------------------------------------------------------------

PUBLIC_COLUMNS = (
    "id",
    "state",
    "source_format",
    "source_row",
    "year",
    "sex",
    "age",
    "citizenship",
    "country",
    "forms",
    "means",
    "sectors",
    "recruiter",
    "identification",
    "person_key",
)


def list_cases(
    db: Database,
    principal: Principal,
    org: str | int,
    *,
    year: int | None = None,
    sex: str | None = None,
    citizenship: str | None = None,
    country: str | None = None,
    form: str | None = None,
    means: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    full: bool = False,
) -> list[dict[str, Any]]:
    """The owner's records, filtered; audited as a read of the rows returned."""
    with db.read() as conn:
        org_id = resolve_org(conn, org)
        _check_read(conn, principal, org_id)
        sex, citizenship, country, form, means = (
            filter_concept(conn, dim, value)
            for dim, value in (
                ("sex", sex),
                ("citizenship", citizenship),
                ("country", country),
                ("form", form),
                ("means", means),
            )
        )
        match: dict[str, Any] = {
            "year": year,
            "sex": sex,
            "citizenship": citizenship,
            "country": country,
        }
        filters = {**match, "form": form, "means": means}
        if form is None and means is None:
            rows = store.record_rows(conn, org_id, limit=limit, offset=offset, **match)
        else:
            # The lists are JSON: match on them alone, then read the page's records whole.
            lists = store.record_frame(
                conn, org_id, ("id", *_columns_of("form"), *_columns_of("means")), **match
            )
            lists = counting.matching(counting.decode_lists(lists), {"form": form, "means": means})
            wanted = lists["id"].to_list()
            page = wanted[offset : offset + limit if limit is not None else None]
            rows = store.record_rows(conn, org_id, ids=page) if page else []
        if not full:
            rows = [{k: r[k] for k in PUBLIC_COLUMNS} for r in rows]
        audit.record(
            conn,
            principal,
            "read",
            "case_records",
            organisation_id=org_id,
            rows=len(rows),
            detail={"filters": {k: v for k, v in filters.items() if v is not None}},
        )
    return rows


#: The concept scheme of each filter of the record list.
_FILTER_SCHEMES = {
    "sex": "sex",
    "citizenship": "country",
    "country": "country",
    "form": "form",
    "means": "means",
}


def filter_concept(conn: Connection, dim: str, value: str | None) -> str | None:
    """A filter value as the concept id records hold: ``PL`` or ``country:PL``, ``female``
    or ``sex:female``; refused when the taxonomy has no such concept, so that a filter that
    cannot match says so instead of listing nothing."""
    if value is None:
        return None
    scheme = _FILTER_SCHEMES[dim]
    code = value.strip().split(":", 1)[1] if value.startswith(f"{scheme}:") else value.strip()
    cid = f"{scheme}:{code.upper() if scheme == 'country' else code.lower()}"
    if cid == counting.NONE.get(dim):
        return cid  # no value answered yes, some answered no (counting.NONE)
    if not store.concept_exists(conn, cid):
        raise UserError(
            f"--{dim} {value}: no such {scheme} concept; see `thbhub taxonomy list --scheme "
            f"{scheme}` (e.g. {scheme}:{'PL' if scheme == 'country' else 'female'})"
        )
    return cid


def summary(
    db: Database, principal: Principal, org: str | int, by: Sequence[str] = ("year",)
) -> list[dict[str, Any]]:
    """Counts of the owner's records by the given dimensions (owner's view: not
    disclosure-controlled; the public tables go through the privacy gate).

    Multi-valued dimensions (form, means, sector, route, support) count a record once per
    value, so their counts may add up to more than the number of records; a record without
    a value counts under ``None``.
    """
    return summaries(db, principal, org, [by])[0]


def summaries(
    db: Database, principal: Principal, org: str | int, tables: Sequence[Sequence[str]]
) -> list[list[dict[str, Any]]]:
    """Several :func:`summary` tables (one per list of dimensions) from one read of the
    records and one audit entry."""
    for by in tables:
        _check_dimensions(by)
    columns = list(dict.fromkeys(c for by in tables for d in by for c in _columns_of(d)))
    frame = _summary_frame(db, principal, org, columns, {"by": [list(by) for by in tables]})
    return [counting.sorted_rows(count_records(frame, by), by) for by in tables]


def faceted_summary(
    db: Database,
    principal: Principal,
    org: str | int,
    dims: Sequence[str],
    filters: Mapping[str, Any],
) -> tuple[int, list[list[dict[str, Any]]]]:
    """The owner's page: how many records match ``filters`` (see :data:`counting.FILTERS`),
    and per dimension of ``dims`` the counts among the records matching the *other* filters
    (:func:`counting.facets`); one read, one audit entry."""
    _check_dimensions(dims)
    active = {k: v for k, v in filters.items() if v is not None}
    wanted = [*dims, *active]
    columns = list(dict.fromkeys(c for d in wanted for c in _columns_of(d)))
    detail = {"by": [[d] for d in dims], "filters": active}
    frame = counting.decode_lists(_summary_frame(db, principal, org, columns, detail))
    total, tables = counting.facets(frame, dims, active)
    return total, [counting.sorted_rows(t, [d]) for d, t in zip(dims, tables, strict=True)]


def _columns_of(dimension: str) -> list[str]:
    """The record columns a count by ``dimension`` reads: its values, and for a field
    answered item by item the concepts answered no and the field's status (``form:none``
    apart from not recorded, :data:`counting.NONE`)."""
    if dimension not in counting.ANSWERED_NO:
        return [SUMMARY_DIMENSIONS[dimension]]
    no, status = counting.ANSWERED_NO[dimension], counting.FIELD_STATUS[dimension]
    return [SUMMARY_DIMENSIONS[dimension], no, status]


def _check_dimensions(by: Sequence[str]) -> None:
    unknown = [d for d in by if d not in SUMMARY_DIMENSIONS]
    if unknown:
        raise UserError(
            f"--by {', '.join(unknown)}: not a dimension; use {', '.join(SUMMARY_DIMENSIONS)}"
        )
    if not by:
        raise UserError("--by needs at least one dimension")
    if len(set(by)) < len(by):
        raise UserError(f"--by {','.join(by)}: a dimension is named twice")


def _summary_frame(
    db: Database, principal: Principal, org: str | int, columns: list[str], detail: dict[str, Any]
) -> pl.DataFrame:
    """The columns of the organisation's records that counts are made from, the read
    checked and audited as one summary read."""
    with db.read() as conn:
        org_id = resolve_org(conn, org)
        _check_read(conn, principal, org_id)
        frame = store.record_frame(conn, org_id, columns)
        if len(detail["by"]) == 1 and "filters" not in detail:
            detail = {"by": detail["by"][0]}
        audit.record(
            conn,
            principal,
            "read",
            "case_summary",
            organisation_id=org_id,
            rows=frame.height,
            detail=detail,
        )
    return frame


#: The analysis frame's columns read from the records (record_id is the record's id).
_FRAME_COLUMNS = (
    "id",
    "year",
    "sex",
    "sex_status",
    "age",
    "age_status",
    "citizenship",
    "citizenship_status",
    "country",
    "country_status",
    "forms",
    "forms_status",
    "means",
    "sectors",
    "forms_no",
    "means_no",
    "sectors_no",
    "identification",
    "means_status",
    "sectors_status",
    "recruiter",
    "recruiter_no",
    "recruiter_status",
)


def case_frame(
    db: Database, principal: Principal, org: str | int, *, state: str | None = None
) -> pl.DataFrame:
    """One row per record of ``org`` as a Polars DataFrame, for analysis and disclosure
    control (audited, policy-checked).  Columns: docs/cases.md.  ``state`` keeps only the
    records in that publication state, in SQL (the public tables: ``published``)."""
    with db.read() as conn:
        org_id = resolve_org(conn, org)
        _check_read(conn, principal, org_id)
        frame = store.record_frame(conn, org_id, _FRAME_COLUMNS, state=state)
        closure = store.broader_closure(conn, "form")
        audit.record(
            conn,
            principal,
            "read",
            "case_frame",
            organisation_id=org_id,
            rows=frame.height,
            detail={"state": state} if state else None,
        )
    lists = pl.List(pl.String)
    frame = frame.rename({"id": "record_id"}).with_columns(
        pl.col(c).str.json_decode(lists)
        for c in (
            "forms",
            "means",
            "sectors",
            "forms_no",
            "means_no",
            "sectors_no",
            "recruiter",
            "recruiter_no",
        )
    )
    flags = []
    for main in MAIN_FORMS:
        # yes: the main form, or any form narrower than it (taxonomy broader links); no: the
        # source answered no to the main form itself (a no to a narrower one says nothing
        # about the others); else null, not recorded
        members = [main, *(f for f, up in closure.items() if main in up and f != main)]
        column = "form_" + main.split(":", 1)[1].replace("-", "_")
        flags.append(
            pl.when(pl.col("forms").list.eval(pl.element().is_in(members)).list.any())
            .then(True)
            .when(pl.col("forms_no").list.contains(main))
            .then(False)
            .otherwise(None)
            .alias(column)
        )
    return frame.with_columns(flags)


def quarantine(db: Database, principal: Principal, org: str | int) -> list[dict[str, Any]]:
    """The organisation's unresolved quarantined rows with their problems (audited)."""
    with db.read() as conn:
        org_id = resolve_org(conn, org)
        if not may_write_records(principal, org_id):
            _check_read(conn, principal, org_id)
        rows = store.quarantine_rows(conn, org_id)
        audit.record(
            conn, principal, "read", "case_quarantine", organisation_id=org_id, rows=len(rows)
        )
    return rows


def imports(db: Database, principal: Principal, org: str | int) -> list[dict[str, Any]]:
    """The organisation's imports, newest first, each with its publication state and the
    states the caller may move it to (``moves``; access.publication makes the move)."""
    with db.read() as conn:
        org_id = resolve_org(conn, org)
        _check_read(conn, principal, org_id)
        rows = store.import_rows(conn, org_id)
    return [{**r, "moves": [m.value for m in moves(principal, org_id, r["state"])]} for r in rows]


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
