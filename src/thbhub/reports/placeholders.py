"""Numbers inside an analyst's text: placeholders bound to the hub's queries.

A placeholder is written ``{{ METRIC [COUNTRY] [YEAR] [dim:value ...] }}`` and is filled from
the same services the pages use, never typed by hand (docs/report_texts.md):

- ``victims``, ``prosecutions``, ``convictions``, ``suspects``, ``offences``: the national
  statistics (``stats.query.query_observations``, the country page's query), for one country
  (ISO 3166 alpha-2) and one year, both required; ``form:``, ``sex:``, ``age:``,
  ``citizenship:`` narrow it to one category (each dimension not named is its published
  total), ``source:KEY`` picks one source where several publish the cell.
- ``rate``: detected victims per 100,000 population (the same query with ``per_100k``).
- ``cases``: the public gated table of published case records (``privacy.public``), optionally
  for a country of exploitation, a year, ``sex:``, ``age:``, ``citizenship:``.  A suppressed
  cell is shown as :data:`SYMBOLS` ``["suppressed"]`` and its count is never read.

Each placeholder resolves to a :class:`Figure`: the value, a status (``ok``, ``suppressed``,
``missing``, ``estimated``), the text shown, the source with its version and the hub's data
version.  A placeholder that does not parse or cannot be answered is a :class:`UserError`
naming its line, column and the rule broken.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from thbhub.domain.errors import UserError
from thbhub.privacy.public import ProtectedTables, public_table
from thbhub.settings import Settings
from thbhub.stats.query import build_query, query_observations
from thbhub.storage import Database
from thbhub.storage.narrative import source_versions

#: Statistics metrics and the indicator each reads.
INDICATOR_OF: dict[str, str] = {
    "victims": "indicator:victims",
    "prosecutions": "indicator:prosecuted",
    "convictions": "indicator:convicted",
    "suspects": "indicator:suspects",
    "offences": "indicator:offences",
    "rate": "indicator:victims",
}
METRICS: tuple[str, ...] = (*INDICATOR_OF, "cases")
#: The qualifiers each kind of metric accepts.
STATS_DIMS = ("form", "sex", "age", "citizenship", "source")
CASE_DIMS = ("sex", "age", "citizenship")
#: How a value that is not a plain number is written in the text.
SYMBOLS: dict[str, str] = {
    "suppressed": "suppressed",  # gated case count: no bound is claimed (secondary suppression)
    "missing": "not available",
    "not_applicable": "not applicable",
    "estimated": "(estimated)",
}
CASES_SOURCE = "case-records"

_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_YEAR = re.compile(r"^(19|20)\d\d$")
_QUALIFIER = re.compile(r"^([a-z]+):([A-Za-z0-9][A-Za-z0-9._-]{0,99})$")


@dataclass(frozen=True)
class Placeholder:
    metric: str
    country: str | None = None
    year: int | None = None
    qualifiers: tuple[tuple[str, str], ...] = ()
    line: int = 1
    column: int = 1

    @property
    def key(self) -> str:
        """The placeholder's canonical text (how it is stored and compared)."""
        parts = [self.metric, self.country or "", str(self.year or "")]
        parts += [f"{d}:{v}" if d != "form" else v for d, v in self.qualifiers]
        return " ".join(p for p in parts if p)

    @property
    def label(self) -> str:
        """For people: ``LV 2020 victims`` (``... sex:female``)."""
        parts = [self.country or "", str(self.year or ""), self.metric]
        parts += [f"{d}:{v}" if d != "form" else v for d, v in self.qualifiers]
        return " ".join(p for p in parts if p)

    def qualifier(self, dim: str) -> str | None:
        return dict(self.qualifiers).get(dim)


@dataclass(frozen=True)
class Figure:
    """What a placeholder stands for at one moment."""

    key: str
    status: str  # ok | suppressed | missing | estimated
    value: float | None
    shown: str
    source: str | None = None
    source_version: str | None = None
    data_version: int | None = None
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Figure:
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in names})

    def same_number(self, other: Figure) -> bool:
        return (self.status, self.value) == (other.status, other.value)


