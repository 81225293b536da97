"""Queries over the taxonomy tables."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from thbhub.domain.concepts import Taxonomy
from thbhub.storage.schema import (
    concept_links,
    concept_mappings,
    concept_schemes,
    concept_texts,
    concepts,
)


def sync_taxonomy(conn: Connection, taxonomy: Taxonomy) -> dict[str, int]:
    """Make the stored taxonomy equal to ``taxonomy``; returns counts of what changed.

    Concept rows are upserted, never deleted: rows elsewhere may be tagged with them.  A
    concept no longer in the files is marked deprecated.  Texts, links and mappings are
    replaced wholesale, since nothing references them.
    """
    existing_schemes = set(conn.scalars(select(concept_schemes.c.id)))
    for pos, s in enumerate(taxonomy.schemes):
        values = {
            "version": s.version,
            "titles": s.titles,
            "descriptions": s.descriptions,
            "sources": list(s.sources),
            "position": pos,
        }
        if s.id in existing_schemes:
            conn.execute(update(concept_schemes).where(concept_schemes.c.id == s.id), values)
        else:
            conn.execute(insert(concept_schemes), {"id": s.id, **values})

    existing = set(conn.scalars(select(concepts.c.id)))
    wanted = taxonomy.by_id()
    new_rows: list[dict[str, Any]] = []
    changed_rows: list[dict[str, Any]] = []
    for c in wanted.values():
        row = {
            "id": c.id,
            "scheme_id": c.scheme,
            "label_en": c.labels["en"],
            "attributes": c.attributes,
            "position": c.position,
            "deprecated": False,
        }
        (changed_rows if c.id in existing else new_rows).append(row)
    if new_rows:
        conn.execute(insert(concepts), new_rows)
    for row in changed_rows:
        conn.execute(update(concepts).where(concepts.c.id == row["id"]), row)
    gone = existing - wanted.keys()
    if gone:
        conn.execute(update(concepts).where(concepts.c.id.in_(gone)), {"deprecated": True})

    conn.execute(delete(concept_texts))
    conn.execute(delete(concept_links))
    conn.execute(delete(concept_mappings))
    texts, links, maps = [], [], []
    for c in wanted.values():
        for lang, label in c.labels.items():
            texts.append(
                {"concept_id": c.id, "lang": lang, "kind": "pref", "seq": 0, "text": label}
            )
        for lang, definition in c.definitions.items():
            texts.append(
                {
                    "concept_id": c.id,
                    "lang": lang,
                    "kind": "definition",
                    "seq": 0,
                    "text": definition,
                }
            )
        for lang, alts in c.alt_labels.items():
            for seq, alt in enumerate(alts):
                texts.append(
                    {"concept_id": c.id, "lang": lang, "kind": "alt", "seq": seq, "text": alt}
                )
        links += [{"concept_id": c.id, "relation": "broader", "target_id": t} for t in c.broader]
        links += [{"concept_id": c.id, "relation": "related", "target_id": t} for t in c.related]
        seen = set()
        for m in c.mappings:
            if (m.source, m.code) in seen:
                continue
            seen.add((m.source, m.code))
            maps.append(
                {"concept_id": c.id, "source": m.source, "code": m.code, "relation": m.relation}
            )
    for table, rows in ((concept_texts, texts), (concept_links, links), (concept_mappings, maps)):
        if rows:
            conn.execute(insert(table), rows)
    return {"concepts_added": len(new_rows), "concepts_deprecated": len(gone)}


def scheme_rows(conn: Connection) -> list[dict[str, Any]]:
    counts: dict[str, int] = dict(
        conn.execute(
            select(concepts.c.scheme_id, func.count())
            .where(concepts.c.deprecated.is_(False))
            .group_by(concepts.c.scheme_id)
        ).all()
    )
    rows = conn.execute(select(concept_schemes).order_by(concept_schemes.c.position)).mappings()
    return [{**dict(r), "concepts": counts.get(r["id"], 0)} for r in rows]


def concept_rows(conn: Connection, scheme: str | None = None) -> list[dict[str, Any]]:
    q = select(concepts).where(concepts.c.deprecated.is_(False))
    if scheme:
        q = q.where(concepts.c.scheme_id == scheme)
    q = q.order_by(concepts.c.scheme_id, concepts.c.position)
    rows = [dict(r) for r in conn.execute(q).mappings()]
    broader = _links_by_concept(conn, "broader", [r["id"] for r in rows] if scheme else None)
    for r in rows:
        r["broader"] = broader.get(r["id"], [])
    return rows


def _links_by_concept(
    conn: Connection, relation: str, ids: list[str] | None
) -> dict[str, list[str]]:
    q = select(concept_links.c.concept_id, concept_links.c.target_id).where(
        concept_links.c.relation == relation
    )
    if ids is not None:
        q = q.where(concept_links.c.concept_id.in_(ids))
    out: dict[str, list[str]] = defaultdict(list)
    for cid, target in conn.execute(q):
        out[cid].append(target)
    return out


def concept_detail(conn: Connection, concept_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(concepts).where(concepts.c.id == concept_id)).mappings().first()
    if row is None:
        return None
    detail: dict[str, Any] = dict(row)
    texts = conn.execute(
        select(concept_texts)
        .where(concept_texts.c.concept_id == concept_id)
        .order_by(concept_texts.c.kind, concept_texts.c.lang, concept_texts.c.seq)
    ).mappings()
    detail["labels"], detail["definitions"], detail["alt_labels"] = {}, {}, {}
    for t in texts:
        if t["kind"] == "pref":
            detail["labels"][t["lang"]] = t["text"]
        elif t["kind"] == "definition":
            detail["definitions"][t["lang"]] = t["text"]
        else:
            detail["alt_labels"].setdefault(t["lang"], []).append(t["text"])
    label = concepts.c.label_en
    detail["broader"] = _linked(conn, concept_links.c.concept_id, concept_id, "broader", label)
    detail["narrower"] = _linked(conn, concept_links.c.target_id, concept_id, "broader", label)
    detail["related"] = _linked(conn, concept_links.c.concept_id, concept_id, "related", label)
    detail["mappings"] = [
        dict(m)
        for m in conn.execute(
            select(concept_mappings.c.source, concept_mappings.c.code, concept_mappings.c.relation)
            .where(concept_mappings.c.concept_id == concept_id)
            .order_by(concept_mappings.c.source, concept_mappings.c.code)
        ).mappings()
    ]
    return detail


def _linked(
    conn: Connection, side: Any, concept_id: str, relation: str, label: Any
) -> list[dict[str, str]]:
    other = (
        concept_links.c.target_id
        if side is concept_links.c.concept_id
        else concept_links.c.concept_id
    )
    q = (
        select(other.label("id"), label.label("label"))
        .join(concepts, concepts.c.id == other)
        .where(side == concept_id, concept_links.c.relation == relation)
        .order_by(concepts.c.position)
    )
    return [dict(r) for r in conn.execute(q).mappings()]


def mapping_index(conn: Connection, source: str) -> dict[str, list[str]]:
    """code -> concept ids, for an importer resolving one source's codes."""
    out: dict[str, list[str]] = defaultdict(list)
    q = select(concept_mappings.c.code, concept_mappings.c.concept_id).where(
        concept_mappings.c.source == source
    )
    for code, cid in conn.execute(q):
        out[code].append(cid)
    return dict(out)


def concept_labels(conn: Connection, ids: Iterable[str]) -> dict[str, str]:
    """id -> English label for the given concept ids (unknown ids are left out)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    q = select(concepts.c.id, concepts.c.label_en).where(concepts.c.id.in_(wanted))
    return {r[0]: r[1] for r in conn.execute(q)}
