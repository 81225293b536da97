"""HTCDS historic trafficking events (``hte_*``) and support plans (``spl_*``).

Both sections are one-to-many with a case.  A file gives the first event (or plan) of a
record in the plain columns and further ones in numbered columns (``hte_Type_2``,
``hte_Country_2`` ...; ``hte_Type_1`` is the plain column), or as XLSForm exports flatten a
repeat group (``historic_events[2]/hte_Type``).

Data minimisation: an event keeps its type, its country (``country:XX``) and the year of its
date; a support plan its type and the years of its end dates.  Street, postal code, city,
state and coordinates locate a person or a place of exploitation and are treated as direct
identifiers (never stored, named in the import notes); the descriptions, objectives and
action plans are free text, kept only when opted in per field (``--keep-text``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from thbhub.cases.htcds_fields import BY_NAME, REPEATED
from thbhub.cases.htcds_table import parse_date
from thbhub.cases.vocab import Vocab, norm
from thbhub.domain.cases import CaseRecord, ValueStatus
from thbhub.ingest.workbook import DEFAULT_LIMITS, SheetLimits, check_workbook

#: Report a problem: (column key, value, rule).
Report = Callable[[str, str | None, str], None]

_NUMBERED = re.compile(r"^(?P<base>[A-Za-z]+_[A-Za-z]+)_(?P<n>[1-9][0-9]{0,2})$")
_GROUP_INDEX = re.compile(r"\[(?P<n>[1-9][0-9]{0,2})\]$")
_YEAR = re.compile(r"^(?P<y>[12][0-9]{3})(?:-(?P<m>0[1-9]|1[0-2]))?$")

#: How many years ahead a support plan may be planned to end.
PLANNED_YEARS_AHEAD = 10

# key of the stored item, per kept field (type and country are handled on their own)
_EVENT_YEARS = {"hte_Date": "year"}
_SUPPORT_YEARS = {
    "spl_PlannedEndDate": "planned_end_year",
    "spl_ActualEndDate": "actual_end_year",
}
_TEXT = {
    "hte_Description": "description",
    "spl_Objectives": "objectives",
    "spl_ActionPlan": "action_plan",
}
_DATE_FIELDS = frozenset({*_EVENT_YEARS, *_SUPPORT_YEARS})
# stored key -> HTCDS field, for the export
_EXPORTED = {
    "events": {"type": "hte_Type", "country": "hte_Country", "year": "hte_Date"}
    | {slot: name for name, slot in _TEXT.items() if name.startswith("hte_")},
    "support": {"type": "spl_Type"}
    | {slot: name for name, slot in _SUPPORT_YEARS.items()}
    | {slot: name for name, slot in _TEXT.items() if name.startswith("spl_")},
}


def _index(field: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, label in BY_NAME[field].codes:
        out.setdefault(norm(name), name)
        out.setdefault(norm(label), name)
    return out


_TYPES = {"hte_Type": _index("hte_Type"), "spl_Type": _index("spl_Type")}


# --- columns ---------------------------------------------------------------------------------


def column_key(header: str) -> str | None:
    """The cell key of an event or support-plan column: ``hte_Type`` for the first one,
    ``hte_Type_2`` for the second ...; None for any other column."""
    h = header.strip()
    n = 1
    if "/" in h:  # XLSForm export: group path, indexed when the group repeats
        head, _, h = h.rpartition("/")
        found = _GROUP_INDEX.search(head)
        if found:
            n = int(found["n"])
    if h not in REPEATED:
        numbered = _NUMBERED.match(h)
        if not numbered or numbered["base"] not in REPEATED:
            return None
        h, n = numbered["base"], int(numbered["n"])
    return h if n == 1 else f"{h}_{n}"


def split_key(key: str) -> tuple[str, int]:
    """``hte_Type_2`` -> (``hte_Type``, 2); any other field name -> (itself, 1)."""
    numbered = _NUMBERED.match(key)
    if numbered and numbered["base"] in REPEATED:
        return numbered["base"], int(numbered["n"])
    return key, 1


def field_name(key: str) -> str:
    """The HTCDS field of a cell key (``hte_Country_3`` -> ``hte_Country``)."""
    return split_key(key)[0]


# --- values ----------------------------------------------------------------------------------


def parse_year(text: str) -> int | None:
    """The year of a date, of ``YYYY-MM`` or of a bare year (what the export writes back)."""
    value = text.strip()
    if value.endswith(".0"):  # a year typed into a spreadsheet number cell
        value = value[:-2]
    found = _YEAR.match(value)
    if found:
        return int(found["y"])
    parsed = parse_date(value)
    return parsed.year if parsed else None


def read(
    record: CaseRecord, cells: dict[str, str], vocab: Vocab, keep: set[str], report: Report
) -> None:
    """Set the record's events and support plans from the row's cells, reporting every
    invalid value (an unknown type, a country that is not one, a date that is not one)."""
    groups: dict[tuple[str, int], dict[str, str]] = {}
    for key in cells:
        name, n = split_key(key)
        if name in REPEATED:
            groups.setdefault((name[:4], n), {})[name] = key
    this_year = date.today().year
    for (prefix, _), keys in sorted(groups.items(), key=lambda g: (g[0][0], g[0][1])):
        item: dict[str, Any] = {}
        kind = "hte_Type" if prefix == "hte_" else "spl_Type"
        item["type"] = _pick(kind, keys, cells, report)
        if prefix == "hte_":
            item["country"] = _country(keys, cells, vocab, report)
            years = _EVENT_YEARS
        else:
            years = _SUPPORT_YEARS
        for name, slot in years.items():
            high = this_year + PLANNED_YEARS_AHEAD if name == "spl_PlannedEndDate" else this_year
            item[slot] = _year(name, keys, cells, high, report)
        for name, slot in _TEXT.items():
            if name in keys and name in keep:
                item[slot] = cells[keys[name]]
        if not any(v is not None for v in item.values()):
            continue  # only a location (never stored) or text not opted in
        target = record.events if prefix == "hte_" else record.support
        target.append(item)
    if record.events:
        record.events_status = ValueStatus.observed
    if record.support:
        record.support_status = ValueStatus.observed


def _pick(name: str, keys: dict[str, str], cells: dict[str, str], report: Report) -> str | None:
    if name not in keys:
        return None
    value = cells[keys[name]]
    found = _TYPES[name].get(norm(value))
    if found is None:
        report(keys[name], value, f"not in the HTCDS v2.0 code list of {name}")
    return found


def _country(
    keys: dict[str, str], cells: dict[str, str], vocab: Vocab, report: Report
) -> str | None:
    if "hte_Country" not in keys:
        return None
    value = cells[keys["hte_Country"]]
    found = vocab.country(value)
    if found is None:
        report(keys["hte_Country"], value, "not an ISO 3166 country code or country name")
    return found


def _year(
    name: str, keys: dict[str, str], cells: dict[str, str], high: int, report: Report
) -> int | None:
    if name not in keys:
        return None
    value = cells[keys[name]]
    year = parse_year(value)
    if year is None:
        report(keys[name], value, "must be a date (YYYY-MM-DD) or a year (YYYY)")
    elif not 1900 <= year <= high:
        report(keys[name], value, f"date must lie between 1900 and {high}")
        return None
    return year


def quarantine_cells(cells: dict[str, str], keep: set[str]) -> dict[str, str]:
    """The cells an invalid row keeps in the quarantine: no direct identifier, no event
    location, no free text not opted in, and of a valid event or plan date only its year."""
    out: dict[str, str] = {}
    for key, value in cells.items():
        name = field_name(key)
        kind = BY_NAME[name].kind
        if kind == "identifier" or (kind == "freetext" and name not in keep):
            continue
        if name in _DATE_FIELDS:
            year = parse_year(value)
            # an invalid date stays as given: the contributor has to see what to fix
            value = str(year) if year is not None else value
        out[key] = value
    return out


# --- notes -----------------------------------------------------------------------------------


def location_note(headers: list[str]) -> str | None:
    """The import note naming the event location columns that were dropped."""
    if not headers:
        return None
    shown = ", ".join(headers[:10]) + (" ..." if len(headers) > 10 else "")
    return (
        "event locations finer than a country are never stored (they could locate a person "
        f"or a place of exploitation); dropped: {shown}"
    )


def repeat_sheet_note(
    path: Path, chosen: str | None, limits: SheetLimits = DEFAULT_LIMITS
) -> str | None:
    """A workbook whose events or plans sit in a sheet of their own (an XLSForm repeat group
    exported as a separate sheet, linked by ``_parent_index``) is not joined: say so."""
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return None
    import openpyxl

    check_workbook(path, limits)
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        found = []
        for ws in wb.worksheets:
            if ws.title == chosen:
                continue
            first = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
            if any(isinstance(v, str) and column_key(v) for v in first):
                found.append(ws.title)
    finally:
        wb.close()
    if not found:
        return None
    return (
        f"sheet(s) {', '.join(repr(s) for s in found)} hold hte_/spl_ columns in rows of their "
        "own (a repeat group) and were not read: put a record's events and plans in its own "
        "row as numbered columns (hte_Type, hte_Type_2, ...)"
    )


# --- export ----------------------------------------------------------------------------------


def htcds_columns(record: dict[str, Any]) -> dict[str, Any]:
    """A stored record's events and plans as HTCDS columns: the first in ``hte_*`` /
    ``spl_*``, further ones numbered ``_2``, ``_3`` ... (years for dates, ISO codes for
    countries), so that re-importing the export gives the same lists."""
    out: dict[str, Any] = {}
    for section, names in _EXPORTED.items():
        for i, item in enumerate(record.get(section) or [], start=1):
            suffix = "" if i == 1 else f"_{i}"
            for slot, value in item.items():
                if value is None or slot not in names:
                    continue
                if slot == "country":
                    value = str(value).split(":", 1)[1]
                out[names[slot] + suffix] = value
    return out
