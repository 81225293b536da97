"""Resolve source codes to concept ids: the taxonomy's mappings first, then the fallback
tables of :mod:`thbhub.domain.cases`."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection

from thbhub.storage.cases import code_table, country_names


def norm(value: str) -> str:
    """Spelling-insensitive key: case, non-breaking and repeated spaces do not matter."""
    return " ".join(value.replace("\xa0", " ").split()).casefold()


@dataclass
class Vocab:
    tables: dict[str, dict[str, list[str]]]
    countries_by_name: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, conn: Connection) -> Vocab:
        tables = {s: code_table(conn, s) for s in ("ctdc", "htcds", "iso3166")}
        names = {norm(k): v for k, v in country_names(conn).items()}
        for code, ids in tables["htcds"].items():
            for cid in ids:
                if cid.startswith("country:"):
                    names.setdefault(norm(code), cid)
        return cls(tables, names)

    def concept(
        self, source: str, code: str, scheme: str, fallback: dict[str, str] | None = None
    ) -> str | None:
        for cid in self.tables.get(source, {}).get(code, ()):
            if cid.startswith(scheme + ":"):
                return cid
        return (fallback or {}).get(code)

    def country(self, value: str) -> str | None:
        """An ISO 3166 alpha-2/alpha-3 code, a CTDC code or an English country name."""
        text = value.strip()
        upper = text.upper()
        for source in ("iso3166", "ctdc", "htcds"):
            for cid in self.tables[source].get(upper, ()):
                if cid.startswith("country:"):
                    return cid
        return self.countries_by_name.get(norm(text))

    def country_code(self, concept_id: str) -> str:
        return concept_id.split(":", 1)[1]
