"""Precision, recall and F1 of the tagger's forms of exploitation against a labelled check set
(JSONL: ``text`` and the ``forms`` a reader found stated in it).  A narrower form found counts
for its nearest evaluated ancestor ("forced prostitution" is sexual exploitation)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from thbhub.library import tagger

EVALUATED = (
    "form:sexual-exploitation",
    "form:labour-exploitation",
    "form:domestic-servitude",
    "form:forced-begging",
    "form:forced-criminality",
    "form:forced-marriage",
    "form:child-soldiering",
    "form:organ-removal",
)


def _rollup() -> dict[str, str]:
    broader = {c.id: c.broader for c in tagger.taxonomy().concepts()}
    out: dict[str, str] = {}
    for cid in broader:
        seen, current = set(), cid
        while current not in EVALUATED and current not in seen:
            seen.add(current)
            parents = broader.get(current, ())
            if not parents:
                break
            current = parents[0]
        if current in EVALUATED:
            out[cid] = current
    return out


def predicted_forms(text: str) -> set[str]:
    rollup = _rollup()
    return {rollup[t.concept_id] for t in tagger.tag([(None, text)]) if t.concept_id in rollup}


def evaluate(records: Iterable[dict[str, Any]]) -> dict[str, Any]:
    counts = {f: {"tp": 0, "fp": 0, "fn": 0} for f in EVALUATED}
    for record in records:
        gold, found = set(record["forms"]), predicted_forms(record["text"])
        for f in EVALUATED:
            key = (
                "tp"
                if f in gold and f in found
                else "fp"
                if f in found
                else "fn"
                if f in gold
                else None
            )
            if key:
                counts[f][key] += 1
    per_form = {}
    for f, c in counts.items():
        if not (c["tp"] or c["fn"] or c["fp"]):
            continue
        p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
        r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        per_form[f] = {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f1, 3), **c}
    macro = sum(v["f1"] for v in per_form.values()) / len(per_form) if per_form else 0.0
    return {"per_form": per_form, "macro_f1": round(macro, 3)}


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
