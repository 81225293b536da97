"""UNODC GLOTIP country data (dataUNODC release) as published: the Excel file and its CSV form.

Traps handled (see docs/statistics.md): metadata rows above the header (found, not assumed),
values as text with thousands separators, the `<5` suppression marker (recorded as the range
0-4 unless told otherwise), empty ISO codes (the country is then resolved from its name),
repeated keys (summed into the parent and kept as parts, never dropped), an empty category
under "by citizenship" (treated as unknown citizenship).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import polars as pl

from thbhub.domain.errors import Location, ValidationError
from thbhub.domain.observations import TOTAL, Cell, parse_unodc_value
from thbhub.ingest.registry import ImportSummary, Progress, no_progress, register
from thbhub.settings import Settings
from thbhub.stats.resolve import Resolver
from thbhub.stats.store import Parsed, ParsedRow, already_imported, source_meta, store
from thbhub.storage import Database

HEADER = (
    "Iso3_code",
    "Country",
    "Indicator",
    "Dimension",
    "Category",
    "Sex",
    "Age",
    "Year",
    "Unit of measurement",
    "txtVALUE",
)
REQUIRED = ("Indicator", "Dimension", "Sex", "Age", "Year", "Unit of measurement")
COUNTRY_SCHEMES = ("country", "country-group")

DEFAULT_SOURCE: dict[str, Any] = {
    "key": "unodc-glotip",
    "publisher": "United Nations Office on Drugs and Crime (UNODC)",
    "title": "Global Report on Trafficking in Persons: country data (dataUNODC)",
    "url": "https://dataunodc.un.org/dp-trafficking-persons",
    "licence": "Free use with attribution to UNODC",
}


class _Table:
    """The data rows as columns of text, with where they came from."""

    def __init__(self, frame: pl.DataFrame, sheet: str | None, first_row: int, version: str | None):
        self.frame = frame
        self.sheet = sheet
        self.first_row = first_row  # file row number (1-based) of the first data row
        self.version = version


def _version_stamp(cells: list[str]) -> str | None:
    for cell in cells:
        m = re.match(r"^\s*(\d{2})/(\d{2})/(\d{4})\s*$", cell or "")
        if m:
            return f"{m.group(3)}-{m.group(2)}-{m.group(1)}"
    return None


def _find_header(rows: list[list[str]], where: Location) -> int:
    for i, row in enumerate(rows):
        if row and (row[0] or "").strip().lstrip("\ufeff") == "Iso3_code":
            return i
    raise ValidationError(
        where, f"wrong header: no row starting with Iso3_code in the first {len(rows)} rows"
    )


def _read_excel(path: Path) -> _Table:
    import fastexcel

    try:
        reader = fastexcel.read_excel(path)
        sheet = reader.sheet_names[0]
        head = reader.load_sheet(0, header_row=None, n_rows=10, dtypes="string").to_polars()
    except Exception as exc:  # calamine raises its own error types for broken archives
        raise ValidationError(
            Location(path.name), "not a readable Excel workbook (truncated or corrupt)"
        ) from exc
    rows = [[c or "" for c in r] for r in head.rows()]
    h = _find_header(rows, Location(path.name, sheet, 1))
    frame = reader.load_sheet(0, header_row=h, dtypes="string").to_polars()
    version = _version_stamp([r[0] for r in rows[:h]])
    return _Table(frame, sheet, h + 2, version)


def _read_csv(path: Path) -> _Table:
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            head = [row for _, row in zip(range(10), csv.reader(fh), strict=False)]
    except UnicodeDecodeError as exc:
        raise ValidationError(Location(path.name), "not UTF-8 text") from exc
    h = _find_header(head, Location(path.name, None, 1))
    try:
        frame = pl.read_csv(
            path, skip_rows=h, infer_schema=False, encoding="utf8"
        )
    except pl.exceptions.PolarsError as exc:
        detail = str(exc).strip().splitlines()[0]
        raise ValidationError(Location(path.name), f"not a readable CSV file: {detail}") from exc
    version = _version_stamp([r[0] for r in head[:h] if r])
    return _Table(frame, None, h + 2, version)


def read_glotip(path: Path) -> _Table:
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods"):
        return _read_excel(path)
    return _read_csv(path)


def parse_glotip(
    path: Path, resolvers: dict[str, Resolver], *, suppressed_lower: float = 0.0
) -> Parsed:
    table = read_glotip(path)
    frame, sheet = table.frame, table.sheet
    columns = [c.strip() for c in frame.columns]
    for name in HEADER:
        if name not in columns:
            raise ValidationError(
                Location(path.name, sheet, table.first_row - 1, name),
                "wrong header: column missing (expected " + ", ".join(HEADER) + ")",
            )
    frame = frame.rename(dict(zip(frame.columns, columns, strict=True)))
    unodc, iso = resolvers["unodc"], resolvers["iso3166"]
    cols = {name: frame[name].to_list() for name in HEADER}
    values: dict[str, Cell | None] = {}
    out: list[ParsedRow] = []
    first = table.first_row
    n = frame.height
    for i in range(n):
        row_no = first + i

        def at(column: str, _row: int = row_no) -> Location:
            return Location(path.name, sheet, _row, column)

        rec = {name: (cols[name][i] or "").strip() for name in HEADER}
        if not any(rec.values()):
            continue  # a blank line at the end of a sheet
        for name in REQUIRED:
            if not rec[name]:
                raise ValidationError(at(name), "empty cell where a value is required (truncated?)")
        if rec["Unit of measurement"].lower() != "counts":
            raise ValidationError(
                at("Unit of measurement"), "unit not supported (expected Counts)", rec["Unit of measurement"]
            )
        try:
            year = int(float(rec["Year"]))
        except ValueError:
            raise ValidationError(at("Year"), "year is not a number", rec["Year"]) from None
        if not 1900 <= year <= 2100:
            raise ValidationError(at("Year"), "year out of range 1900-2100", rec["Year"])
        raw = rec["txtVALUE"]
        cell = values.get(raw)
        if cell is None:
            cell = parse_unodc_value(raw, suppressed_lower)
            if cell is None:
                raise ValidationError(at("txtVALUE"), "non-numeric value (expected a count or <5)", raw)
            values[raw] = cell
        area = ""
        if rec["Iso3_code"] and iso.find(rec["Iso3_code"], ("country",)) is None:
            # A few rows carry a name in the code column (`Aruba/Curacao`): read it as a name.
            country, area = unodc.resolve_area(
                rec["Iso3_code"], COUNTRY_SCHEMES, at("Iso3_code"), "country code or name"
            )
        elif rec["Iso3_code"]:
            country, area = iso.resolve_area(
                rec["Iso3_code"], ("country",), at("Iso3_code"), "ISO 3166 code"
            )
        elif rec["Country"]:
            country, area = unodc.resolve_area(
                rec["Country"], COUNTRY_SCHEMES, at("Country"), "country name"
            )
        else:
            raise ValidationError(at("Iso3_code"), "empty Iso3_code and Country: unknown country")
        indicator = unodc.resolve(rec["Indicator"], ("indicator",), at("Indicator"), "indicator")
        sex = TOTAL if rec["Sex"] == "Total" else unodc.resolve(rec["Sex"], ("sex",), at("Sex"), "sex")
        age = TOTAL if rec["Age"] == "Total" else unodc.resolve(rec["Age"], ("age",), at("Age"), "age")
        form = citizenship = TOTAL
        extra = area
        dim, cat = rec["Dimension"], rec["Category"]
        if dim == "Total":
            pass
        elif dim == "by form of exploitation":
            form = unodc.resolve(cat, ("form",), at("Category"), "form of exploitation")
        elif dim == "by citizenship":
            citizenship = unodc.resolve(cat or "Unknown", COUNTRY_SCHEMES, at("Category"), "citizenship")
        elif dim == "by country of repatriation":
            where = unodc.resolve(cat or "Unknown", COUNTRY_SCHEMES, at("Category"), "country")
            extra = f"{area};repatriation={where}" if area else f"repatriation={where}"
        else:
            raise ValidationError(at("Dimension"), "unknown dimension", dim)
        label = f"{rec['Indicator']} | {dim}: {cat} | {rec['Sex']} | {rec['Age']}"
        out.append(
            ParsedRow(
                indicator,
                country,
                year,
                sex,
                age,
                form,
                citizenship,
                extra,
                cell,
                (),
                label,
                sheet,
                row_no,
            )
        )
    return Parsed(out, n, version=table.version)


class GlotipImporter:
    name = "glotip"
    description = "UNODC GLOTIP country data (data_glotip.xlsx as published, or its CSV form)"

    def run(
        self,
        db: Database,
        settings: Settings,
        path: Path,
        *,
        source: dict[str, Any] | None = None,
        progress: Progress = no_progress,
        options: dict[str, Any] | None = None,
    ) -> ImportSummary:
        meta = source_meta(path, DEFAULT_SOURCE, source)
        done = already_imported(db, self.name, path, meta)
        if done is not None:
            return done
        opts = options or {}
        with db.connect() as conn:
            resolvers = {s: Resolver(conn, s) for s in ("unodc", "iso3166")}
        parsed = parse_glotip(
            path, resolvers, suppressed_lower=float(opts.get("suppressed_lower", 0.0))
        )
        return store(db, importer=self.name, path=path, meta=meta, parsed=parsed, progress=progress)


register(GlotipImporter())

__all__ = ["GlotipImporter", "parse_glotip", "read_glotip"]
