"""Rules every statistics importer applies to what it reads, written once.

- A year is a whole number from :data:`YEAR_MIN` to :data:`YEAR_MAX` (GLOTIP, Eurostat and
  mapped CSV alike; the query options use the same bounds).
- Every indicator the hub holds counts people, cases or inhabitants (victims, suspects,
  prosecutions, convictions, offences, population): a value is a finite number from 0 to
  :data:`MAX_COUNT`.  A negative count or one beyond the world's population is a broken
  file, never a figure to store in place of the current one.
- Header names are unique: two columns of one name would be read as one (a duplicated
  Eurostat year summed two years' values) or one silently ignored.
- The input is a file, not a directory.

Each check raises :class:`ValidationError` naming the file, row, column and rule; the
importers call them before anything is written.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from thbhub.domain.errors import Location, UserError, ValidationError, shown
from thbhub.domain.observations import Cell

YEAR_MIN = 1900
YEAR_MAX = 2100
#: More than the world's population: no count of people or cases can exceed it.
MAX_COUNT = 10_000_000_000


def year_rule() -> str:
    return f"year out of range {YEAR_MIN}-{YEAR_MAX}"


def check_year(year: int, where: Location, text: str | None = None) -> int:
    """``year`` if it lies in the hub's year range, else a ValidationError at ``where``."""
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise ValidationError(where, year_rule(), shown(text if text is not None else str(year)))
    return year


def parse_year(text: str, where: Location) -> int:
    """A year cell (`2021`, or `2021.0` as spreadsheets write it) checked against the range."""
    try:
        year = int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            raise ValidationError(where, "year is not a number", shown(text)) from None
        if not number.is_integer():
            raise ValidationError(where, "year is not a whole number", shown(text)) from None
        year = int(number)
    return check_year(year, where, text)


def check_count(cell: Cell, where: Location, text: str) -> Cell:
    """``cell`` if its value and bounds are counts (finite, 0 to MAX_COUNT), else a
    ValidationError at ``where`` quoting the cell's ``text``."""
    for number in (cell.value, cell.lower, cell.upper):
        if number is None:
            continue
        if number < 0:
            raise ValidationError(where, "negative value: a count is 0 or more", shown(text))
        if not math.isfinite(number) or number > MAX_COUNT:
            raise ValidationError(
                where, f"value too large for a count (more than {MAX_COUNT:,})", shown(text)
            )
    return cell


def check_unique_header(
    names: Sequence[str | None], file: str, row: int | None, sheet: str | None = None
) -> None:
    """Refuse a header naming a column twice (after trimming spaces), naming both positions
    (1-based): which of the two holds the value would be a guess (readers keep the first,
    or sum them), so the file must say.  Every reader of delimited or Excel files uses it."""
    first: dict[str, int] = {}
    for i, raw in enumerate(names, start=1):
        name = (raw or "").strip().lstrip("\ufeff")
        if not name:
            continue
        if name in first:
            raise ValidationError(
                Location(file, sheet, row, name),
                f"column name repeated in the header (columns {first[name]} and {i}); "
                "each column needs its own name",
            )
        first[name] = i


def require_file(path: Path) -> None:
    """Refuse a path that is not an existing regular file, saying which it is."""
    if path.is_dir():
        raise UserError(f"{path}: is a directory, not a file")
    if not path.exists():
        raise UserError(f"{path}: no such file")
    if not path.is_file():
        raise UserError(f"{path}: not a regular file")
