"""Eurostat tables: the bulk TSV format and SDMX-CSV, for `crim_thb_*` and population tables.

Bulk TSV: the first column joins the dimension codes with commas and ends in `geo\\time`
(or `geo\\TIME_PERIOD`); year headers may carry trailing spaces; a cell is a number followed
by flag letters (`1234 bep`), or `:` (missing) possibly with a flag (`: c` confidential,
`: z` not applicable).  SDMX-CSV: one observation per line with TIME_PERIOD, OBS_VALUE and
OBS_FLAG columns.  Which table a file holds is read from its name (or the DATAFLOW column),
or given with the `table` option.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from thbhub import csvio
from thbhub.domain.errors import Location, ValidationError
from thbhub.domain.observations import EUROSTAT_FLAGS, TOTAL, Cell, parse_eurostat_cell
from thbhub.ingest.registry import ImportSummary, Progress, no_progress, register
from thbhub.ingest.rules import check_count, check_unique_header, check_year, shown
from thbhub.ingest.textfile import require_utf8
from thbhub.settings import Settings
from thbhub.stats.resolve import Resolver
from thbhub.stats.store import Parsed, ParsedRow, already_imported, source_meta, store
from thbhub.storage import Database

COUNTRY_SCHEMES = ("country", "country-group")
TOTAL_CODES = frozenset({"T", "TOTAL", "_T", "_Z"})
POPULATION_TABLES = frozenset({"tps00001", "demo_pjan", "demo_gind"})
FORM_DIMENSIONS = frozenset({"expl", "exploit", "typ_expl", "form"})
_TABLE = re.compile(r"(crim_thb_[a-z]+|tps\d{5}|demo_[a-z]+)", re.I)
_YEAR = re.compile(r"^\d{4}$")

TITLES = {
    "tps00001": "Population on 1 January (tps00001)",
    "demo_pjan": "Population on 1 January by age and sex (demo_pjan)",
    "crim_thb_vctz": "Trafficking in human beings: registered victims by citizenship",
    "crim_thb_vexp": "Trafficking in human beings: registered victims by form of exploitation",
    "crim_thb_vage": "Trafficking in human beings: registered victims by age",
    "crim_thb_sctz": "Trafficking in human beings: suspected traffickers by citizenship",
    "crim_thb_spro": "Trafficking in human beings: prosecuted traffickers",
    "crim_thb_scon": "Trafficking in human beings: convicted traffickers",
}


def table_code(path: Path, given: str | None) -> str:
    if given:
        return given.strip().lower()
    m = _TABLE.search(path.name.lower())
    if not m:
        raise ValidationError(
            Location(path.name),
            "cannot tell which Eurostat table this is from the file name; pass --table "
            "(e.g. crim_thb_vctz, tps00001)",
        )
    return m.group(1)


class _Context:
    def __init__(self, path: Path, table: str, resolvers: dict[str, Resolver]) -> None:
        self.path = path
        self.table = table
        self.eurostat = resolvers["eurostat"]
        self.population = table in POPULATION_TABLES
        self.table_indicator = self.eurostat.find(table, ("indicator",))

    def row(
        self, dims: dict[str, str], year: int, cell: Cell, flags: tuple[str, ...], where: Location
    ) -> ParsedRow:
        es = self.eurostat
        indicator = self.table_indicator
        values = {"sex": TOTAL, "age": TOTAL, "form": TOTAL, "citizenship": TOTAL}
        extra: list[str] = []
        country = None
        for dim, code in dims.items():
            at = Location(where.file, where.sheet, where.row, dim)
            if dim == "geo":
                country, area = es.resolve_area(code, COUNTRY_SCHEMES, at, "geo code")
                if area:
                    extra.append(area)
            elif dim == "freq":
                if code != "A":
                    raise ValidationError(at, "only annual data (freq A) is supported", code)
            elif code in TOTAL_CODES:
                continue
            elif dim == "sex":
                values["sex"] = es.resolve(code, ("sex",), at, "sex code")
            elif dim == "age":
                found = es.find(code, ("age",))
                if found is None and self.population:
                    extra.append(f"age={code}")  # single years of age: kept, not a band
                else:
                    values["age"] = es.resolve(code, ("age",), at, "age code")
            elif dim == "citizen":
                values["citizenship"] = es.resolve(code, COUNTRY_SCHEMES, at, "citizenship code")
            elif dim in FORM_DIMENSIONS:
                values["form"] = es.resolve(code, ("form",), at, "form of exploitation code")
            elif dim == "unit" and code == "NR":
                continue
            elif dim == "leg_stat" and es.find(code, ("indicator",)):
                indicator = es.find(code, ("indicator",))
            elif dim == "indic_de" and code == "JAN":
                continue
            else:
                extra.append(f"{dim}={code}")
        if country is None:
            raise ValidationError(where, "no geo dimension")
        if indicator is None:
            raise ValidationError(
                Location(where.file),
                f"no indicator for Eurostat table {self.table!r}: add a eurostat mapping "
                "of the table code to the indicator scheme",
            )
        label = ",".join(f"{k}={v}" for k, v in dims.items())
        return ParsedRow(
            indicator,
            country,
            year,
            values["sex"],
            values["age"],
            values["form"],
            values["citizenship"],
            ";".join(extra),
            cell,
            flags,
            label,
            None,
            where.row or 0,
            # Two codes resolved to one concept (EU27_2020_FOR and EU28_FOR, both "other EU
            # citizens") are kept apart under their codes by stats.store, never added up.
            label,
        )


def _cell(text: str, where: Location) -> tuple[Cell, tuple[str, ...]]:
    parsed = parse_eurostat_cell(text)
    if parsed is None:
        letters = " ".join(sorted(EUROSTAT_FLAGS))
        raise ValidationError(
            where,
            f"not a Eurostat value (a number or ':' followed by flags {letters})",
            shown(text),
        )
    check_count(parsed[0], where, text.strip())
    return parsed


def _lines(path: Path) -> Iterator[str]:
    try:
        with path.open(encoding="utf-8-sig") as fh:
            yield from fh
    except UnicodeDecodeError as exc:
        raise ValidationError(Location(path.name), "not UTF-8 text") from exc


def parse_tsv(path: Path, ctx: _Context) -> Parsed:
    lines = _lines(path)
    header_line = next(lines, "")
    header = header_line.rstrip("\r\n").split("\t")
    first = header[0].strip()
    if "\\" not in first:
        raise ValidationError(
            Location(path.name, None, 1, first or None),
            "wrong header: the first column must be like 'dim1,dim2,geo\\time'",
        )
    check_unique_header(header, path.name, 1)
    dim_part, _, time_name = first.rpartition("\\")
    dims = [d.strip() for d in dim_part.split(",")]
    check_unique_header(dims, path.name, 1)
    if time_name.strip().lower() not in ("time", "time_period") or "geo" not in dims:
        raise ValidationError(
            Location(path.name, None, 1, first), "wrong header: expected geo\\time at the end"
        )
    years: list[int] = []
    for col in header[1:]:
        name = col.strip()
        if not _YEAR.match(name):
            raise ValidationError(
                Location(path.name, None, 1, col), "only annual columns (YYYY) are supported"
            )
        years.append(check_year(int(name), Location(path.name, None, 1, col)))
    rows: list[ParsedRow] = []
    read = 0
    for line_no, line in enumerate(lines, start=2):
        text = line.rstrip("\r\n")
        if not text.strip():
            continue
        read += 1
        cells = text.split("\t")
        codes = [c.strip() for c in cells[0].split(",")]
        if len(codes) != len(dims):
            raise ValidationError(
                Location(path.name, None, line_no, first),
                f"{len(codes)} codes where the header names {len(dims)} dimensions",
                cells[0],
            )
        if len(cells) != len(years) + 1:
            raise ValidationError(
                Location(path.name, None, line_no),
                f"row has {len(cells) - 1} values, the header {len(years)} years (truncated?)",
            )
        key = dict(zip(dims, codes, strict=True))
        for year, raw in zip(years, cells[1:], strict=True):
            where = Location(path.name, None, line_no, str(year))
            cell, flags = _cell(raw, where)
            rows.append(ctx.row(key, year, cell, flags, where))
    # Bulk TSV carries no release date; the span of years it covers orders its releases.
    span = f"{min(years)}-{max(years)}" if years else None
    return Parsed(rows, read, version=span)


def parse_sdmx_csv(path: Path, ctx: _Context, header: list[str]) -> Parsed:
    check_unique_header(header, path.name, 1)
    cols = [h.strip() for h in header]
    skip = {"DATAFLOW", "STRUCTURE", "STRUCTURE_ID", "STRUCTURE_NAME", "ACTION", "LAST UPDATE"}
    skip |= {"TIME_PERIOD", "OBS_VALUE", "OBS_FLAG", "CONF_STATUS", "OBS_STATUS"}
    dims = [c for c in cols if c not in skip]
    rows: list[ParsedRow] = []
    read = 0
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csvio.reader(fh, path.name)
        next(reader)
        for line_no, rec in enumerate(reader, start=2):
            if not any(rec):
                continue
            read += 1
            if len(rec) != len(cols):
                raise ValidationError(
                    Location(path.name, None, line_no),
                    f"row has {len(rec)} fields, the header {len(cols)} (truncated?)",
                )
            data = dict(zip(cols, rec, strict=True))
            period = data["TIME_PERIOD"].strip()
            if not _YEAR.match(period):
                raise ValidationError(
                    Location(path.name, None, line_no, "TIME_PERIOD"),
                    "only annual periods (YYYY) are supported",
                    shown(period),
                )
            check_year(int(period), Location(path.name, None, line_no, "TIME_PERIOD"))
            text = data["OBS_VALUE"].strip() or ":"
            flag = (data.get("OBS_FLAG") or data.get("OBS_STATUS") or "").strip()
            where = Location(path.name, None, line_no, "OBS_VALUE")
            cell, flags = _cell(f"{text} {flag}".strip(), where)
            rows.append(
                ctx.row({d: data[d].strip() for d in dims}, int(period), cell, flags, where)
            )
    years = sorted({r.year for r in rows})
    return Parsed(rows, read, version=f"{years[0]}-{years[-1]}" if years else None)


def _sdmx_header(path: Path) -> list[str] | None:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        first = fh.readline()
    if "TIME_PERIOD" in first and "OBS_VALUE" in first and "\t" not in first:
        return next(csvio.reader([first], path.name))
    return None


def _sdmx_table(path: Path) -> str | None:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csvio.DictReader(fh, path.name)
        first = next(reader, None)
    if not first:
        return None
    flow = first.get("DATAFLOW") or first.get("STRUCTURE_ID") or ""
    m = re.search(r":?([A-Za-z0-9_]+)\(", flow) or re.search(r"([A-Za-z0-9_]+)$", flow)
    return m.group(1).lower() if m else None


class EurostatImporter:
    name = "eurostat"
    description = "Eurostat bulk TSV or SDMX-CSV (crim_thb_* tables, tps00001, demo_pjan)"

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
        require_utf8(path)
        sdmx = _sdmx_header(path)
        given = opts.get("table") or (_sdmx_table(path) if sdmx else None)
        table = table_code(path, given)
        defaults = {
            "key": f"eurostat-{table.replace('_', '-')}",
            "publisher": "Eurostat",
            "title": TITLES.get(table, f"Eurostat table {table}"),
            "url": f"https://ec.europa.eu/eurostat/databrowser/view/{table}/default/table",
            "licence": "CC BY 4.0",
        }
        meta = source_meta(path, defaults, source)
        done = already_imported(db, self.name, path, meta)
        if done is not None:
            return done
        with db.connect() as conn:
            ctx = _Context(path, table, {"eurostat": Resolver(conn, "eurostat")})
        parsed = parse_sdmx_csv(path, ctx, sdmx) if sdmx else parse_tsv(path, ctx)
        return store(db, importer=self.name, path=path, meta=meta, parsed=parsed, progress=progress)


register(EurostatImporter())
