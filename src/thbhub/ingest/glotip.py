"""UNODC GLOTIP country data (dataUNODC release) as published: the Excel file and its CSV form.

Traps handled (see docs/statistics.md): metadata rows above the header (found, not assumed),
values as text with thousands separators, the `<5` suppression marker (recorded as the range
0-4 unless told otherwise), empty ISO codes (the country is then resolved from its name),
repeated keys (summed into the parent and kept as parts, never dropped), categories that name
no country under "by citizenship" (empty, `0`, `Nationality`: their own concept, "not named",
through the taxonomy, never "unknown": the source lists its own Unknown beside them), a total
filed as a category (`TOTAL`: kept apart, never added to the published total), UNODC region
codes and names in the code column (resolved through UNODC's codes).  Different source
categories that resolve to one concept are kept apart under their own codes, never summed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import polars as pl

from thbhub import csvio
from thbhub.domain.errors import Location, UserError, ValidationError
from thbhub.domain.observations import TOTAL, Cell, parse_unodc_value
from thbhub.ingest.registry import ImportSummary, Progress, no_progress, register
from thbhub.ingest.rules import check_count, check_unique_header, parse_year, shown
from thbhub.ingest.textfile import require_utf8
from thbhub.ingest.workbook import DEFAULT_LIMITS, check_shape, check_workbook
from thbhub.settings import Settings
from thbhub.stats.resolve import Resolver
from thbhub.stats.store import Parsed, already_imported, source_meta, store
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
#: Category texts that are the dimension's total filed as a category (Bolivia, Guatemala).
#: Kept apart (extra `reported=total`) so they never add to the published total row.
TOTAL_CATEGORIES = frozenset({"TOTAL", "TOTAL POR AÑO"})

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

    limits = DEFAULT_LIMITS  # the release is 47,000 rows, 22 MB of XML: well inside
    check_workbook(path, limits)
    try:
        reader = fastexcel.read_excel(path)
        sheet = reader.sheet_names[0]
        # One pass over the sheet, everything as text; the header is found in the frame.
        whole = reader.load_sheet(0, header_row=None, dtypes="string").to_polars()
    except Exception as exc:  # calamine raises its own error types for broken archives
        raise ValidationError(
            Location(path.name), "not a readable Excel workbook (truncated or corrupt)"
        ) from exc
    check_shape(whole.height, whole.width, limits, f"{path.name}, sheet {sheet!r}")
    rows = [[c or "" for c in r] for r in whole.head(10).rows()]
    h = _find_header(rows, Location(path.name, sheet, 1))
    check_unique_header(rows[h], path.name, h + 1, sheet)
    names = [c.strip() or f"column {i + 1}" for i, c in enumerate(rows[h])]
    frame = whole.slice(h + 1).rename(dict(zip(whole.columns, names, strict=True)))
    version = _version_stamp([r[0] for r in rows[:h]])
    return _Table(frame, sheet, h + 2, version)


def _read_csv(path: Path) -> _Table:
    require_utf8(path)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        head = [row for _, row in zip(range(10), csvio.reader(fh, path.name), strict=False)]
    h = _find_header(head, Location(path.name, None, 1))
    check_unique_header(head[h], path.name, h + 1)
    try:
        frame = pl.read_csv(path, skip_rows=h, infer_schema=False, encoding="utf8")
    except pl.exceptions.PolarsError as exc:
        detail = str(exc).strip().splitlines()[0]
        raise ValidationError(Location(path.name), f"not a readable CSV file: {detail}") from exc
    version = _version_stamp([r[0] for r in head[:h] if r])
    return _Table(frame, None, h + 2, version)


def read_glotip(path: Path) -> _Table:
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods"):
        return _read_excel(path)
    return _read_csv(path)


def _first_row(column: list[str], value: str) -> int:
    return column.index(value)


def parse_glotip(
    path: Path, resolvers: dict[str, Resolver], *, suppressed_lower: float = 0.0
) -> Parsed:
    """Parse and resolve every row; raises ValidationError naming the first bad cell.

    Codes repeat heavily (46,556 rows, a few hundred distinct codes), so each distinct value
    of a column is checked and resolved once and the rows are then assembled by lookup.
    """
    table = read_glotip(path)
    frame, sheet, first = table.frame, table.sheet, table.first_row
    columns = [c.strip() for c in frame.columns]
    for name in HEADER:
        if name not in columns:
            raise ValidationError(
                Location(path.name, sheet, first - 1, name),
                "wrong header: column missing (expected " + ", ".join(HEADER) + ")",
            )
    frame = frame.rename(dict(zip(frame.columns, columns, strict=True)))
    frame = frame.select(pl.col(c).fill_null("").str.strip_chars() for c in HEADER)
    # Blank lines at the end of a sheet carry nothing: drop rows with every cell empty.
    frame = frame.filter(pl.any_horizontal(pl.col(c) != "" for c in HEADER))
    col = {name: frame[name].to_list() for name in HEADER}
    unodc, iso = resolvers["unodc"], resolvers["iso3166"]

    def at(column: str, value: str, name: str | None = None) -> Location:
        return Location(path.name, sheet, first + _first_row(col[name or column], value), column)

    for name in REQUIRED:
        if "" in col[name]:
            raise ValidationError(
                at(name, ""), "empty cell where a value is required (truncated file?)"
            )
    for unit in dict.fromkeys(col["Unit of measurement"]):
        if unit.lower() != "counts":
            raise ValidationError(
                at("Unit of measurement", unit), "unit not supported (expected Counts)", unit
            )
    years: dict[str, int] = {}
    for text in dict.fromkeys(col["Year"]):
        years[text] = parse_year(text, at("Year", text))
    cells: dict[str, Cell] = {}
    for text in dict.fromkeys(col["txtVALUE"]):
        cell = parse_unodc_value(text, suppressed_lower)
        if cell is None:
            raise ValidationError(
                at("txtVALUE", text), "non-numeric value (expected a count or <5)", shown(text)
            )
        cells[text] = check_count(cell, at("txtVALUE", text), text)
    indicators = {
        v: unodc.resolve(v, ("indicator",), at("Indicator", v), "indicator")
        for v in dict.fromkeys(col["Indicator"])
    }
    sexes = {
        v: TOTAL if v == "Total" else unodc.resolve(v, ("sex",), at("Sex", v), "sex")
        for v in dict.fromkeys(col["Sex"])
    }
    ages = {
        v: TOTAL if v == "Total" else unodc.resolve(v, ("age",), at("Age", v), "age")
        for v in dict.fromkeys(col["Age"])
    }
    places = list(zip(col["Iso3_code"], col["Country"], strict=True))
    countries: dict[tuple[str, str], tuple[str, str]] = {}
    for i, (code, name) in enumerate(places):
        if (code, name) not in countries:
            countries[(code, name)] = _country(
                iso, unodc, code, name, Location(path.name, sheet, first + i)
            )
    pairs = list(zip(col["Dimension"], col["Category"], strict=True))
    breakdowns: dict[tuple[str, str], tuple[str, str, str]] = {}
    for i, (dim, cat) in enumerate(pairs):
        if (dim, cat) not in breakdowns:
            breakdowns[(dim, cat)] = _breakdown(
                unodc, dim, cat, Location(path.name, sheet, first + i)
            )
    # Assemble the cells column-wise: every distinct code is resolved above, so the rows are
    # lookups, done by Polars rather than a Python loop over 46,556 rows.
    sep = "\x1f"
    place_key = {f"{c}{sep}{n}": v for (c, n), v in countries.items()}
    pair_key = {f"{d}{sep}{c}": v for (d, c), v in breakdowns.items()}
    place = pl.concat_str([pl.col("Iso3_code"), pl.col("Country")], separator=sep)
    pair = pl.concat_str([pl.col("Dimension"), pl.col("Category")], separator=sep)

    def lookup(expr: pl.Expr, table: dict[str, Any], dtype: Any = pl.String) -> pl.Expr:
        return expr.replace_strict(table, return_dtype=dtype)

    area = lookup(place, {k: v[1] for k, v in place_key.items()})
    own = lookup(pair, {k: v[2] for k, v in pair_key.items()})
    value = pl.col("txtVALUE")
    cells_frame = frame.select(
        lookup(pl.col("Indicator"), indicators).alias("indicator"),
        lookup(place, {k: v[0] for k, v in place_key.items()}).alias("country"),
        lookup(pl.col("Year"), years, pl.Int64).alias("year"),
        lookup(pl.col("Sex"), sexes).alias("sex"),
        lookup(pl.col("Age"), ages).alias("age"),
        lookup(pair, {k: v[0] for k, v in pair_key.items()}).alias("form"),
        lookup(pair, {k: v[1] for k, v in pair_key.items()}).alias("citizenship"),
        pl.when(area == "")
        .then(own)
        .when(own == "")
        .then(area)
        .otherwise(pl.concat_str([area, own], separator=";"))
        .alias("extra"),
        lookup(value, {k: c.value for k, c in cells.items()}, pl.Float64).alias("value"),
        lookup(value, {k: c.status.value for k, c in cells.items()}).alias("status"),
        lookup(value, {k: c.lower for k, c in cells.items()}, pl.Float64).alias("lower"),
        lookup(value, {k: c.upper for k, c in cells.items()}, pl.Float64).alias("upper"),
        pl.lit("").alias("flags"),
        pl.concat_str(
            [
                pl.col("Indicator"),
                pl.lit(" | "),
                pl.col("Dimension"),
                pl.lit(": "),
                pl.col("Category"),
                pl.lit(" | "),
                pl.col("Sex"),
                pl.lit(" | "),
                pl.col("Age"),
            ]
        )
        .str.slice(0, 500)
        .alias("label"),
        pl.lit(sheet, dtype=pl.String).alias("sheet"),
        (pl.int_range(pl.len(), dtype=pl.Int64) + first).alias("source_row"),
        # The source's own codes for the breakdown (not the concepts they resolve to): only
        # rows of one country and year with the same codes are a key the source repeats
        # (see stats.store).  The label less its indicator, so that migration stats_0003
        # derives the same text from cells stored before.
        pl.concat_str(
            [
                pl.col("Dimension"),
                pl.lit(": "),
                pl.col("Category"),
                pl.lit(" | "),
                pl.col("Sex"),
                pl.lit(" | "),
                pl.col("Age"),
            ]
        ).alias("codes"),
    )
    return Parsed([], frame.height, version=table.version, frame=cells_frame)


def _country(
    iso: Resolver, unodc: Resolver, code: str, name: str, row: Location
) -> tuple[str, str]:
    """(country code, area extra) from Iso3_code, or from the name when the code is empty."""

    def at(column: str) -> Location:
        return Location(row.file, row.sheet, row.row, column)

    if code and iso.find(code, ("country",)) is None:
        # A few rows carry a name or a UNODC region code in the code column
        # (`Aruba/Curacao`, `CAR`): resolve it through UNODC's own codes.
        return unodc.resolve_area(code, COUNTRY_SCHEMES, at("Iso3_code"), "country code or name")
    if code:
        return iso.resolve_area(code, ("country",), at("Iso3_code"), "ISO 3166 code")
    if name:
        return unodc.resolve_area(name, COUNTRY_SCHEMES, at("Country"), "country name")
    raise ValidationError(at("Iso3_code"), "empty Iso3_code and Country: unknown country")


def _breakdown(unodc: Resolver, dim: str, cat: str, row: Location) -> tuple[str, str, str]:
    """(form, citizenship, extra) for a Dimension/Category pair."""
    at = Location(row.file, row.sheet, row.row, "Category")
    if dim == "Total":
        return TOTAL, TOTAL, ""
    if dim == "by form of exploitation":
        return unodc.resolve(cat, ("form",), at, "form of exploitation"), TOTAL, ""
    if dim in ("by citizenship", "by country of repatriation") and cat in TOTAL_CATEGORIES:
        kind = "citizenship" if dim == "by citizenship" else "repatriation"
        return TOTAL, TOTAL, f"{kind}=reported-total"
    # Texts that name no country (empty, `0`, `Nationality`) resolve like any other code,
    # to the taxonomy's "not named" concept: reading them as "unknown" added them to the
    # source's own Unknown (Bolivia 2018: 26 + 332 = 358, above its total of 332).
    code = cat
    if dim == "by citizenship":
        return TOTAL, unodc.resolve(code, COUNTRY_SCHEMES, at, "citizenship"), ""
    if dim == "by country of repatriation":
        where = unodc.resolve(code, COUNTRY_SCHEMES, at, "country")
        return TOTAL, TOTAL, f"repatriation={where}"
    raise ValidationError(
        Location(row.file, row.sheet, row.row, "Dimension"), "unknown dimension", dim
    )


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
        opts = options or {}
        lower = float(opts.get("suppressed_lower", 0.0))
        if lower not in (0.0, 1.0):
            raise UserError(
                f"--suppressed-lower {shown(str(opts.get('suppressed_lower')))}: give 0 or 1 "
                "(the lowest count a `<5` cell may hide)"
            )
        meta = source_meta(path, DEFAULT_SOURCE, source)
        done = already_imported(db, self.name, path, meta)
        if done is not None:
            return done
        with db.connect() as conn:
            resolvers = {s: Resolver(conn, s) for s in ("unodc", "iso3166")}
        parsed = parse_glotip(path, resolvers, suppressed_lower=lower)
        return store(db, importer=self.name, path=path, meta=meta, parsed=parsed, progress=progress)


register(GlotipImporter())

__all__ = ["GlotipImporter", "parse_glotip", "read_glotip"]
