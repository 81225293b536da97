"""Text in files that people open in spreadsheet programs: what such a program would run
as a formula, and how the hub's CSV files keep it text (no imports of the hub here, so
every reader and writer can use it)."""

from __future__ import annotations

import re
from typing import Any

#: Text starting with one of these is a formula to a spreadsheet program.
FORMULA_STARTS = ("=", "+", "-", "@")
#: In a CSV file a spreadsheet program also runs text that starts with a tab or a CR.
CSV_FORMULA_STARTS = (*FORMULA_STARTS, "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?\Z")


def csv_text(value: Any) -> Any:
    """``value`` as a CSV cell no spreadsheet program runs: text that would start a formula
    gets a leading apostrophe (which the programs show as text, not as part of the value);
    plain numbers such as CTDC's -99 stay numbers.  The readers take the apostrophe off
    again (:func:`from_csv_text`), so an export imports as the same records."""
    if (
        isinstance(value, str)
        and value.startswith(CSV_FORMULA_STARTS)
        and not _PLAIN_NUMBER.match(value)
    ):
        return "'" + value
    return value


def from_csv_text(text: str) -> str:
    """The inverse of :func:`csv_text` for a cell read from a file."""
    if text.startswith("'") and text[1:2] and text[1] in "=+-@\t\r":
        return text[1:]
    return text
