"""The portfolio's sheets and fields: one definition read by the YAML and CSV readers and
writers, the validator and the store, so the two file layouts cannot drift apart.

A portfolio is a mapping sheet -> rows; a row maps field -> value, typed: ``str``,
``datetime.date``, ``float``, ``int``, ``bool``, ``list[str]`` or ``None`` (empty).
In CSV a list is one cell, its items joined by ``;``; in YAML it is a list.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

#: Kinds of field: how a cell is read and written.
TEXT, DATE, NUMBER, INTEGER, BOOL, LIST = "text", "date", "number", "integer", "bool", "list"
LIST_SEPARATOR = ";"
MAX_TEXT = 20_000

PROJECT_STATUSES = ("planned", "ongoing", "completed", "cancelled")
ACTIVITY_TYPES = ("training", "meeting", "study", "campaign", "conference", "other")
OUTPUT_TYPES = ("handbook", "report", "policy-brief", "training-material", "study", "other")
SECTORS = (
    "government",
    "law-enforcement",
    "prosecution",
    "judiciary",
    "labour-inspection",
    "border-guard",
    "social-services",
    "health",
    "child-protection",
    "ngo",
    "international-organisation",
    "academia",
    "private-sector",
    "other",
)


@dataclass(frozen=True)
class Field:
    name: str
    kind: str = TEXT
    required: bool = False
    choices: tuple[str, ...] = ()
    #: The field names a row of another sheet by its ``id`` (checked by the validator).
    ref: str | None = None
    #: Concept scheme every value (or list item) must belong to; "*" = any concept.
    scheme: str | None = None
    default: Any = None
    max_length: int = 500


def _f(name: str, kind: str = TEXT, **kw: Any) -> Field:
    return Field(name, kind, **kw)


ID = _f("id", required=True, max_length=64)

SHEETS: dict[str, tuple[Field, ...]] = {
    "presidencies": (
        ID,
        _f("name", required=True),
        _f("starts", DATE, required=True),
        _f("ends", DATE, required=True),
    ),
    "priorities": (
        ID,
        _f("presidency", required=True, ref="presidencies", max_length=64),
        _f("title", required=True, max_length=MAX_TEXT),
        _f("objectives", LIST, scheme="objective"),
    ),
    "projects": (
        ID,
        _f("title", required=True),
        _f("description", max_length=MAX_TEXT),
        _f("lead", required=True, max_length=300),
        _f("partners", LIST),
        _f("countries", LIST, scheme="country"),
        _f("starts", DATE, required=True),
        _f("ends", DATE, required=True),
        _f("budget", NUMBER),
        _f("currency", max_length=3),
        _f("funder", max_length=300),
        _f("objectives", LIST, required=True, scheme="objective"),
        _f("principles", LIST, scheme="principle"),
        _f("concepts", LIST, scheme="*"),
        _f("status", required=True, choices=PROJECT_STATUSES),
        _f("builds_on", LIST, ref="projects"),
        _f("owner", max_length=200),
        _f("public", BOOL, default=True),
    ),
    "activities": (
        ID,
        _f("project", required=True, ref="projects", max_length=64),
        _f("type", required=True, choices=ACTIVITY_TYPES),
        _f("title", required=True),
        _f("starts", DATE, required=True),
        _f("ends", DATE, required=True),
        _f("country", scheme="country", max_length=2),
        _f("concepts", LIST, scheme="*"),
    ),
    "participants": (
        _f("activity", required=True, ref="activities", max_length=64),
        _f("sector", required=True, choices=SECTORS),
        _f("country", required=True, scheme="country", max_length=2),
        _f("sex", scheme="sex", max_length=64),
        _f("count", INTEGER, required=True),
    ),
    "outputs": (
        ID,
        _f("project", required=True, ref="projects", max_length=64),
        _f("type", required=True, choices=OUTPUT_TYPES),
        _f("title", required=True),
        _f("date", DATE, required=True),
        _f("url", max_length=1000),
        _f("concepts", LIST, scheme="*"),
        _f("document", INTEGER),
    ),
    "indicators": (
        ID,
        _f("title", required=True),
        _f("objectives", LIST, required=True, scheme="objective"),
        _f("unit", required=True, max_length=100),
        _f("baseline", NUMBER, required=True),
        _f("baseline_date", DATE, required=True),
        _f("target", NUMBER, required=True),
        _f("target_date", DATE, required=True),
        _f("statistics", max_length=500),
    ),
    "indicator_values": (
        _f("indicator", required=True, ref="indicators", max_length=64),
        _f("date", DATE, required=True),
        _f("value", NUMBER, required=True),
        _f("note", max_length=MAX_TEXT),
    ),
    "reviews": (
        ID,
        _f("date", DATE, required=True),
        _f("title", required=True),
        _f("findings", required=True, max_length=MAX_TEXT),
        _f("decisions", required=True, max_length=MAX_TEXT),
        _f("public", BOOL, default=False),
    ),
}

#: Sheets whose rows have no ``id``: the fields that make a row unique instead.
ROW_KEYS: dict[str, tuple[str, ...]] = {
    "participants": ("activity", "sector", "country", "sex"),
    "indicator_values": ("indicator", "date"),
}

#: The top-level text of a portfolio (YAML key; CSV file ``portfolio.csv``, one row).
NOTICE = "notice"

Portfolio = dict[str, Any]  # {"notice": str | None, "<sheet>": [row, ...]}


def empty_portfolio() -> Portfolio:
    return {NOTICE: None, **{name: [] for name in SHEETS}}


#: YAML reads NO (Norway), yes, on, off as true/false.
_YAML_BOOL = "is true/false in YAML: quote the text, e.g. 'NO' for Norway"


class CellError(ValueError):
    """A cell that cannot be read as its field's kind; the message is the rule broken."""


