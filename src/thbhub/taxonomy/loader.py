"""Load and validate the concept-scheme data files (format: docs/taxonomy-format.md)."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from thbhub.domain.concepts import (
    FULLY_LABELLED_SCHEMES,
    LANGUAGES,
    MAPPING_RELATIONS,
    MAPPING_SOURCES,
    REQUIRED_FORM_IDS,
    Concept,
    Mapping,
    Scheme,
    Taxonomy,
)
from thbhub.domain.errors import UserError

_ID_TAIL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class TaxonomyError(UserError):
    """A taxonomy data file breaks a rule; the message names the file and the concept."""


def default_data_dir() -> Path:
    return Path(str(resources.files("thbhub.taxonomy") / "data"))


def load_taxonomy(data_dir: Path | None = None) -> Taxonomy:
    """Read every ``*.yaml`` scheme in ``data_dir`` and validate the whole taxonomy."""
    directory = data_dir or default_data_dir()
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise TaxonomyError(f"{directory}: no concept scheme files (*.yaml)")
    schemes = [_parse_scheme(path, pos) for pos, path in enumerate(files)]
    taxonomy = Taxonomy(tuple(schemes))
    _validate(taxonomy, {s.id: p.name for s, p in zip(schemes, files, strict=True)})
    return taxonomy


def _texts(raw: Any, where: str, field: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise TaxonomyError(f"{where}: {field} must map language codes to text")
    out: dict[str, str] = {}
    for lang, value in raw.items():
        # PyYAML reads an unquoted `no:` key as boolean False; name the trap explicitly.
        if lang is False:
            raise TaxonomyError(f'{where}: {field} has key `no` unquoted; write "no"')
        if not isinstance(lang, str) or lang not in LANGUAGES:
            raise TaxonomyError(f"{where}: {field} language {lang!r} is not one of {LANGUAGES}")
        if not isinstance(value, str) or not value.strip():
            raise TaxonomyError(f"{where}: {field}[{lang}] must be non-empty text")
        out[lang] = value.strip()
    return out


def _parse_scheme(path: Path, position: int) -> Scheme:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise TaxonomyError(f"{path.name}{line}: not valid YAML") from exc
    if not isinstance(raw, dict) or "scheme" not in raw or "concepts" not in raw:
        raise TaxonomyError(f"{path.name}: needs top-level keys `scheme` and `concepts`")
    scheme_id = str(raw["scheme"])
    if path.stem != scheme_id:
        raise TaxonomyError(f"{path.name}: file name must be the scheme id {scheme_id!r}")
    concepts: list[Concept] = []
    for i, item in enumerate(raw["concepts"] or []):
        if not isinstance(item, dict) or "id" not in item:
            raise TaxonomyError(f"{path.name}: concept #{i + 1} has no id")
        cid = str(item["id"])
        where = f"{path.name}: {cid}"
        prefix, _, tail = cid.partition(":")
        if prefix != scheme_id or not _ID_TAIL.match(tail):
            raise TaxonomyError(f"{where}: id must be '{scheme_id}:' followed by [A-Za-z0-9._-]")
        alt_raw = item.get("alt_labels") or {}
        alt: dict[str, tuple[str, ...]] = {}
        for lang, values in alt_raw.items():
            if lang is False or lang not in LANGUAGES:
                raise TaxonomyError(f"{where}: alt_labels language {lang!r} is not valid")
            alt[lang] = tuple(str(v) for v in (values or []))
        mappings = []
        for m in item.get("mappings") or []:
            if not isinstance(m, dict) or "source" not in m or "code" not in m:
                raise TaxonomyError(f"{where}: each mapping needs source and code")
            mappings.append(
                Mapping(str(m["source"]), str(m["code"]), str(m.get("relation", "exact")))
            )
        concepts.append(
            Concept(
                id=cid,
                scheme=scheme_id,
                labels=_texts(item.get("labels"), where, "labels"),
                definitions=_texts(item.get("definition"), where, "definition"),
                alt_labels=alt,
                broader=tuple(str(b) for b in item.get("broader") or []),
                related=tuple(str(r) for r in item.get("related") or []),
                attributes=dict(item.get("attributes") or {}),
                mappings=tuple(mappings),
                position=i,
            )
        )
    return Scheme(
        id=scheme_id,
        version=str(raw.get("version", "0")),
        titles=_texts(raw.get("title"), path.name, "title") or {"en": scheme_id},
        descriptions=_texts(raw.get("description"), path.name, "description"),
        sources=tuple(str(s) for s in raw.get("sources") or []),
        concepts=tuple(concepts),
    )


def _validate(taxonomy: Taxonomy, file_of: dict[str, str]) -> None:
    seen: dict[str, str] = {}
    for scheme in taxonomy.schemes:
        for c in scheme.concepts:
            where = f"{file_of[scheme.id]}: {c.id}"
            if c.id in seen:
                raise TaxonomyError(f"{where}: duplicate id (also in {seen[c.id]})")
            seen[c.id] = file_of[scheme.id]
            if "en" not in c.labels:
                raise TaxonomyError(f"{where}: needs an English label (labels.en)")
            if scheme.id in FULLY_LABELLED_SCHEMES:
                missing = [lang for lang in LANGUAGES if lang not in c.labels]
                if missing:
                    raise TaxonomyError(f"{where}: labels missing for {', '.join(missing)}")
            for m in c.mappings:
                if m.source not in MAPPING_SOURCES:
                    raise TaxonomyError(f"{where}: mapping source {m.source!r} is not known")
                if m.relation not in MAPPING_RELATIONS:
                    raise TaxonomyError(f"{where}: mapping relation {m.relation!r} is not known")
    concepts = taxonomy.by_id()
    for c in concepts.values():
        where = f"{file_of[c.scheme]}: {c.id}"
        for target in c.broader:
            if target not in concepts:
                raise TaxonomyError(f"{where}: broader {target!r} does not exist")
            if concepts[target].scheme != c.scheme:
                raise TaxonomyError(f"{where}: broader {target!r} is in another scheme")
        for target in c.related:
            if target not in concepts:
                raise TaxonomyError(f"{where}: related {target!r} does not exist")
    _check_acyclic(concepts, file_of)
    missing_forms = [cid for cid in REQUIRED_FORM_IDS if cid not in concepts]
    if missing_forms:
        raise TaxonomyError(f"form.yaml: required concepts missing: {', '.join(missing_forms)}")
    _check_mapping_conflicts(taxonomy, file_of)


def _check_acyclic(concepts: dict[str, Concept], file_of: dict[str, str]) -> None:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(cid: str, path: list[str]) -> None:
        if state.get(cid) == 2:
            return
        if state.get(cid) == 1:
            cycle = " -> ".join([*path[path.index(cid) :], cid])
            raise TaxonomyError(f"{file_of[concepts[cid].scheme]}: broader cycle {cycle}")
        state[cid] = 1
        for parent in concepts[cid].broader:
            visit(parent, [*path, cid])
        state[cid] = 2

    for cid in concepts:
        visit(cid, [])


def _check_mapping_conflicts(taxonomy: Taxonomy, file_of: dict[str, str]) -> None:
    # An exact code may denote one concept per scheme; otherwise importers could not resolve it.
    owner: dict[tuple[str, str, str], str] = {}
    for scheme in taxonomy.schemes:
        for c in scheme.concepts:
            for m in c.mappings:
                if m.relation != "exact":
                    continue
                key = (scheme.id, m.source, m.code)
                if key in owner and owner[key] != c.id:
                    raise TaxonomyError(
                        f"{file_of[scheme.id]}: {c.id}: exact mapping {m.source}:{m.code!r} "
                        f"also maps {owner[key]}"
                    )
                owner[key] = c.id
