"""Generalisation hierarchies for quasi-identifiers: level 0 is the value as recorded, the
last level is ``*`` (fully generalised).

- year: year -> 2-year range -> 5-year range -> *
- age: recorded band or age -> 0-17 / 18-29 / 30-47 / 48+ -> minor / adult -> *
- country, citizenship: ISO code -> UN M49 subregion -> region -> * (from the taxonomy's
  country attributes)
- anything else (sex, flags): value -> *

Values that say nothing (``Unknown``, ``Missing``, empty) stay what they are below ``*``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import yaml

from thbhub.taxonomy.loader import default_data_dir

STAR = "*"
UNKNOWN = "Unknown"
_NUMBER = re.compile(r"\d+")

Level = Callable[[str], str]


def _is_unknown(value: str) -> bool:
    return value.strip().lower() in {"", "unknown", "missing", "-99", "(missing)", "null"}


def _keep_unknown(fn: Level) -> Level:
    def level(value: str) -> str:
        return value if _is_unknown(value) else fn(value)

    return level


def _year_range(width: int) -> Level:
    def level(value: str) -> str:
        m = _NUMBER.search(value)
        if not m:
            return value
        start = int(m.group()) // width * width
        return f"{start}-{start + width - 1}"

    return _keep_unknown(level)


def _age_lower(value: str) -> int | None:
    m = _NUMBER.search(value)
    return int(m.group()) if m else None


def _age_band(value: str) -> str:
    low = _age_lower(value)
    if low is None:
        return value
    for bound, label in ((18, "0-17"), (30, "18-29"), (48, "30-47")):
        if low < bound:
            return label
    return "48+"


def _age_group(value: str) -> str:
    low = _age_lower(value)
    if low is None:
        return value
    return "minor" if low < 18 else "adult"


@lru_cache(maxsize=1)
def country_regions() -> dict[str, tuple[str, str]]:
    """Country code (alpha-2, alpha-3 and CTDC codes) -> (subregion, region)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    raw = yaml.load(  # noqa: S506 - a safe loader, chosen for speed when libyaml is present
        (default_data_dir() / "country.yaml").read_text(encoding="utf-8"), Loader=loader
    )
    out: dict[str, tuple[str, str]] = {}
    for concept in raw.get("concepts", []):
        attrs = concept.get("attributes") or {}
        sub = str(attrs.get("subregion") or attrs.get("region") or "Other")
        region = str(attrs.get("region") or sub)
        codes = {concept["id"].split(":", 1)[1], str(attrs.get("iso3", ""))}
        for m in concept.get("mappings") or []:
            if m.get("source") in ("iso3166", "ctdc", "htcds", "eurostat"):
                codes.add(str(m.get("code")))
        for code in codes:
            if code:
                out.setdefault(code.upper(), (sub, region))
    return out


def _country(index: int) -> Level:
    def level(value: str) -> str:
        code = value.strip().split(":", 1)[-1]  # a concept id (country:UA) or a code (UA)
        found = country_regions().get(code.upper())
        return found[index] if found else "Other"

    return _keep_unknown(level)


def _identity(value: str) -> str:
    return value


def _star(_value: str) -> str:
    return STAR


HIERARCHIES: dict[str, list[Level]] = {
    "year": [_identity, _year_range(2), _year_range(5), _star],
    "age": [_identity, _keep_unknown(_age_band), _keep_unknown(_age_group), _star],
    "country": [_identity, _country(0), _country(1), _star],
    "citizenship": [_identity, _country(0), _country(1), _star],
}

LEVEL_NAMES: dict[str, list[str]] = {
    "year": ["year", "2-year range", "5-year range", "*"],
    "age": ["as recorded", "age band", "minor/adult", "*"],
    "country": ["country", "subregion", "region", "*"],
    "citizenship": ["country", "subregion", "region", "*"],
}


#: Source-format column names (CTDC, HTCDS) that mean one of the hierarchies above.
ALIASES: dict[str, str] = {
    "yearOfRegistration": "year",
    "ageBroad": "age",
    "vic_AgeWhenTrafficked": "age",
    "CountryOfExploitation": "country",
    "hte_Country": "country",
    "prs_Citizenship": "citizenship",
    "gender": "sex",
    "thb_YearOfRegistration": "year",
    "hte_Date": "year",
    "thb_AgeBand": "age",
    "vic_LocationOfExploitation": "country",
    "vic_LocationOfRecruitment": "country",
}


def hierarchy(column: str) -> list[Level]:
    return HIERARCHIES.get(ALIASES.get(column, column), [_identity, _star])


def level_name(column: str, level: int) -> str:
    names = LEVEL_NAMES.get(ALIASES.get(column, column), ["as recorded", "*"])
    return names[level]