def _where(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def _refuse(name: str, line: int, column: int, raw: str, rule: str) -> UserError:
    shown = " ".join(raw.split())[:80]
    return UserError(f"{name}: line {line}, column {column}: {{{{ {shown} }}}}: {rule}")


def _parse_one(raw: str, line: int, column: int, name: str) -> Placeholder:
    words = raw.split()
    if not words:
        raise _refuse(
            name, line, column, raw, f"empty placeholder; begin with one of: {', '.join(METRICS)}"
        )
    metric = words[0].lower()
    if metric not in METRICS:
        raise _refuse(
            name,
            line,
            column,
            raw,
            f"unknown figure {words[0][:30]!r}; one of: {', '.join(METRICS)}",
        )
    allowed = CASE_DIMS if metric == "cases" else STATS_DIMS
    country: str | None = None
    year: int | None = None
    qualifiers: dict[str, str] = {}
    for word in words[1:]:
        qualifier = _QUALIFIER.match(word)
        if _COUNTRY.match(word):
            if country is not None:
                raise _refuse(name, line, column, raw, "give one country only")
            country = word
        elif _YEAR.match(word):
            if year is not None:
                raise _refuse(name, line, column, raw, "give one year only")
            year = int(word)
        elif qualifier:
            dim, value = qualifier.groups()
            if dim == "form" and metric == "cases":
                raise _refuse(
                    name,
                    line,
                    column,
                    raw,
                    "the public case-record tables have no form-of-exploitation dimension; "
                    f"cases take {', '.join(CASE_DIMS)}",
                )
            if dim not in allowed:
                raise _refuse(
                    name,
                    line,
                    column,
                    raw,
                    f"{metric} takes no {dim}:; it takes {', '.join(allowed)}",
                )
            if dim in qualifiers:
                raise _refuse(name, line, column, raw, f"give {dim}: once only")
            qualifiers[dim] = word if dim == "form" else value
        else:
            raise _refuse(
                name,
                line,
                column,
                raw,
                f"{word[:30]!r} is neither a country code (LV), a year (2020) nor dim:value",
            )
    if metric != "cases" and (country is None or year is None):
        raise _refuse(name, line, column, raw, f"{metric} needs a country code and a year")
    order = {d: i for i, d in enumerate(STATS_DIMS)}
    quals = tuple(sorted(qualifiers.items(), key=lambda kv: order[kv[0]]))
    return Placeholder(metric, country, year, quals, line, column)


def parse(text: str, name: str = "text") -> list[tuple[tuple[int, int], Placeholder]]:
    """Every placeholder of ``text`` with its span, in order; the first bad one is refused
    as ``NAME: line L, column C: {{ ... }}: RULE``."""
    found: list[tuple[tuple[int, int], Placeholder]] = []
    for match in _PLACEHOLDER.finditer(text):
        line, column = _where(text, match.start())
        found.append((match.span(), _parse_one(match.group(1), line, column, name)))
    rest = _PLACEHOLDER.sub("", text)
    for brace in ("{{", "}}"):
        if brace in rest:
            offset = _unmatched(text, brace)
            line, column = _where(text, offset)
            raise UserError(
                f"{name}: line {line}, column {column}: {brace!r} without its pair; "
                "a placeholder is written {{ victims LV 2020 }}"
            )
    return found


def _unmatched(text: str, brace: str) -> int:
    spans = [m.span() for m in _PLACEHOLDER.finditer(text)]
    start = 0
    while True:
        at = text.find(brace, start)
        if at < 0:
            return 0
        if not any(a <= at < b for a, b in spans):
            return at
        start = at + 1


def _number(value: float, decimals: int = 0) -> str:
    if decimals:
        return f"{value:,.{decimals}f}"
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


@dataclass
class Resolver:
    """Resolves placeholders against the database; one per rendering (it caches the public
    case-record lattice and the source versions for the call)."""

    db: Database
    settings: Settings
    tables: ProtectedTables = field(default_factory=ProtectedTables)
    _versions: dict[str, str | None] | None = None
    _data_version: int | None = None

    def _source_version(self, key: str) -> str | None:
        if self._versions is None:
            with self.db.connect() as conn:
                self._versions = source_versions(conn)
            self._data_version = self.db.data_version()
        return self._versions.get(key)

    def resolve(self, ph: Placeholder, prefer_source: str | None = None) -> Figure:
        """The figure now; a placeholder the data cannot answer is a :class:`UserError`
        (without its position: :meth:`check` adds it)."""
        if ph.metric == "cases":
            return self._cases(ph)
        return self._stats(ph, prefer_source)

    def check(self, ph: Placeholder, name: str) -> Figure:
        """:meth:`resolve`, with a refusal naming the placeholder's position (at save)."""
        try:
            return self.resolve(ph)
        except UserError as exc:
            raise _refuse(name, ph.line, ph.column, ph.key, str(exc)) from None

    def current(self, ph: Placeholder, prefer_source: str | None = None) -> Figure:
        """:meth:`resolve` for rendering: what cannot be answered any more is ``missing``."""
        try:
            return self.resolve(ph, prefer_source)
        except UserError as exc:
            return Figure(ph.key, "missing", None, SYMBOLS["missing"], note=str(exc))

    def _stats(self, ph: Placeholder, prefer_source: str | None) -> Figure:
        rate = ph.metric == "rate"
        query = build_query(
            indicator=INDICATOR_OF[ph.metric],
            country=ph.country,
            year=ph.year,
            form=ph.qualifier("form"),
            sex=ph.qualifier("sex"),
            age=ph.qualifier("age"),
            citizenship=ph.qualifier("citizenship"),
            source=ph.qualifier("source"),
            by="year",
            per_100k=rate,
        )
        rows = query_observations(self.db, query)
        if len(rows) > 1 and prefer_source:
            rows = [r for r in rows if r["source"] == prefer_source] or rows
        if not rows:
            raise UserError("the evidence base has no such figure")
        if len(rows) > 1:
            keys = ", ".join(sorted({str(r["source"]) for r in rows}))
            raise UserError(f"several sources publish it ({keys}); add source:KEY")
        row = rows[0]
        source = str(row["source"])
        version = self._source_version(source)
        if rate and row["population_source"]:
            source = f"{source} / {row['population_source']}"
        flags = set(row["rate_flags"] if rate else row["flags"])
        status, value, shown = self._stats_value(row, rate, flags)
        return Figure(
            ph.key, status, value, shown, source, version, self._data_version, _rate_note(row, rate)
        )

    @staticmethod
    def _stats_value(
        row: dict[str, Any], rate: bool, flags: set[str]
    ) -> tuple[str, float | None, str]:
        if row["status"] == "suppressed":
            # The publisher's marker (``<5``): its bound, never a number.
            upper = row["upper"]
            if rate or upper is None:
                return "suppressed", None, SYMBOLS["suppressed"]
            return "suppressed", None, f"<{int(upper) + 1}"
        if row["status"] not in ("number", "zero"):
            return "missing", None, SYMBOLS.get(row["status"], SYMBOLS["missing"])
        value = row["rate_per_100k"] if rate else row["value"]
        if value is None:  # a rate without a population
            return "missing", None, SYMBOLS["missing"]
        shown = _number(float(value), 2 if rate else 0)
        if "estimated" in flags:
            return "estimated", float(value), f"{shown} {SYMBOLS['estimated']}"
        return "ok", float(value), shown

    def _cases(self, ph: Placeholder) -> Figure:
        where: dict[str, str] = {}
        if ph.country:
            where["country"] = f"country:{ph.country}"
        if ph.year:
            where["year"] = str(ph.year)
        for dim in CASE_DIMS:
            value = ph.qualifier(dim)
            if value is not None:
                where[dim] = f"country:{value}" if dim == "citizenship" else f"{dim}:{value}"
        table = public_table(self.db, self.settings, (), where, self.tables)
        cell = table.total
        self._source_version(CASES_SOURCE)
        source = "case records (public gated tables)"
        if cell.status == "suppressed":
            return Figure(
                ph.key, "suppressed", None, SYMBOLS["suppressed"], source, None, self._data_version
            )
        count = float(cell.count or 0)
        return Figure(ph.key, "ok", count, _number(count), source, None, self._data_version)


def _rate_note(row: dict[str, Any], rate: bool) -> str | None:
    if not rate or row.get("population_year") is None:
        return None
    return f"population of {row['population_year']}"


def iter_placeholders(text: str) -> Iterator[Placeholder]:
    """The placeholders of a text already checked at save (bad ones skipped)."""
    for match in _PLACEHOLDER.finditer(text):
        line, column = _where(text, match.start())
        try:
            yield _parse_one(match.group(1), line, column, "text")
        except UserError:
            continue
