"""Table cells of observations and gated counts, with their symbols (model.SYMBOLS)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from thbhub.reports.model import Cell

#: flag -> the symbol added after a number
FLAG_SYMBOLS: dict[str, str] = {"estimated": "e", "provisional": "p", "break": "b"}


def num(value: float | None) -> str:
    if value is None:
        return "?"
    v = float(value)
    return f"{v:,.0f}" if v.is_integer() else f"{v:,.2f}"


def observation_cell(row: Mapping[str, Any] | None, measure: str = "value") -> Cell:
    """One observation as a table shows it: the number with its flags, the range of a
    suppressed cell, ``:`` for missing, ``z`` for not applicable; no row at all is missing."""
    if row is None:
        return Cell(":", "missing")
    flags = [FLAG_SYMBOLS[f] for f in (row.get("flags") or []) if f in FLAG_SYMBOLS]
    mark = (" " + " ".join(flags)) if flags else ""
    status = row["status"]
    if status in ("number", "zero"):
        kind = "estimated" if "e" in flags else "number"
        return Cell(num(row.get(measure)) + mark, kind)
    if status == "suppressed":
        lo, hi = (
            (row.get("lower"), row.get("upper"))
            if measure == "value"
            else (row.get("rate_lower"), row.get("rate_upper"))
        )
        return Cell(f"c ({num(lo)}–{num(hi) if hi is not None else '?'}){mark}", "suppressed")
    if status == "missing":
        return Cell(":" + mark, "missing")
    return Cell("z", "not_applicable")


def gated_cell(count: int | None, status: str) -> Cell:
    """A count from case records as the disclosure gate released it (never below k)."""
    if count is None:
        return Cell("c", "suppressed")
    return Cell(num(count), "number")


def text(value: Any) -> Cell:
    return Cell("" if value is None else str(value))
