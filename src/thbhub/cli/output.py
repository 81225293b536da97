"""Format command results as JSON, CSV or a Rich table on stdout."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from thbhub import csvio


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


FormatOption = Annotated[
    Format, typer.Option("--format", "-f", help="Output format: table, json or csv.")
]


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=_default)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def emit(
    data: Sequence[dict[str, Any]] | dict[str, Any],
    fmt: Format,
    *,
    columns: Sequence[str] | None = None,
    title: str | None = None,
) -> None:
    """Print rows (or one record) in the chosen format.  JSON keeps native types."""
    if fmt is Format.json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=_default) + "\n")
        return
    rows = [data] if isinstance(data, dict) else list(data)
    cols = list(columns) if columns else _columns(rows)
    if fmt is Format.csv:
        buf = io.StringIO()
        writer = csvio.writer(buf, lineterminator="\n")  # formula-safe, like every CSV
        writer.writerow(cols)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in cols])
        sys.stdout.write(buf.getvalue())
        return
    if isinstance(data, dict):
        table = Table(title=title, show_header=False)
        table.add_column("field", style="bold")
        table.add_column("value", overflow="fold")
        for key, value in data.items():
            table.add_row(escape(key), escape(_cell(value)))
    else:
        table = Table(title=title)
        for c in cols:
            table.add_column(c, overflow="fold")
        for row in rows:
            # Cells are data, not Rich markup: `[/b]` in a series name is text to show.
            table.add_row(*[escape(_cell(row.get(c))) for c in cols])
    Console(soft_wrap=False).print(table)


def _columns(rows: Sequence[dict[str, Any]]) -> list[str]:
    cols: list[str] = []
    for row in rows:
        for key in row:
            if key not in cols:
                cols.append(key)
    return cols


def info(message: str) -> None:
    """A human message on stderr, so that stdout stays machine-readable."""
    Console(stderr=True).print(message)
