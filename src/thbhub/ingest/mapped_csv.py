"""Any national table as CSV, with a declared mapping of its columns and codes to the taxonomy.

The mapping file format is documented in docs/statistics-mapping.md with an example in
docs/examples/.  In short: which column (or fixed value) gives the indicator, the country,
the year and the value; which columns are dimensions and how their codes map to concepts;
which cell texts mean missing, suppressed (with bounds), not applicable or zero; and which
flag codes mean what.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticError

from thbhub import csvio
from thbhub.domain.errors import Location, UserError, ValidationError
from thbhub.domain.observations import (
    DIMENSIONS,
    FLAGS,
    INDICATORS,
    MISSING,
    NOT_APPLICABLE,
    TOTAL,
    Cell,
    Status,
    normalise_indicator,
    parse_number,
)
from thbhub.ingest.registry import ImportSummary, Progress, no_progress, register
from thbhub.ingest.rules import check_count, check_unique_header, parse_year, shown
from thbhub.ingest.sample import file_checksum
from thbhub.ingest.textfile import require_utf8
from thbhub.settings import Settings
from thbhub.stats.resolve import Resolver, country_code
from thbhub.stats.store import Parsed, ParsedRow, already_imported, source_meta, store
from thbhub.storage import Database
from thbhub.storage.observations import all_concept_ids


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Field_(_Strict):
    """A value taken from a column (mapped through `codes`) or fixed for the whole file."""

    column: str | None = None
    value: str | None = None
    codes: dict[str, str] = Field(default_factory=dict)
    #: resolve codes not in `codes` through the stored mappings of this source (e.g. eurostat)
    mapping_source: str | None = None


class CellRules(_Strict):
    missing: list[str] = Field(default_factory=lambda: ["", "..", ":", "n/a", "NA"])
    not_applicable: list[str] = Field(default_factory=lambda: ["-", "z"])
    zero: list[str] = Field(default_factory=list)
    #: text -> [lower, upper] (upper may be null when the publisher gives no bound)
    suppressed: dict[str, list[float | None]] = Field(default_factory=dict)
    thousands: str = ","
    decimal: str = "."


class SourceMeta(_Strict):
    key: str
    publisher: str
    title: str
    url: str | None = None
    licence: str | None = None
    version: str | None = None
    retrieved: str | None = None


class Mapping(_Strict):
    source: SourceMeta
    delimiter: str | None = None
    encoding: str = "utf-8-sig"
    header_row: int = 1
    indicator: Field_
    country: Field_
    year: Field_
    value: Field_
    dimensions: dict[str, Field_] = Field(default_factory=dict)
    cells: CellRules = Field(default_factory=CellRules)
    flags: Field_ | None = None


def load_mapping(path: Path) -> Mapping:
    where = Location(path.name)
    # An .xlsx given as the mapping: say where it is not text, not a decoding traceback.
    text = _decode(path, "utf-8-sig", "a mapping is a YAML text file (docs/statistics-mapping.md)")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationError(where, "mapping file is not valid YAML") from exc
    if not isinstance(raw, dict):
        raise ValidationError(where, "mapping file must be a YAML mapping (see docs)")
    try:
        mapping = Mapping.model_validate(raw)
    except PydanticError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise ValidationError(Location(path.name, None, None, field), first["msg"]) from exc
    for name in mapping.dimensions:
        if name not in DIMENSIONS:
            raise ValidationError(
                Location(path.name, None, None, f"dimensions.{name}"),
                f"unknown dimension; one of {', '.join(DIMENSIONS)}",
            )
    for name, fld in (("indicator", mapping.indicator), ("country", mapping.country)):
        if fld.column is None and fld.value is None:
            raise ValidationError(
                Location(path.name, None, None, name), "give a column or a fixed value"
            )
    for name, fld in (("year", mapping.year), ("value", mapping.value)):
        if fld.column is None:
            raise ValidationError(Location(path.name, None, None, name), "give a column")
    key = Location(path.name, None, None, "delimiter")
    if mapping.delimiter is not None and (
        len(mapping.delimiter) != 1 or mapping.delimiter in '"\r\n'
    ):
        raise ValidationError(
            key, "give one character (such as ; or , or a tab), or leave it out", mapping.delimiter
        )
    try:
        codecs.lookup(mapping.encoding)
    except LookupError:
        raise ValidationError(
            Location(path.name, None, None, "encoding"),
            "unknown encoding (e.g. utf-8-sig, cp1257, iso-8859-13)",
            mapping.encoding,
        ) from None
    if mapping.header_row < 1:
        raise ValidationError(
            Location(path.name, None, None, "header_row"),
            "the header's line number, 1 or more",
            mapping.header_row,
        )
    for text, bounds in mapping.cells.suppressed.items():
        where = Location(path.name, None, None, f"cells.suppressed.{text}")
        if len(bounds) != 2:
            raise ValidationError(where, "give [lower, upper] (upper may be null)")
        lower, upper = bounds
        check_count(Cell(Status.suppressed, None, lower, upper), where, str(bounds))
        if lower is None or (upper is not None and upper < lower):
            raise ValidationError(where, "give [lower, upper] with lower <= upper", str(bounds))
    return mapping


class _Reader:
    def __init__(self, path: Path, mapping: Mapping, resolvers: dict[str, Resolver]) -> None:
        self.path = path
        self.m = mapping
        self.resolvers = resolvers

    def at(self, row: int, column: str | None) -> Location:
        return Location(self.path.name, None, row, column)

    def text(self, fld: Field_, rec: dict[str, str], row: int) -> str:
        if fld.column is None:
            return fld.value or ""
        if fld.column not in rec:
            raise ValidationError(
                self.at(row, fld.column), "column named in the mapping is missing"
            )
        return (rec[fld.column] or "").strip()

    def concept(self, fld: Field_, code: str, schemes: tuple[str, ...], row: int, what: str) -> str:
        mapped = fld.codes.get(code)
        if mapped is None and fld.mapping_source:
            resolver = self.resolvers.get(fld.mapping_source)
            found = resolver.find(code, schemes) if resolver else None
            if found:
                return found
        if mapped is None and fld.column is None:
            mapped = code
        if mapped is None:
            raise ValidationError(
                self.at(row, fld.column), f"unknown {what}: code not in the mapping", code
            )
        if mapped == TOTAL:
            return TOTAL
        return mapped if ":" in mapped else f"{schemes[0]}:{mapped}"

    def cell(self, text: str, row: int) -> Cell:
        rules = self.m.cells
        if text in rules.suppressed:
            bounds = rules.suppressed[text] + [None, None]
            return Cell(Status.suppressed, None, bounds[0], bounds[1])
        if text in rules.missing:
            return MISSING
        if text in rules.not_applicable:
            return NOT_APPLICABLE
        if text in rules.zero:
            return Cell.of_number(0)
        normal = text.replace(rules.thousands, "") if rules.thousands else text
        normal = normal.replace(rules.decimal, ".").replace("\u00a0", "")
        number = parse_number(normal) if normal.count(".") <= 1 else None
        if number is None:
            raise ValidationError(
                self.at(row, self.m.value.column),
                "non-numeric value (see cells: in the mapping)",
                shown(text),
            )
        return check_count(Cell.of_number(number), self.at(row, self.m.value.column), text)

    def row(self, rec: dict[str, str], row: int, known: set[str]) -> ParsedRow:
        m = self.m
        indicator = normalise_indicator(
            self.concept(
                m.indicator, self.text(m.indicator, rec, row), ("indicator",), row, "indicator"
            )
        )
        if indicator not in known:
            raise ValidationError(self.at(row, m.indicator.column), "unknown indicator", indicator)
        code = self.text(m.country, rec, row)
        cid = self.concept(m.country, code, ("country", "country-group"), row, "country")
        year = parse_year(self.text(m.year, rec, row), self.at(row, m.year.column))
        values = {d: TOTAL for d in DIMENSIONS}
        # The table's own codes for the key: rows the mapping resolves to one key are summed
        # only when these are equal too (a key the table repeats), never across codes.
        codes = [self.text(m.indicator, rec, row), code, self.text(m.year, rec, row)]
        for dim, fld in m.dimensions.items():
            codes.append(self.text(fld, rec, row))
            values[dim] = self.concept(
                fld,
                self.text(fld, rec, row),
                ("country", "country-group") if dim == "citizenship" else (dim,),
                row,
                dim,
            )
        flags: tuple[str, ...] = ()
        if m.flags is not None:
            raw = self.text(m.flags, rec, row)
            if raw:
                named = []
                for part in raw.replace(",", " ").split():
                    flag = m.flags.codes.get(part)
                    if flag not in FLAGS:
                        raise ValidationError(self.at(row, m.flags.column), "unknown flag", part)
                    named.append(flag)
                flags = tuple(named)
        return ParsedRow(
            indicator,
            country_code(cid),
            year,
            values["sex"],
            values["age"],
            values["form"],
            values["citizenship"],
            "",
            self.cell(self.text(m.value, rec, row), row),
            flags,
            ",".join(f"{k}={v}" for k, v in rec.items() if v)[:500],
            None,
            row,
            " | ".join(codes),
        )


def parse_mapped_csv(
    path: Path, mapping: Mapping, resolvers: dict[str, Resolver], concepts: set[str]
) -> Parsed:
    text = _read_data(path, mapping.encoding)
    lines = text.splitlines()[mapping.header_row - 1 :]
    if not lines:
        raise ValidationError(Location(path.name, None, mapping.header_row), "no header row")
    delimiter = mapping.delimiter
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(lines[0], delimiters=",;\t").delimiter
        except csv.Error:
            delimiter = ","
    reader = csvio.DictReader(lines, path.name, first_row=mapping.header_row, delimiter=delimiter)
    header = list(reader.fieldnames or [])
    check_unique_header(header, path.name, mapping.header_row)
    wanted = [f.column for f in (mapping.indicator, mapping.country, mapping.year, mapping.value)]
    wanted += [f.column for f in mapping.dimensions.values()]
    for column in wanted:
        if column is not None and column not in header:
            raise ValidationError(
                Location(path.name, None, mapping.header_row, column),
                "wrong header: column named in the mapping is missing",
            )
    parser = _Reader(path, mapping, resolvers)
    rows: list[ParsedRow] = []
    read = 0
    for i, rec in enumerate(reader):
        row = mapping.header_row + 1 + i
        if not any((v or "").strip() for v in rec.values()):
            continue
        if None in rec or any(v is None for v in rec.values()):
            raise ValidationError(
                Location(path.name, None, row),
                "row has a different number of fields than the header",
            )
        read += 1
        parsed = parser.row(rec, row, set(INDICATORS))
        for dim in ("sex", "age", "form", "citizenship"):
            value = getattr(parsed, dim)
            if value != TOTAL and value not in concepts:
                raise ValidationError(
                    Location(path.name, None, row, mapping.dimensions[dim].column),
                    f"{value!r} is not a taxonomy concept",
                )
        rows.append(parsed)
    return Parsed(rows, read, version=mapping.source.version)


def _decode(path: Path, encoding: str, hint: str) -> str:
    """The file's text in ``encoding``; refused naming the line and byte where it is not."""
    data = path.read_bytes()
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        name = "UTF-8" if codecs.lookup(encoding).name.startswith("utf-8") else encoding
        raise UserError(
            f"{path.name}: line {line}, byte {byte} (0x{data[exc.start]:02x}) is not "
            f"{name} text; {hint}"
        ) from None


