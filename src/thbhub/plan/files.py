"""Reading and writing a portfolio: one YAML file, or a directory of CSV sheets (one per
sheet, as the secretariat keeps it in a spreadsheet).  Reading gives raw cells located by
file, sheet and row; :mod:`thbhub.plan.validate` types and checks them."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from thbhub import csvio
from thbhub.domain.errors import Location, UserError, ValidationError
from thbhub.plan.sheets import NOTICE, SHEETS, Portfolio, csv_cell, yaml_value

#: The largest portfolio file read (a portfolio is a few hundred rows).
MAX_BYTES = 20 * 1024 * 1024
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass
class RawRow:
    """One row as read: field -> cell, and where it is."""

    cells: dict[str, Any]
    at: Location


@dataclass
class RawPortfolio:
    notice: Any
    notice_at: Location
    sheets: dict[str, list[RawRow]]


def read(path: Path) -> RawPortfolio:
    """A YAML file, or a directory of ``<sheet>.csv`` files (and ``portfolio.csv``)."""
    if path.is_dir():
        return _read_csv_dir(path)
    if path.suffix.lower() in YAML_SUFFIXES:
        return read_yaml_bytes(_bytes(path), path.name)
    raise UserError(
        f"{path.name}: a portfolio is a .yaml file or a directory of CSV sheets "
        f"({', '.join(f'{s}.csv' for s in SHEETS)})"
    )


def _bytes(path: Path) -> bytes:
    if path.stat().st_size > MAX_BYTES:
        raise UserError(f"{path.name}: larger than {MAX_BYTES // 2**20} MB")
    return path.read_bytes()


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UserError(f"{name}, line {line}: not UTF-8 (byte {exc.start})") from None


class _PlainLoader(yaml.SafeLoader):
    """YAML without anchors and aliases: a few lines of aliases can stand for billions of
    cells (the "billion laughs"), and a portfolio needs none."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in a portfolio file", mark
            )
        return super().compose_node(parent, index)


def read_yaml_bytes(data: bytes, name: str) -> RawPortfolio:
    text = _decode(data, name)
    try:
        doc = yaml.load(text, Loader=_PlainLoader)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise UserError(f"{name}{where}: {problem}") from None
    except RecursionError:
        raise UserError(f"{name}: nested too deeply to be a portfolio") from None
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise UserError(f"{name}: a portfolio is a mapping of sheets ({', '.join(SHEETS)})")
    unknown = [str(k) for k in doc if k not in SHEETS and k != NOTICE]
    if unknown:
        raise ValidationError(
            Location(file=name, sheet=unknown[0]),
            f"unknown sheet; the sheets are {', '.join(SHEETS)} (and {NOTICE})",
        )
    sheets: dict[str, list[RawRow]] = {}
    for sheet, fields in SHEETS.items():
        items = doc.get(sheet) or []
        if not isinstance(items, list):
            raise ValidationError(Location(file=name, sheet=sheet), "must be a list of rows")
        names = {f.name for f in fields}
        rows = []
        for number, item in enumerate(items, start=1):
            at = Location(file=name, sheet=sheet, row=number)
            if not isinstance(item, dict):
                raise ValidationError(at, "a row must be a mapping of field: value")
            for key in item:
                if key not in names:
                    raise ValidationError(
                        Location(name, sheet, number, str(key)),
                        f"unknown field; the fields are {', '.join(f.name for f in fields)}",
                    )
            rows.append(RawRow(dict(item), at))
        sheets[sheet] = rows
    return RawPortfolio(doc.get(NOTICE), Location(file=name, column=NOTICE), sheets)


def _read_csv_dir(path: Path) -> RawPortfolio:
    known = {f"{s}.csv" for s in SHEETS} | {"portfolio.csv"}
    found = sorted(p.name for p in path.glob("*.csv"))
    stray = [n for n in found if n not in known]
    if stray:
        raise UserError(
            f"{stray[0]}: not a portfolio sheet; the sheets are {', '.join(sorted(known))}"
        )
    if not found:
        raise UserError(f"{path}: no portfolio sheets (*.csv) in this directory")
    sheets = {}
    for sheet, fields in SHEETS.items():
        file = path / f"{sheet}.csv"
        sheets[sheet] = (
            _read_csv(_bytes(file), file.name, [f.name for f in fields]) if file.exists() else []
        )
    notice: Any = None
    notice_at = Location(file="portfolio.csv", row=2, column=NOTICE)
    file = path / "portfolio.csv"
    if file.exists():
        rows = _read_csv(_bytes(file), file.name, [NOTICE])
        if len(rows) > 1:
            raise ValidationError(rows[1].at, "portfolio.csv holds one row (the notice)")
        if rows:
            notice = rows[0].cells.get(NOTICE)
    return RawPortfolio(notice, notice_at, sheets)


