"""Read a series file: `series,year,count[,status,lower,upper,flags]`, one cell per row.

- `status` is `value`, `zero`, `missing` or `suppressed`; without the column (or with it
  empty) the status follows from `count`: a number is a value (0 a zero), an empty cell is
  missing and `<N` is suppressed with bounds 0 to N-1.
- A suppressed cell needs its bounds: `lower` and `upper` (inclusive whole numbers), or `<N`
  in `count`.
- `flags` (optional) holds the hub's cell flags, comma-separated; `break` marks a break in
  series in that year.

Anything else is refused before any fit, with the file, row (the header is row 1), column
and rule.
"""

from __future__ import annotations

import re
from pathlib import Path

from thbhub import csvio
from thbhub.analytics.series import FILE_STATUSES, Point, Series
from thbhub.domain.errors import Location, ValidationError, shown
from thbhub.domain.observations import FLAGS, Cell, Status, parse_number
from thbhub.ingest.rules import check_count, check_unique_header, parse_year, require_file
from thbhub.ingest.textfile import read_sample, require_utf8, sniff_delimiter

REQUIRED = ("series", "year", "count")
OPTIONAL = ("status", "lower", "upper", "flags")
_BELOW = re.compile(r"^<\s*(\d+)$")
MAX_KEY = 200


def _bound(text: str, where: Location) -> float:
    number = parse_number(text)
    if number is None or not number.is_integer():
        raise ValidationError(where, "a bound is a whole number", shown(text))
    check_count(Cell(Status.suppressed, None, number, number), where, text)
    return number


def _point(rec: dict[str, str], year: int, name: str, row: int) -> Point:
    def at(column: str) -> Location:
        return Location(name, None, row, column)

    count = (rec.get("count") or "").strip()
    status = (rec.get("status") or "").strip().lower()
    lower_text = (rec.get("lower") or "").strip()
    upper_text = (rec.get("upper") or "").strip()
    flags = [f.strip() for f in (rec.get("flags") or "").split(",") if f.strip()]
    for flag in flags:
        if flag not in FLAGS:
            raise ValidationError(
                at("flags"), f"unknown flag; one of: {', '.join(FLAGS)}", shown(flag)
            )
    breaks = "break" in flags
    below = _BELOW.match(count)
    if status and status not in FILE_STATUSES:
        raise ValidationError(
            at("status"), f"status is one of {', '.join(FILE_STATUSES)}", shown(status)
        )
    if not status:
        status = "suppressed" if below else ("missing" if not count else "value")
    if status == "suppressed":
        if below:
            if lower_text or upper_text:
                raise ValidationError(
                    at("count"), "give `<N` or lower/upper, not both", shown(count)
                )
            return Point(year, status, None, 0.0, float(below.group(1)) - 1, breaks)
        if count:
            raise ValidationError(at("count"), "a suppressed cell has no count", shown(count))
        if not upper_text:
            raise ValidationError(at("upper"), "a suppressed cell needs its upper bound")
        lower = _bound(lower_text, at("lower")) if lower_text else 0.0
        upper = _bound(upper_text, at("upper"))
        if lower > upper:
            raise ValidationError(
                at("lower"), "lower bound above the upper bound", shown(lower_text)
            )
        return Point(year, status, None, lower, upper, breaks)
    if lower_text or upper_text:
        column = "lower" if lower_text else "upper"
        raise ValidationError(at(column), f"bounds are for suppressed cells, not {status}")
    if status == "missing":
        if count:
            raise ValidationError(at("count"), "a missing cell has no count", shown(count))
        return Point(year, status, breaks=breaks)
    number = parse_number(count)
    if number is None:
        raise ValidationError(at("count"), "count is not a number", shown(count))
    check_count(Cell.of_number(number), at("count"), count)
    if status == "zero" and number != 0:
        raise ValidationError(at("count"), "a zero cell has count 0", shown(count))
    if number == 0:
        return Point(year, "zero", 0.0, breaks=breaks)
    return Point(year, "value", number, breaks=breaks)


def read_series(path: Path) -> list[Series]:
    """Every series of the file, in the order they first appear."""
    require_file(path)
    require_utf8(path)
    name = path.name
    delimiter = sniff_delimiter(read_sample(path))
    out: dict[str, Series] = {}
    seen: dict[tuple[str, int], int] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csvio.DictReader(fh, name, delimiter=delimiter)
        header = [h.strip() for h in (reader.fieldnames or [])]
        if not header:
            raise ValidationError(Location(name, None, 1), "empty file: no header row")
        check_unique_header(header, name, 1)
        reader.fieldnames = header
        for column in REQUIRED:
            if column not in header:
                raise ValidationError(
                    Location(name, None, 1, column),
                    f"missing column; the header needs {', '.join(REQUIRED)}",
                )
        for column in header:
            if column not in (*REQUIRED, *OPTIONAL):
                raise ValidationError(
                    Location(name, None, 1, column),
                    f"unknown column; columns are {', '.join((*REQUIRED, *OPTIONAL))}",
                )
        for row, rec in enumerate(reader, start=2):
            if None in rec or any(v is None for v in rec.values()):
                raise ValidationError(
                    Location(name, None, row),
                    f"this row has a different number of cells than the header ({len(header)})",
                )
            if not any((v or "").strip() for v in rec.values()):
                continue
            key = rec["series"].strip()
            if not key:
                raise ValidationError(Location(name, None, row, "series"), "series is empty")
            if len(key) > MAX_KEY:
                raise ValidationError(
                    Location(name, None, row, "series"),
                    f"series name longer than {MAX_KEY} characters",
                )
            year = parse_year(rec["year"].strip(), Location(name, None, row, "year"))
            if (key, year) in seen:
                raise ValidationError(
                    Location(name, None, row, "year"),
                    f"year given twice for series {key!r} (first in row {seen[key, year]})",
                    str(year),
                )
            seen[key, year] = row
            point = _point(rec, year, name, row)
            out.setdefault(key, Series(key, [])).points.append(point)
    return list(out.values())
