"""Reading the table of an HTCDS file: CSV (comma, semicolon or tab) or the data sheet of an
Excel workbook, and recognising its columns under every spelling the standard's files use."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path
from typing import Any

from thbhub import csvio
from thbhub.cases.htcds_fields import ALIASES, BY_NAME, FIELDS, REPEATED, XLSFORM_META
from thbhub.cases.vocab import norm
from thbhub.domain.errors import UserError
from thbhub.domain.spreadsheet import from_csv_text
from thbhub.ingest.textfile import read_sample, require_utf8, sniff_delimiter
from thbhub.ingest.workbook import DEFAULT_LIMITS, SheetLimits, check_shape, check_workbook, counted

# The event and support-plan labels ("Type", "Country", "Date", "City") and bare names are
# too generic to recognise a column by: those fields are read by their field names only.
LABELS = {norm(f.label): f.name for f in FIELDS if f.kind != "key" and f.name not in REPEATED}
_LOOSE = {norm(f.name.split("_", 1)[1]): f.name for f in FIELDS if f.name not in REPEATED}


def cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = from_csv_text(str(value).replace("\xa0", " ").strip())
    return text or None


def parse_date(text: str) -> date | None:
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%dT%H:%M:%S", "%Y/%m/%d"):
        try:
            return datetime.strptime(text[:19] if "T" in text else text, fmt).date()
        except ValueError:
            continue
    return None


def load_rows(
    path: Path, limits: SheetLimits = DEFAULT_LIMITS
) -> tuple[str | None, list[tuple[int, list[str | None]]]]:
    """(sheet name, [(line number, cells)]) of the data sheet, header first; a workbook or
    sheet larger than ``limits`` is refused before (or as soon as) it is read."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl

        check_workbook(path, limits)
        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # zip or XML damage: the user's file, not our bug
            raise UserError(f"{path.name}: not a readable Excel workbook ({exc})") from exc
        names = set(wb.sheetnames)
        if {"survey", "choices"} <= names:
            raise UserError(
                f"{path.name}: this is the XLSForm definition itself; import an export of "
                "its submissions (CSV or Excel) instead"
            )
        best, best_score = None, -1
        for ws in wb.worksheets:
            first = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
            score = sum(1 for v in first if isinstance(v, str) and field_for(v)[0])
            if score > best_score:
                best, best_score = ws, score
        assert best is not None
        where = f"{path.name}, sheet {best.title!r}"
        # The sheet's declared dimension sets how wide openpyxl pads every row.
        check_shape(best.max_row, best.max_column, limits, where)
        rows = [
            (i, [cell(v) for v in r])
            for i, r in enumerate(counted(best.iter_rows(values_only=True), limits, where), 1)
        ]
        wb.close()
        return best.title, rows
    require_utf8(path)
    delimiter = sniff_delimiter(read_sample(path))
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csvio.reader(fh, path.name, delimiter=delimiter)
            lines = counted(reader, limits, path.name)
            return None, [(i, [cell(v) for v in r]) for i, r in enumerate(lines, start=1)]
    except csv.Error as exc:
        raise UserError(f"{path.name}: not a readable CSV file ({exc})") from exc


def field_for(header: str) -> tuple[str | None, bool]:
    """(field name or None, is a split select_multiple column)."""
    h = header.strip()
    if h in BY_NAME:
        return h, False
    if h in ALIASES:
        return ALIASES[h], False
    if "/" in h:  # XLSForm exports: group/field, or field/choice for split multi-selects
        head, _, tail = h.rpartition("/")
        last_head = head.rpartition("/")[2]
        if field_for(last_head)[0]:
            return None, True
        return field_for(tail)
    if h in XLSFORM_META:
        return None, False
    key = norm(h)
    return LABELS.get(key) or _LOOSE.get(key.replace(" ", "").replace("_", "")), False


def detect(path: Path, limits: SheetLimits = DEFAULT_LIMITS) -> bool:
    """Does this file look like HTCDS (field names or labels in its header)?"""
    _, rows = load_rows(path, limits)
    if not rows:
        return False
    header = [h for h in rows[0][1] if h]
    return sum(1 for h in header if field_for(h)[0]) >= 2