def _read_data(path: Path, encoding: str) -> str:
    if codecs.lookup(encoding).name in ("utf-8", "utf-8-sig"):
        require_utf8(path)  # the usual advice on saving a spreadsheet as CSV UTF-8
    return _decode(path, encoding, "set `encoding:` in the mapping to the file's encoding")


def _release_identity(path: Path, mapping_path: Path, data_sha: str) -> dict[str, str]:
    """What identifies this release: the data file *and* its mapping.

    The cells stored are the file read through the mapping, so a corrected mapping of an
    imported file is a new release of the source that supersedes the earlier one (its cells
    kept as history), not "already imported; nothing changed" with the correction ignored.
    """
    mapping_sha = file_checksum(mapping_path)
    both = hashlib.sha256(f"{data_sha}:{mapping_sha}".encode()).hexdigest()
    note = (
        f"checksum covers the data file {path.name} (sha256 {data_sha}) and its mapping "
        f"{mapping_path.name} (sha256 {mapping_sha})"
    )
    return {"checksum": both, "file_checksum": data_sha, "notes": note}


class MappedCsvImporter:
    name = "csv"
    description = "Any CSV table with a declared mapping (YAML) of columns and codes"

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
        if not opts.get("mapping"):
            raise ValidationError(Location(path.name), "a mapping file is required (--mapping)")
        mapping_path = Path(opts["mapping"])
        mapping = load_mapping(mapping_path)
        meta = source_meta(path, mapping.source.model_dump(exclude_none=True), source)
        if not (source or {}).get("checksum"):
            meta.update(_release_identity(path, mapping_path, meta["checksum"]))
        done = already_imported(db, self.name, path, meta)
        if done is not None:
            return done
        sources = {
            f.mapping_source
            for f in (mapping.indicator, mapping.country, *mapping.dimensions.values())
            if f.mapping_source
        }
        with db.connect() as conn:
            resolvers = {s: Resolver(conn, s) for s in sources}
            concepts = all_concept_ids(conn)
        parsed = parse_mapped_csv(path, mapping, resolvers, concepts)
        countries = {r.country for r in parsed.rows}
        unknown = sorted(
            c for c in countries if f"country:{c}" not in concepts and c not in concepts
        )
        if unknown:
            first = next(r for r in parsed.rows if r.country == unknown[0])
            raise ValidationError(
                Location(path.name, None, first.row, mapping.country.column),
                "unknown country (not an ISO alpha-2 code in the taxonomy)",
                unknown[0],
            )
        return store(db, importer=self.name, path=path, meta=meta, parsed=parsed, progress=progress)


register(MappedCsvImporter())