def parse_cell(field: Field, raw: Any) -> Any:
    """A cell from a file (text from CSV, a native value from YAML) as its typed value."""
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        value: Any = [] if field.kind == LIST else field.default
        if field.required and value in (None, []):
            raise CellError("is required")
        return value
    if field.kind == LIST:
        items = raw if isinstance(raw, list) else str(raw).split(LIST_SEPARATOR)
        if any(isinstance(i, bool) for i in items):
            raise CellError(_YAML_BOOL)
        out = [str(i).strip() for i in items if i is not None and str(i).strip()]
        if field.required and not out:
            raise CellError("is required")
        for item in out:
            if LIST_SEPARATOR in item:
                raise CellError(f"an item may not hold {LIST_SEPARATOR!r} (it separates items)")
            _text(field, item)
        return out
    if isinstance(raw, list | dict):
        raise CellError(f"must be a single {field.kind}, not a list or mapping")
    if field.kind == DATE:
        if isinstance(raw, date):
            return raw
        try:
            return date.fromisoformat(str(raw).strip())
        except ValueError:
            raise CellError("must be a date YYYY-MM-DD") from None
    if field.kind in (NUMBER, INTEGER):
        if isinstance(raw, bool):
            raise CellError(f"must be a {'whole ' if field.kind == INTEGER else ''}number")
        try:
            number = float(str(raw).strip().replace(",", "")) if isinstance(raw, str) else raw
            number = float(number)
        except (TypeError, ValueError):
            raise CellError(
                f"must be a {'whole ' if field.kind == INTEGER else ''}number"
            ) from None
        if not math.isfinite(number):
            raise CellError("must be a finite number")
        if field.kind == INTEGER:
            if number != int(number) or not 0 <= number <= 2**31 - 1:
                raise CellError("must be a whole number from 0 to 2147483647")
            return int(number)
        return number
    if field.kind == BOOL:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("true", "yes", "1"):
            return True
        if text in ("false", "no", "0"):
            return False
        raise CellError("must be true or false")
    if isinstance(raw, bool):
        raise CellError(_YAML_BOOL)
    text = _text(field, str(raw).strip())
    if field.choices and text not in field.choices:
        raise CellError(f"must be one of {', '.join(field.choices)}")
    return text


def _text(field: Field, text: str) -> str:
    if len(text) > field.max_length:
        raise CellError(f"is longer than {field.max_length:,} characters")
    if any(ord(ch) < 32 and ch not in "\n\t\r" for ch in text):
        raise CellError("holds a control character")
    return text


def csv_cell(field: Field, value: Any) -> str:
    """A typed value as its CSV text (the inverse of :func:`parse_cell`)."""
    if value is None:
        return ""
    if field.kind == LIST:
        return LIST_SEPARATOR.join(value)
    if field.kind == DATE:
        return str(value.isoformat())
    if field.kind == BOOL:
        return "true" if value else "false"
    if field.kind == NUMBER:
        return _number(value)
    return str(value)


def yaml_value(field: Field, value: Any) -> Any:
    """A typed value as written to YAML: dates as ISO text, numbers as numbers."""
    if value is None:
        return None
    if field.kind == DATE:
        return value.isoformat()
    if field.kind == NUMBER:
        return int(value) if float(value).is_integer() else float(value)
    if field.kind == LIST:
        return list(value)
    return value


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
