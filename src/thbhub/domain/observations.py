"""Observations: one statistical cell with what it means (its status), as plain values.

A cell is identified by (source, indicator, country, year, dimension values).  Its value is a
number only when the status says so; every other status keeps ``value`` empty and may carry
bounds.  Nothing here does I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    number = "number"  # a published number (not zero)
    zero = "zero"  # a true, published zero
    missing = "missing"  # not available / unknown (Eurostat `:`, an empty cell)
    suppressed = "suppressed"  # withheld by the publisher; lower/upper say what it may be
    not_applicable = "not_applicable"  # the phenomenon cannot occur (Eurostat `z`)


#: Flags that qualify a cell whatever its status.  `summed` marks a cell the hub computed by
#: adding the parts a source filed under one key; the parts themselves are kept.
FLAGS: tuple[str, ...] = (
    "estimated",
    "provisional",
    "break",
    "confidential",
    "low_reliability",
    "definition_differs",
    "revised",
    "forecast",
    "summed",
)

INDICATORS: tuple[str, ...] = (
    "indicator:victims",
    "indicator:suspects",
    "indicator:prosecuted",
    "indicator:convicted",
    "indicator:formal-contact",
    "indicator:offences",
    "indicator:population",
)

#: Dimensions every observation has a column for; a value of TOTAL means "all of them".
DIMENSIONS: tuple[str, ...] = ("sex", "age", "form", "citizenship")
#: What `--by` may name: the year and the dimensions.
BREAKDOWNS: tuple[str, ...] = ("year", *DIMENSIONS)
TOTAL = "total"


@dataclass(frozen=True)
class Cell:
    """The meaning of one published cell: status, value and bounds (inclusive)."""

    status: Status
    value: float | None = None
    lower: float | None = None
    upper: float | None = None

    @staticmethod
    def of_number(value: float) -> Cell:
        if value == 0:
            return Cell(Status.zero, 0.0, 0.0, 0.0)
        return Cell(Status.number, value, value, value)


MISSING = Cell(Status.missing)
NOT_APPLICABLE = Cell(Status.not_applicable)

_NUMBER = re.compile(r"^-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
_BELOW = re.compile(r"^<\s*(\d+)$")


def parse_number(text: str) -> float | None:
    """`1,282` -> 1282.0; `12.5` -> 12.5; anything else -> None."""
    t = text.strip()
    if not _NUMBER.match(t):
        return None
    return float(t.replace(",", ""))


def parse_unodc_value(text: str | None, suppressed_lower: float = 0.0) -> Cell | None:
    """A GLOTIP `txtVALUE`: numbers with thousands separators, `<5`, or empty.

    `<N` means a count from ``suppressed_lower`` to N-1.  The 30/05/2023 release contains no
    zero at all, so a zero is either folded into `<5` or not published: the default bound 0
    records the honest range 0-4.  Returns None for text that is not a value (the caller
    reports it with its location).
    """
    if text is None or not text.strip():
        return MISSING
    t = text.strip()
    below = _BELOW.match(t)
    if below:
        limit = float(below.group(1))
        return Cell(Status.suppressed, None, suppressed_lower, limit - 1)
    number = parse_number(t)
    return None if number is None else Cell.of_number(number)


def combine(cells: Sequence[Cell]) -> Cell:
    """The sum of parts a source filed under one key, with a status that says what is known.

    All numbers: a number.  Any suppressed part: suppressed, bounded by the sums of the
    parts' bounds (so a total is never silently made of hidden cells).  Any missing part:
    missing, with the known parts' sum as lower bound.  All not applicable: not applicable.
    """
    if all(c.status is Status.not_applicable for c in cells):
        return NOT_APPLICABLE
    parts = [c for c in cells if c.status is not Status.not_applicable]
    if all(c.status in (Status.number, Status.zero) for c in parts):
        return Cell.of_number(sum(c.value or 0.0 for c in parts))
    lower = sum(c.lower or 0.0 for c in parts)
    if any(c.status is Status.missing for c in parts):
        return Cell(Status.missing, None, lower, None)
    if any(c.upper is None for c in parts):
        return Cell(Status.suppressed, None, lower, None)
    return Cell(Status.suppressed, None, lower, sum(c.upper or 0.0 for c in parts))


# Eurostat's flag letters (https://ec.europa.eu/eurostat/data/database/information).
EUROSTAT_FLAGS: dict[str, str] = {
    "b": "break",
    "c": "confidential",
    "d": "definition_differs",
    "e": "estimated",
    "f": "forecast",
    "n": "low_reliability",  # "not significant"
    "p": "provisional",
    "r": "revised",
    "s": "estimated",  # Eurostat estimate
    "u": "low_reliability",
    "z": "not_applicable",
}


def parse_eurostat_cell(text: str) -> tuple[Cell, tuple[str, ...]] | None:
    """A bulk-TSV cell such as `1234`, `1234 e`, `: `, `: c`, `:z`, `12.5 bep`.

    Returns (cell, flags) or None when the text is not a Eurostat cell.
    """
    t = text.strip()
    if not t:
        return MISSING, ()
    if t.startswith(":"):
        value_text, letters = ":", t[1:].strip()
    else:
        head, _, tail = t.partition(" ")
        value_text, letters = head, tail.strip()
        if not tail and not _NUMBER.match(head):
            # `1234e` without a space: split the trailing letters off
            m = re.match(r"^(-?[\d.,]+)([a-z]+)$", head)
            if not m:
                return None
            value_text, letters = m.group(1), m.group(2)
    flags: list[str] = []
    for letter in letters.replace(" ", ""):
        name = EUROSTAT_FLAGS.get(letter)
        if name is None:
            return None
        if name not in flags:
            flags.append(name)
    if value_text == ":":
        if "not_applicable" in flags:
            return NOT_APPLICABLE, tuple(f for f in flags if f != "not_applicable")
        if "confidential" in flags:
            return Cell(Status.suppressed, None, 0.0, None), tuple(flags)
        return MISSING, tuple(flags)
    number = parse_number(value_text)
    if number is None:
        return None
    return Cell.of_number(number), tuple(f for f in flags if f != "not_applicable")


def flags_text(flags: Iterable[str]) -> str:
    """Flags stored as one sorted comma-separated string ('' for none)."""
    return ",".join(sorted(set(flags)))


def normalise_indicator(name: str) -> str:
    """`victims` -> `indicator:victims`; the prefix may be omitted on the command line."""
    name = name.strip()
    return name if name.startswith("indicator:") else f"indicator:{name}"
