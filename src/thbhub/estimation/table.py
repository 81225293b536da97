"""A capture-history table: one 0/1 column per list and a `count` column.

A row says how many distinct cases appear on exactly that combination of lists; a
combination not given has count 0; repeated combinations are added up.  Anything else is
refused before any fit, with the file, row (the header is row 1), column and rule.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from thbhub import csvio
from thbhub.domain.errors import Location, UserError, ValidationError, shown
from thbhub.ingest.rules import check_unique_header, require_file
from thbhub.ingest.textfile import require_utf8, sniff_delimiter

COUNT = "count"
#: 2**12 - 1 = 4,095 observable combinations: far past any published study (they use 3 to 8
#: lists) and still a design small enough to fit a thousand times in seconds.
MAX_LISTS = 12
_WHOLE = re.compile(r"^[0-9]+$")


@dataclass(frozen=True)
class CaptureTable:
    """Observed capture histories: ``patterns[k]`` has bit ``i`` set when list ``i`` holds
    the cases of row ``k``; ``counts[k] > 0``; each pattern once."""

    lists: tuple[str, ...]
    patterns: np.ndarray  # int64, bit i = list i
    counts: np.ndarray  # int64, > 0

    @property
    def observed(self) -> int:
        return int(self.counts.sum())

    @property
    def n_lists(self) -> int:
        return len(self.lists)

    def rows(self) -> list[dict[str, int]]:
        """The table as rows {list: 0/1, ..., "count": n}, in the stored order."""
        out = []
        for pattern, count in zip(self.patterns.tolist(), self.counts.tolist(), strict=True):
            row = {name: (pattern >> i) & 1 for i, name in enumerate(self.lists)}
            row[COUNT] = count
            out.append(row)
        return out


def from_rows(lists: Iterable[str], rows: Iterable[tuple[Iterable[int], int]]) -> CaptureTable:
    """A table from (membership bits in list order, count) pairs; repeated patterns are added
    up and zero counts dropped.  The caller has validated the values."""
    names = tuple(lists)
    totals: dict[int, int] = {}
    for bits, count in rows:
        pattern = sum(1 << i for i, bit in enumerate(bits) if bit)
        totals[pattern] = totals.get(pattern, 0) + int(count)
    kept = [(p, c) for p, c in totals.items() if c > 0]
    patterns = np.array([p for p, _ in kept], dtype=np.int64)
    counts = np.array([c for _, c in kept], dtype=np.int64)
    table = CaptureTable(names, patterns, counts)
    if table.observed == 0:
        raise UserError("the table holds no cases: every count is 0")
    return table


def read_table_text(text: str, name: str) -> CaptureTable:
    """The table in CSV ``text`` (the file called ``name``), validated."""
    text = text.lstrip("\ufeff")
    delimiter = sniff_delimiter(text[: 1 << 16])
    reader = csvio.reader(io.StringIO(text, newline=""), name, delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ValidationError(Location(name, None, 1), "empty file: no header row") from None
    if not any(header):
        raise ValidationError(Location(name, None, 1), "empty file: no header row")
    check_unique_header(header, name, 1)
    if COUNT not in header:
        raise ValidationError(
            Location(name, None, 1), "missing column 'count' (one 0/1 column per list, then count)"
        )
    for index, column in enumerate(header):
        if not column:
            raise ValidationError(
                Location(name, None, 1, f"#{index + 1}"), "a list column needs a name"
            )
    lists = [h for h in header if h != COUNT]
    if len(lists) < 2:
        raise ValidationError(
            Location(name, None, 1),
            f"at least two list columns are needed beside 'count' (found {len(lists)})",
        )
    if len(lists) > MAX_LISTS:
        raise ValidationError(
            Location(name, None, 1), f"at most {MAX_LISTS} lists (found {len(lists)})"
        )
    count_at = header.index(COUNT)
    list_at = [i for i, h in enumerate(header) if h != COUNT]
    rows: list[tuple[list[int], int]] = []
    for row, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise ValidationError(
                Location(name, None, row),
                f"this row has {len(cells)} cells; the header has {len(header)}",
            )
        bits = []
        for i in list_at:
            cell = cells[i].strip()
            if cell not in ("0", "1"):
                raise ValidationError(
                    Location(name, None, row, header[i]), "a list cell is 0 or 1", shown(cell)
                )
            bits.append(int(cell))
        count_text = cells[count_at].strip()
        if not _WHOLE.match(count_text):
            rule = (
                "count is negative; a count is a whole number of 0 or more"
                if count_text.startswith("-")
                else "count is a whole number of 0 or more"
            )
            raise ValidationError(Location(name, None, row, COUNT), rule, shown(count_text))
        if not any(bits):
            raise ValidationError(
                Location(name, None, row, lists[0]),
                "a row on no list is the unseen number the method estimates; leave it out",
            )
        rows.append((bits, int(count_text)))
    if not rows:
        raise ValidationError(Location(name, None, 2), "no rows: the table holds no cases")
    try:
        return from_rows(lists, rows)
    except UserError as exc:
        raise UserError(f"{name}: {exc}") from None


def read_table(path: Path) -> CaptureTable:
    """The table in the CSV file at ``path``, validated."""
    require_file(path)
    require_utf8(path)
    return read_table_text(path.read_text(encoding="utf-8-sig"), path.name)