def _read_csv(data: bytes, name: str, fields: list[str]) -> list[RawRow]:
    text = _decode(data, name)
    rows = csvio.reader(io.StringIO(text, newline=""), name)
    header = next(rows, None)
    if header is None:
        return []
    header = [h.strip() for h in header]
    for column in header:
        if column not in fields:
            raise ValidationError(
                Location(file=name, row=1, column=column),
                f"unknown column; the columns are {', '.join(fields)}",
            )
    seen = set()
    for column in header:
        if column in seen:
            raise ValidationError(Location(file=name, row=1, column=column), "column repeated")
        seen.add(column)
    out = []
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue  # a blank line a spreadsheet left behind
        if len(row) > len(header):
            raise ValidationError(
                Location(file=name, row=number),
                f"{len(row)} cells but the header has {len(header)} columns",
            )
        out.append(RawRow(dict(zip(header, row, strict=False)), Location(file=name, row=number)))
    return out


def raw_from(portfolio: Portfolio, label: str, project: str | None = None) -> RawPortfolio:
    """A stored portfolio as raw rows again, to check an edit with the import's rules;
    problems are located in the "stored portfolio", those of ``project`` under ``label``."""
    sheets: dict[str, list[RawRow]] = {}
    for sheet, fields in SHEETS.items():
        rows = []
        for number, row in enumerate(portfolio.get(sheet, []), start=1):
            at = Location(file="stored portfolio", sheet=sheet, row=number)
            if sheet == "projects" and row.get("id") == project:
                at = Location(file=label)
            rows.append(RawRow({f.name: yaml_value(f, row.get(f.name)) for f in fields}, at))
        sheets[sheet] = rows
    return RawPortfolio(portfolio.get(NOTICE), Location(file="stored portfolio"), sheets)


def write(portfolio: Portfolio, path: Path, fmt: str) -> list[Path]:
    """Write ``portfolio`` as YAML (one file) or CSV (a directory); returns files written."""
    if fmt == "yaml":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml_text(portfolio), encoding="utf-8")
        return [path]
    if fmt != "csv":
        raise UserError(f"format {fmt!r}: use yaml or csv")
    if path.exists() and not path.is_dir():
        raise UserError(f"{path}: a CSV export is a directory of sheets; name a directory")
    path.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in csv_texts(portfolio).items():
        (path / name).write_text(text, encoding="utf-8", newline="")
        written.append(path / name)
    return written


def yaml_text(portfolio: Portfolio) -> str:
    doc: dict[str, Any] = {}
    if portfolio.get(NOTICE):
        doc[NOTICE] = portfolio[NOTICE]
    for sheet, fields in SHEETS.items():
        doc[sheet] = [
            {f.name: yaml_value(f, row.get(f.name)) for f in fields}
            for row in portfolio.get(sheet, [])
        ]
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


def csv_texts(portfolio: Portfolio) -> dict[str, str]:
    """file name -> CSV text, every sheet (header only when empty) and ``portfolio.csv``."""
    out = {}
    buf = io.StringIO()
    w = csvio.writer(buf, lineterminator="\n")
    w.writerow([NOTICE])
    w.writerow([portfolio.get(NOTICE) or ""])
    out["portfolio.csv"] = buf.getvalue()
    for sheet, fields in SHEETS.items():
        buf = io.StringIO()
        w = csvio.writer(buf, lineterminator="\n")
        w.writerow([f.name for f in fields])
        for row in portfolio.get(sheet, []):
            w.writerow([csv_cell(f, row.get(f.name)) for f in fields])
        out[f"{sheet}.csv"] = buf.getvalue()
    return out
