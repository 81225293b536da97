"""The one CSV writer and the one CSV reader of the hub.

Writing: every CSV the hub writes (the CLI's ``--format csv``, API and page downloads,
exports, quarantine files, releases) goes through :func:`writer` or :class:`DictWriter`,
which pass every cell, the header included, through
:func:`thbhub.domain.spreadsheet.csv_text`: text that a spreadsheet program would run as a
formula (``=HYPERLINK(...)`` as a token name or an agreement's purpose) is written with a
leading apostrophe, so it opens as text.

Reading: Python's csv module stops at a cell of 131,072 characters with ``field larger than
field limit``, naming neither row nor column (a 500 or "a bug" before).  :func:`reader` and
:class:`DictReader` read any cell a file within the upload limit can hold and refuse one
longer than :data:`MAX_CELL` with the file, row, column and rule.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import IO, Any

from thbhub.domain.errors import UserError
from thbhub.domain.spreadsheet import csv_text

#: The longest cell the hub reads from a CSV file, in characters (Python's own default
#: limit, which every reader had before: no file that was read is refused now).
MAX_CELL = 131_072
#: How far the csv module may read one cell before the check above can name it: past any
#: file the hub accepts (uploads stop at THBHUB_MAX_UPLOAD_MB), within a 32-bit C long.
_PARSE_LIMIT = 2**31 - 1


def _safe(row: Iterable[Any]) -> list[Any]:
    return [csv_text(v) for v in row]


class SafeWriter:
    """``csv.writer`` with every cell made formula-safe."""

    def __init__(self, fh: IO[str], **kwargs: Any) -> None:
        self._writer = csv.writer(fh, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow(_safe(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(fh: IO[str], **kwargs: Any) -> SafeWriter:
    return SafeWriter(fh, **kwargs)


class DictWriter(csv.DictWriter):
    """``csv.DictWriter`` with every cell and header made formula-safe."""

    def writeheader(self) -> Any:
        return self.writer.writerow(_safe(self.fieldnames))

    def writerow(self, rowdict: Any) -> Any:
        return super().writerow({k: csv_text(v) for k, v in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Any]) -> None:
        for row in rowdicts:
            self.writerow(row)


class _Checked:
    """Rows of a ``csv.reader``, each cell checked against :data:`MAX_CELL`."""

    def __init__(self, rows: Any, name: str, first_row: int) -> None:
        self._rows = rows
        self._name = name
        self._first_row = first_row
        self._header: list[str] | None = None
        self._count = 0

    @property
    def line_num(self) -> int:
        return int(self._rows.line_num)

    @property
    def dialect(self) -> Any:
        return self._rows.dialect

    def __iter__(self) -> Iterator[list[str]]:
        return self

    def __next__(self) -> list[str]:
        row: list[str] = next(self._rows)
        at = self._first_row + self._count
        self._count += 1
        for index, cell in enumerate(row):
            if len(cell) > MAX_CELL:
                header = self._header or []
                column = header[index] if index < len(header) else f"#{index + 1}"
                raise UserError(
                    f"{self._name}, row {at}, column {column[:40]!r}: a cell of "
                    f"{len(cell):,} characters; at most {MAX_CELL:,} characters per cell"
                )
        if self._header is None:
            self._header = row
        return row


def reader(lines: Iterable[str], name: str, *, first_row: int = 1, **kwargs: Any) -> _Checked:
    """``csv.reader(lines, **kwargs)`` for the file called ``name`` whose first line is row
    ``first_row``; has ``line_num`` like csv's reader.  (Rows are counted as records: a cell
    with line breaks in it is one row.)"""
    if csv.field_size_limit() < _PARSE_LIMIT:
        csv.field_size_limit(_PARSE_LIMIT)  # process-wide; only ever raised
    return _Checked(csv.reader(lines, **kwargs), name, first_row)


class DictReader(csv.DictReader):
    """``csv.DictReader`` over :func:`reader`."""

    def __init__(
        self, lines: Iterable[str], name: str, *, first_row: int = 1, **kwargs: Any
    ) -> None:
        super().__init__(lines, **kwargs)
        self.reader = reader(lines, name, first_row=first_row, **kwargs)  # type: ignore[assignment]
