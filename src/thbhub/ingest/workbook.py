"""Limits on spreadsheets, checked before and while they are read.

An ``.xlsx`` file is a zip archive of XML: a 3.6 MB upload can hold a worksheet that
expands to a gigabyte (a "zip bomb"), which openpyxl or calamine would then parse for
minutes in gigabytes of memory.  So every reader of a workbook first calls
:func:`check_workbook`, which reads only the zip directory: the size each member declares
and its compression ratio (Python's zipfile never inflates a member past its declared size,
so the declaration bounds openpyxl's work).  Then it counts rows and columns as it reads
them (:func:`check_shape` on the sheet's declared dimension, :func:`counted` on the rows).
Each refusal is one line naming the file and the limit, raised as
:class:`SpreadsheetTooLarge` (a UserError: the CLI exits 1, the API answers 413).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from thbhub.domain.errors import UserError

if TYPE_CHECKING:
    from thbhub.settings import Settings

T = TypeVar("T", bound=Sequence[object])


class SpreadsheetTooLarge(UserError):
    status_code = 413


@dataclass(frozen=True)
class SheetLimits:
    """What a spreadsheet may hold (settings ``THBHUB_SHEET_MAX_MB``, ``..._ROWS``,
    ``..._COLUMNS``; docs/cases.md#limits)."""

    #: The whole workbook, uncompressed (its XML parts together).
    max_expanded_mb: float = 100
    #: Uncompressed ÷ compressed size of any one member; real workbooks are 5-10.
    max_ratio: float = 100
    max_rows: int = 250_000
    max_columns: int = 2_000

    @classmethod
    def from_settings(cls, settings: Settings) -> SheetLimits:
        return cls(
            max_expanded_mb=settings.sheet_max_mb,
            max_rows=settings.sheet_max_rows,
            max_columns=settings.sheet_max_columns,
        )


DEFAULT_LIMITS = SheetLimits()
#: Members this small are never refused for their ratio (a few KB of repeated styles).
_SMALL_MEMBER = 1 << 20


def check_workbook(path: Path, limits: SheetLimits = DEFAULT_LIMITS, name: str = "") -> None:
    """Refuse a workbook whose zip directory declares more than ``limits`` allow, before any
    of it is inflated.  A file that is not a zip archive is left to the reader's own
    message."""
    shown = name or path.name
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        return
    total = 0
    for member in members:
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > _SMALL_MEMBER and ratio > limits.max_ratio:
            raise SpreadsheetTooLarge(
                f"{shown}: part {member.filename!r} expands {ratio:,.0f} times "
                f"(to {member.file_size / 1e6:,.0f} MB); workbooks are refused above "
                f"{limits.max_ratio:g} times (a compressed bomb?); nothing was stored"
            )
    if total > limits.max_expanded_mb * 1e6:
        raise SpreadsheetTooLarge(
            f"{shown}: the workbook expands to {total / 1e6:,.0f} MB, over the "
            f"{limits.max_expanded_mb:g} MB limit (THBHUB_SHEET_MAX_MB); split it or save it "
            "as CSV; nothing was stored"
        )


def check_shape(
    rows: int | None,
    columns: int | None,
    limits: SheetLimits = DEFAULT_LIMITS,
    where: str = "",
) -> None:
    """Refuse a sheet that has (or declares, as an .xlsx sheet's dimension does) more rows
    or columns than ``limits`` allow."""
    if rows is not None and rows > limits.max_rows:
        raise SpreadsheetTooLarge(
            f"{where}: more than {limits.max_rows:,} rows (THBHUB_SHEET_MAX_ROWS); split the "
            "file; nothing was stored"
        )
    if columns is not None and columns > limits.max_columns:
        raise SpreadsheetTooLarge(
            f"{where}: more than {limits.max_columns:,} columns (THBHUB_SHEET_MAX_COLUMNS); "
            "nothing was stored"
        )


def counted(
    rows: Iterable[T], limits: SheetLimits = DEFAULT_LIMITS, where: str = ""
) -> Iterator[T]:
    """``rows`` as they are read, refused as soon as one row too many, or one too wide,
    comes (before the rest is read)."""
    for n, row in enumerate(rows, start=1):
        if n > limits.max_rows or len(row) > limits.max_columns:
            check_shape(n, len(row), limits, where)
        yield row
