"""Concepts of the THB Hub taxonomy, as plain immutable values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: ISO 639-1 codes of the languages THB Hub labels concepts in: English and the region's.
LANGUAGES: tuple[str, ...] = ("en", "da", "et", "fi", "de", "is", "lv", "lt", "no", "pl", "sv")

#: Schemes whose every concept must be labelled in all of :data:`LANGUAGES`.
FULLY_LABELLED_SCHEMES: frozenset[str] = frozenset({"form", "group", "means"})

MAPPING_RELATIONS: frozenset[str] = frozenset({"exact", "close", "broad", "narrow", "related"})
MAPPING_SOURCES: frozenset[str] = frozenset(
    {"unodc", "eurostat", "ctdc", "htcds", "iso3166", "isic", "ilo", "cbss"}
)

REQUIRED_FORM_IDS: tuple[str, ...] = (
    "form:sexual-exploitation",
    "form:labour-exploitation",
    "form:domestic-servitude",
    "form:forced-begging",
    "form:forced-criminality",
    "form:benefit-fraud",
    "form:forced-marriage",
    "form:illegal-adoption",
    "form:surrogacy-exploitation",
    "form:organ-removal",
    "form:child-soldiering",
    "form:other",
)

#: The ten member states of the Council of the Baltic Sea States (ISO alpha-2).
CBSS_MEMBER_STATES: tuple[str, ...] = ("DK", "EE", "FI", "DE", "IS", "LV", "LT", "NO", "PL", "SE")


@dataclass(frozen=True)
class Mapping:
    source: str
    code: str
    relation: str = "exact"


@dataclass(frozen=True)
class Concept:
    id: str
    scheme: str
    labels: dict[str, str]
    definitions: dict[str, str] = field(default_factory=dict)
    alt_labels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    broader: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    attributes: dict[str, Any] = field(default_factory=dict)
    mappings: tuple[Mapping, ...] = ()
    position: int = 0

    def label(self, lang: str = "en") -> str:
        return self.labels.get(lang) or self.labels["en"]


@dataclass(frozen=True)
class Scheme:
    id: str
    version: str
    titles: dict[str, str]
    descriptions: dict[str, str]
    sources: tuple[str, ...]
    concepts: tuple[Concept, ...]

    def title(self, lang: str = "en") -> str:
        return self.titles.get(lang) or self.titles.get("en") or self.id


@dataclass(frozen=True)
class Taxonomy:
    schemes: tuple[Scheme, ...]

    def concepts(self) -> list[Concept]:
        return [c for s in self.schemes for c in s.concepts]

    def by_id(self) -> dict[str, Concept]:
        return {c.id: c for c in self.concepts()}
