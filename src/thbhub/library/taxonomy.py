"""Taxonomy look-ups of the library: a user's type, country or concept by id, code or label."""

from __future__ import annotations

from functools import lru_cache

from thbhub.domain.errors import UserError
from thbhub.library import tagger


@lru_cache(maxsize=1)
def concept_names() -> dict[str, dict[str, str]]:
    """scheme -> {casefolded label in any language or id -> concept id}."""
    out: dict[str, dict[str, str]] = {}
    for scheme in tagger.taxonomy().schemes:
        names = out.setdefault(scheme.id, {})
        for c in scheme.concepts:
            names[c.id.casefold()] = c.id
            names[c.id.split(":", 1)[1].casefold()] = c.id
            for label in c.labels.values():
                names.setdefault(label.casefold(), c.id)
    return out


def concept_id(scheme: str, value: str | None, what: str) -> str | None:
    if value is None or not value.strip():
        return None
    found = concept_names().get(scheme, {}).get(value.strip().casefold())
    if found is None:
        raise UserError(
            f"{what} {value!r} is not in the taxonomy's scheme {scheme!r}; "
            f"see `thbhub taxonomy list --scheme {scheme}`"
        )
    return found
