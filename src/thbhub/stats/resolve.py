"""Resolve a source's codes to taxonomy concepts through the stored mappings."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Connection

from thbhub.domain.errors import Location, ValidationError
from thbhub.storage.observations import mapping_rows

# When a code maps to several concepts of the wanted schemes, the closest relation wins.
_RANK = {"exact": 0, "close": 1, "narrow": 2, "broad": 3, "related": 4}


class Resolver:
    """code -> concept id for one source, restricted to the schemes a dimension allows."""

    def __init__(self, conn: Connection, source: str) -> None:
        self.source = source
        self._by_code: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
        for code, concept_id, scheme, relation in mapping_rows(conn, source):
            self._by_code[code].append((concept_id, scheme, relation))
        self._cache: dict[tuple[str, tuple[str, ...]], tuple[str, str] | None] = {}

    def find(self, code: str, schemes: tuple[str, ...]) -> str | None:
        found = self.find_with_relation(code, schemes)
        return found[0] if found else None

    def find_with_relation(self, code: str, schemes: tuple[str, ...]) -> tuple[str, str] | None:
        """(concept id, relation) for a code, or None."""
        key = (code, schemes)
        if key in self._cache:
            return self._cache[key]
        found = self._pick(code, schemes)
        if found is None and code.strip() != code:
            found = self._pick(code.strip(), schemes)
        self._cache[key] = found
        return found

    def _pick(self, code: str, schemes: tuple[str, ...]) -> tuple[str, str] | None:
        candidates = [c for c in self._by_code.get(code, ()) if c[1] in schemes]
        if not candidates:
            return None
        best = min(_RANK.get(c[2], 9) for c in candidates)
        chosen = sorted((c[0], c[2]) for c in candidates if _RANK.get(c[2], 9) == best)
        # Several equally close concepts: keep the first in scheme order of preference.
        for scheme in schemes:
            for cid, relation in chosen:
                if cid.startswith(scheme + ":"):
                    return cid, relation
        return chosen[0]

    def resolve_area(
        self, code: str, schemes: tuple[str, ...], where: Location, what: str
    ) -> tuple[str, str]:
        """A reporting country: (country code, extra) where extra names a part of a country.

        Only an exact mapping makes a code the country's own series.  A code mapped as
        close, narrower or broader (Metropolitan France FX, Sark, the euro area as EA18 or
        EA19) is stored under the concept with `area=CODE`, so it never adds into the
        concept's own cells (EA18 + EA19 is no population) and is never lost.
        """
        self.resolve(code, schemes, where, what)
        cid, relation = self.find_with_relation(code, schemes) or ("", "")
        extra = "" if relation == "exact" else f"area={code}"
        return country_code(cid), extra

    def resolve(self, code: str, schemes: tuple[str, ...], where: Location, what: str) -> str:
        found = self.find(code, schemes)
        if found is None:
            raise ValidationError(
                where,
                f"unknown {what}: no {self.source} mapping to the taxonomy "
                f"({'/'.join(schemes)}); add it to the taxonomy data files",
                code,
            )
        return found


def country_code(concept_id: str) -> str:
    """country:DE -> DE; a grouping keeps its full id (country-group:eu27-2020)."""
    return concept_id.split(":", 1)[1] if concept_id.startswith("country:") else concept_id
