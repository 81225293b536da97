"""What a user typed as a filter value, resolved to what is stored: one resolver for the CLI,
the API and the pages.

A value may be a concept id (`country:RO`, `form:sexual-exploitation`), the concept's code
without its scheme (`RO`, `ro`, `sexual-exploitation`, `nationals`, `eu28-others`), or, for
places, a source code the taxonomy maps (`EA18`, `Latvia`).  A place a source reported
under a code mapped other than exactly (Eurostat's EA18 and EA19, Metropolitan France FX) is
stored under the concept with `area=CODE` in `extra`; the same code typed by a user reaches
exactly those cells.  A value that resolves to nothing is an error that names it and the
valid choices: an unknown value never answers with an empty result.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import Connection

from thbhub.domain.errors import UserError
from thbhub.domain.observations import TOTAL
from thbhub.ingest.rules import shown
from thbhub.storage import observations as q

PLACE_SCHEMES = ("country", "country-group")
#: Values of a further dimension that are a total filed as a category, not a breakdown.
REPORTED_TOTAL = "reported-total"
_RANK = {"exact": 0, "close": 1, "narrow": 2, "broad": 3, "related": 4}
_EXTRA_ITEM = re.compile(r"^[a-z][a-z0-9_]*=[^;]+$")


class UnknownValue(UserError):
    """A filter value that names nothing the hub knows: the web answers 422, like any
    other parameter it cannot process."""

    status_code = 422


@dataclass(frozen=True)
class Place:
    """A country filter: the stored country value and the reporting area (`""` = its own)."""

    country: str
    area: str = ""


def parse_extra(text: str) -> dict[str, str]:
    """`area=EA18;repatriation=country:RO` -> {"area": "EA18", "repatriation": "country:RO"}."""
    out: dict[str, str] = {}
    for item in text.split(";"):
        if item:
            key, _, value = item.partition("=")
            out[key] = value
    return out


def extra_filters(items: Iterable[str]) -> dict[str, set[str]]:
    """`--extra KEY=VALUE` items (a further dimension a source brings) as key -> values."""
    out: dict[str, set[str]] = {}
    for item in items:
        if not _EXTRA_ITEM.match(item):
            raise UnknownValue(
                f"extra {shown(item)!r}: give KEY=VALUE as the `extra` column shows it "
                "(e.g. part=1, unit=P_HTHAB, codes=...)"
            )
        key, _, value = item.partition("=")
        out.setdefault(key, set()).add(value)
    return out


class FilterResolver:
    """Resolves filter values against the installed taxonomy.

    Each value costs one indexed look-up of its few candidate ids (and, for a place that is
    no concept id, of its source codes); the lists of valid choices are read only to write
    an error message, so a query's answer time stays that of its SQL."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def _known(self, candidates: list[str]) -> str | None:
        """The first candidate that is a concept (not deprecated), or None."""
        found = q.existing_concepts(self._conn, candidates)
        return next((c for c in candidates if c in found), None)

    def _short(self, scheme: str) -> list[str]:
        return [str(c["id"]).split(":", 1)[1] for c in q.scheme_concepts(self._conn, scheme)]

    def concept(self, dim: str, value: str) -> str:
        """A sex, age or form filter value -> its concept id (or `total`)."""
        v = value.strip()
        if v == TOTAL:
            return TOTAL
        cid = v if v.startswith(f"{dim}:") else f"{dim}:{v.lower()}"
        if self._known([cid]):
            return cid
        choices = self._short(dim)
        raise UnknownValue(
            f"unknown {dim} {shown(value)!r}; one of: {', '.join(choices)}, total"
            + _near(v.split(":", 1)[-1], choices)
        )

    def _place_concept(self, value: str) -> tuple[str, str] | None:
        """(concept id, relation) for a place value, or None."""
        v = value.strip()
        candidates = []
        if ":" in v:
            if v.split(":", 1)[0] in PLACE_SCHEMES:
                candidates.append(v)
        else:
            if len(v) == 2:
                candidates.append(f"country:{v.upper()}")
            candidates.append(f"country-group:{v.lower()}")
        found = self._known(candidates) if candidates else None
        if found is not None:
            return found, "exact"
        mapped = [
            (_RANK.get(relation, 9), cid, relation)
            for code, cid, relation in q.place_mappings(
                self._conn, PLACE_SCHEMES, sorted({v, v.upper()})
            )
            if code
        ]
        if mapped:
            _, cid, relation = min(mapped)
            return cid, relation
        return None

    def _unknown_place(self, what: str, value: str) -> UnknownValue:
        groups = [
            str(c["id"]).split(":", 1)[1]
            for c in q.scheme_concepts(self._conn, "country-group")
            if _kind(c) == "citizenship"
        ]
        countries = self._short("country")
        return UnknownValue(
            f"unknown {what} {shown(value)!r}; give an ISO 3166 alpha-2 code (one of "
            f"{len(countries)}: `thbhub taxonomy list -s country`), a country group "
            f"(`thbhub taxonomy list -s country-group`; citizenship groups: {', '.join(groups)}) "
            "or a source code the taxonomy maps (e.g. EA19)"
            + _near(value.strip(), [*countries, *groups])
        )

    def place(self, value: str) -> Place:
        """A `--country` value -> the stored country and, for a code mapped other than
        exactly (EA18, FX), the reporting area its cells are stored under."""
        found = self._place_concept(value)
        if found is None:
            raise self._unknown_place("country", value)
        cid, relation = found
        country = cid.split(":", 1)[1] if cid.startswith("country:") else cid
        v = value.strip()
        area = v if relation != "exact" and ":" not in v else ""
        return Place(country, area)

    def extra_key(self, item: str) -> None:
        """A further dimension no stored cell has is an unknown value, not an empty answer."""
        key = item.partition("=")[0]
        if key in ("repatriation", "area") or q.extra_key_exists(self._conn, key):
            return
        raise UnknownValue(
            f"unknown further dimension {shown(key)!r} in extra {shown(item)!r}; the `extra` "
            "column of the "
            "answers shows those stored (e.g. part, area, codes, repatriation)"
        )

    def dataset(self, sources: list[str], dataset: int | None) -> None:
        """Source keys and a dataset id must name what was imported."""
        known = q.datasets(self._conn)
        keys = sorted({d["source_key"] for d in known})
        for key in sources:
            if key not in keys:
                raise UnknownValue(
                    f"unknown source {shown(key)!r}; one of: {', '.join(keys) or 'none yet'}"
                )
        if dataset is not None and dataset not in {d["id"] for d in known}:
            ids = ", ".join(str(d["id"]) for d in known) or "none yet"
            raise UnknownValue(
                f"no dataset {dataset}; datasets: {ids} (see `thbhub query datasets`)"
            )

    def citizen(self, dim: str, value: str) -> str:
        """A `--citizenship` or `--repatriation` value -> its concept id (or `total`)."""
        v = value.strip()
        if v == TOTAL or (dim == "repatriation" and v == REPORTED_TOTAL):
            return v
        found = self._place_concept(v)
        if found is None:
            raise self._unknown_place(dim, value)
        return found[0]


def _kind(concept: Mapping[str, object]) -> object:
    attributes = concept.get("attributes")
    return attributes.get("kind") if isinstance(attributes, dict) else None


def _near(value: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(value, choices, n=3, cutoff=0.75)
    return f" (did you mean {', '.join(close)}?)" if close else ""


def extra_matches(
    extra: Mapping[str, str],
    area: str,
    filters: Mapping[str, set[str]],
    broken_down: Iterable[str],
) -> bool:
    """Whether a row's further dimensions are exactly what the query names.

    Every further dimension not named is its total (absent), as for the standard ones: a
    row with `part=2` or `repatriation=...` is never mixed into an answer that did not ask
    for it.  ``area`` is the reporting area the query's place asked for ("" = none).
    """
    wanted = set(filters) | set(broken_down)
    if area:
        wanted.add("area")
    if set(extra) != wanted:
        return False
    if area and extra["area"] != area:
        return False
    for key, values in filters.items():
        if extra[key] not in values:
            return False
    # A total the source filed as a category is not one of the breakdown's categories.
    return not any(k not in filters and extra[k] == REPORTED_TOTAL for k in broken_down)
