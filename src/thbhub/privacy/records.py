"""Records files to release or tabulate, and the files a release writes.

Reading: a records file is checked the way the importers check theirs
(:mod:`thbhub.ingest.textfile`): UTF-8, its delimiter, no column named twice, every row as
wide as the header; a problem is one line naming the file, the row and the rule.

Layouts: a file in a recognised layout (CTDC's, or HTCDS's field names) says which of its
columns describe a person (the quasi-identifiers of a k-anonymous release, the dimensions of
a table) and which must never leave at all (CTDC's row number ``X``; HTCDS's direct
identifiers and free text).  For any other file the user names them (``--qi``).

Writing: release files are personal data until published, so they are created readable by
their owner only (mode 0600), never over the input, only in an existing directory, only as
``.csv``, and every cell goes through :func:`thbhub.domain.spreadsheet.csv_text` (no formula
runs when one is opened in a spreadsheet program).
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from thbhub import csvio
from thbhub.domain.errors import UserError
from thbhub.ingest.rules import check_unique_header, require_file
from thbhub.ingest.textfile import (
    cell_counts,
    read_sample,
    require_utf8,
    sniff_delimiter,
)

#: The suffix of every file a release writes (all are CSV text, or JSON for the report).
OUTPUT_SUFFIX = ".csv"


@dataclass(frozen=True)
class Layout:
    """Which columns of a records layout describe a person, and which are never released.

    ``quasi_identifiers``: the person-describing columns used as quasi-identifiers (and table
    dimensions) by default.  ``other_person``: columns that also describe a person but are
    left out of a release unless named in ``--qi``.  ``never``: row ids, direct identifiers
    and free text, dropped from every release and table.
    """

    name: str
    quasi_identifiers: tuple[str, ...]
    other_person: tuple[str, ...] = ()
    never: tuple[str, ...] = ()
    #: The default dimensions of a gated table (`thbhub privacy table`).
    table_dimensions: tuple[str, ...] = ()

    def person(self) -> tuple[str, ...]:
        return (*self.quasi_identifiers, *self.other_person)


#: The case-records frame of `thbhub release cases` (privacy.cases.release_frame).
CASES = Layout(
    name="cases",
    quasi_identifiers=("year", "sex", "age", "citizenship", "country"),
    table_dimensions=("year", "sex", "age", "citizenship", "country"),
)

CTDC = Layout(
    name="CTDC",
    quasi_identifiers=(
        "yearOfRegistration",
        "gender",
        "ageBroad",
        "majorityStatus",
        "majorityStatusAtExploit",
        "majorityEntry",
        "citizenship",
        "CountryOfExploitation",
    ),
    never=("X",),
    table_dimensions=(
        "yearOfRegistration",
        "gender",
        "ageBroad",
        "citizenship",
        "CountryOfExploitation",
    ),
)

_HTCDS_QI = (
    "thb_YearOfRegistration",
    "hte_Date",
    "prs_Gender",
    "vic_AgeWhenTrafficked",
    "thb_AgeBand",
    "prs_Citizenship",
    "hte_Country",
    "vic_LocationOfExploitation",
    "vic_LocationOfRecruitment",
)
_HTCDS_TABLE = ("thb_YearOfRegistration", "prs_Gender", "thb_AgeBand", "prs_Citizenship")
_NUMBERED = re.compile(r"^(.*?)(_\d+)$")


def _htcds(columns: Sequence[str]) -> Layout | None:
    from thbhub.cases.htcds_fields import FIELDS

    kinds = {f.name: f.kind for f in FIELDS}

    def base(c: str) -> str:
        m = _NUMBERED.match(c)
        return m.group(1) if m and m.group(1) in kinds else c

    known = [c for c in columns if base(c) in kinds]
    if len(known) < 2:
        return None
    never, other = [], []
    for c in known:
        kind = kinds[base(c)]
        if kind in ("identifier", "freetext", "key") or base(c) == "thb_QuarantineId":
            never.append(c)
        elif c in _HTCDS_QI:
            continue
        elif base(c) in _HTCDS_QI or base(c).startswith("prs_") or kind == "date":
            other.append(c)  # a later event's date or place, marital status, languages ...
    return Layout(
        name="HTCDS",
        quasi_identifiers=tuple(c for c in _HTCDS_QI if c in columns),
        other_person=tuple(other),
        never=tuple(never),
        table_dimensions=tuple(c for c in _HTCDS_TABLE if c in columns),
    )


def detect_layout(columns: Sequence[str]) -> Layout | None:
    """CTDC (its required columns present), THB Hub's own columns (year, sex, age,
    citizenship, country) or HTCDS (at least two of its field names)."""
    from thbhub.cases import ctdc

    if ctdc.detect(list(columns)):
        return CTDC
    if all(c in columns for c in CASES.quasi_identifiers):
        return CASES  # a file in THB Hub's own release layout (`--as csv`)
    return _htcds(columns)


def _names(values: Iterable[str]) -> str:
    return ", ".join(repr(v) for v in values)


@dataclass(frozen=True)
class Plan:
    """The columns a release publishes, its quasi-identifiers and what it leaves out."""

    columns: tuple[str, ...]
    quasi_identifiers: tuple[str, ...]
    dropped: tuple[str, ...]


def plan(
    available: Sequence[str],
    layout: Layout | None,
    *,
    columns: Sequence[str] | None,
    qi: Sequence[str] | None,
    method: str,
    file: str,
) -> Plan:
    """Decide, from column names only, what a release publishes: refuses unknown --columns
    or --qi names, a row id or identifier asked for, a person-describing column that would be
    released without being a quasi-identifier, and a file of unknown layout without --qi."""
    never = set(layout.never) if layout else set()
    if columns:
        unknown = [c for c in columns if c not in available]
        if unknown:
            raise UserError(
                f"{file}: unknown column(s) {_names(unknown)} in --columns; "
                f"the records have {_names(available)}"
            )
        banned = [c for c in columns if c in never]
        if banned:
            raise UserError(
                f"{file}: column(s) {_names(banned)} are row ids, identifiers or free text "
                f"in the {layout.name if layout else ''} layout and are never released"
            )
    if qi is not None and method == "kanon":
        unknown = [c for c in qi if c not in available or c in never]
        if unknown:
            valid = [c for c in (columns or available) if c not in never]
            raise UserError(
                f"{file}: unknown quasi-identifier(s) {_names(unknown)}; "
                f"valid: {_names(valid)}; nothing released"
            )
        outside = [c for c in qi if columns and c not in columns]
        if outside:
            raise UserError(
                f"quasi-identifier(s) {_names(outside)} are not among --columns; "
                "add them to --columns or leave them out of --qi"
            )
    chosen_qi = set(qi or ())
    if columns:
        cols = list(columns)
    else:
        other = set(layout.other_person) if layout else set()
        cols = [c for c in available if c not in never and (c not in other or c in chosen_qi)]
    dropped = tuple(c for c in available if c not in cols)
    if method != "kanon":
        return Plan(tuple(cols), (), dropped)
    if qi is None:
        if layout is None:
            raise UserError(
                f"{file}: not a recognised records layout (CTDC or HTCDS), so which columns "
                "describe a person is unknown: name the quasi-identifiers with --qi"
            )
        qi = [c for c in layout.quasi_identifiers if c in cols]
        if not qi:
            raise UserError(
                f"{file}: none of the {layout.name} quasi-identifiers "
                f"{_names(layout.quasi_identifiers)} is released; name them with --qi"
            )
    person = layout.person() if layout else ()
    raw = [c for c in cols if c in person and c not in qi]
    if raw:
        raise UserError(
            f"{file}: column(s) {_names(raw)} describe a person and would be released "
            "ungeneralised: add them to --qi, or leave them out with --columns"
        )
    return Plan(tuple(cols), tuple(dict.fromkeys(qi)), dropped)


# -- reading ---------------------------------------------------------------------------------


def read_records(path: Path) -> pl.DataFrame:
    """A records file (CSV, all columns as text), checked before it is parsed."""
    require_file(path)
    require_utf8(path)
    sample = read_sample(path)
    if not sample.strip():
        raise UserError(f"{path.name}: the file is empty")
    delimiter = sniff_delimiter(sample)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        header = next(csvio.reader(fh, path.name, delimiter=delimiter), [])
    check_unique_header(header, path.name, 1)
    if "\x00" in sample:
        raise UserError(f"{path.name}: contains NUL bytes: not a text CSV file")
    ragged = cell_counts(path, delimiter)
    if ragged:
        row, cells = min(ragged.items())
        more = f" (and {len(ragged) - 1} more rows)" if len(ragged) > 1 else ""
        raise UserError(
            f"{path.name}: row {row}: {cells} cells, the header has {len(header)}{more}"
        )
    columns: list[list[str | None]] = [[] for _ in header]
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csvio.reader(fh, path.name, delimiter=delimiter, strict=True)
        next(reader, None)
        last = reader.line_num  # the line the previous record ended on
        while True:
            try:
                record = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise UserError(
                    f"{path.name}: row {last + 1}: not valid CSV ({exc}; a cell opened with a "
                    "quote must end with one)"
                ) from None
            if record and len(record) != len(header):
                raise UserError(
                    f"{path.name}: row {last + 1}: {len(record)} cells, "
                    f"the header has {len(header)}"
                )
            last = reader.line_num
            if not record:
                continue  # a blank line
            for column, cell in zip(columns, record, strict=True):
                column.append(cell if cell != "" else None)
    if not columns or not columns[0]:
        raise UserError(f"{path.name}: no records below the header")
    return pl.DataFrame(
        {name: values for name, values in zip(header, columns, strict=True)},
        schema={name: pl.Utf8 for name in header},
    )


# -- writing ---------------------------------------------------------------------------------


def check_output(path: Path, *, inputs: Sequence[Path] = (), suffix: str = OUTPUT_SUFFIX) -> None:
    """Refuse, before anything is read or written, an output that cannot or must not be
    written: a missing directory, a directory, the wrong suffix, or an input file."""
    if path.suffix.lower() != suffix:
        raise UserError(
            f"{path.name}: a release is written as CSV text; name the output file "
            f"*{suffix} (got {path.suffix or 'no suffix'!r})"
        )
    parent = path.parent
    if not parent.is_dir():
        raise UserError(f"{parent}: no such directory (create it first)")
    if path.is_dir():
        raise UserError(f"{path}: is a directory")
    for given in inputs:
        if path.resolve() == given.resolve() or (
            path.exists() and given.exists() and os.path.samefile(path, given)
        ):
            raise UserError(f"{path}: is the input file; write the release to another file")


def open_private(path: Path) -> int:
    """A file descriptor for ``path``, truncated, readable by its owner only (0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode otherwise
    return fd


def write_csv(frame: pl.DataFrame, path: Path) -> Path:
    """``frame`` as CSV, every cell through :func:`csv_text`, mode 0600."""
    with os.fdopen(open_private(path), "w", encoding="utf-8", newline="") as fh:
        writer = csvio.writer(fh)
        writer.writerow(frame.columns)
        for row in frame.iter_rows():
            writer.writerow(["" if v is None else str(v) for v in row])
    return path


def write_text(text: str, path: Path) -> Path:
    with os.fdopen(open_private(path), "w", encoding="utf-8") as fh:
        fh.write(text)
    return path
