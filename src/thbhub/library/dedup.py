"""Near-duplicates: bottom-k MinHash sketches of word 5-shingles.  Two documents whose
estimated Jaccard similarity is at least :data:`THRESHOLD` (the same report twice with a
changed cover, two editions of one text) are linked, not stored as strangers.

A bottom-k sketch keeps the k smallest hash values of a document's shingles: one hash per
shingle (not one per shingle and permutation), so a sketch costs little more than reading the
text; the Jaccard estimate is the share of the k smallest values of the union found in both."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

K = 64
SHINGLE = 5
THRESHOLD = 0.6
_WORD = re.compile(r"\w+")


def signature(text: str) -> list[int]:
    words = _WORD.findall(text.casefold())
    if len(words) < SHINGLE:
        shingles = {" ".join(words)}
    else:
        shingles = {" ".join(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}
    # 52 bits: exact in JSON numbers and in every backend's JSON type.
    hashes = {
        int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "big") >> 12
        for s in shingles
    }
    return sorted(hashes)[:K]


def similarity(one: Sequence[int], other: Sequence[int]) -> float:
    if not one or not other:
        return 0.0
    a, b = set(one), set(other)
    union = sorted(a | b)[:K]
    return sum(1 for h in union if h in a and h in b) / len(union)


class SketchIndex:
    """Sketches by hash value: a new document is compared only with those sharing at least
    :data:`MIN_SHARED` of its values (a pair at Jaccard >= 0.6 shares far more), not with all."""

    MIN_SHARED = 12

    def __init__(self) -> None:
        self._by_value: dict[int, list[int]] = {}
        self._sketches: dict[int, list[int]] = {}

    def add(self, doc_id: int, sketch: Sequence[int]) -> None:
        self._sketches[doc_id] = list(sketch)
        for value in sketch:
            self._by_value.setdefault(value, []).append(doc_id)

    def near(self, sketch: Sequence[int]) -> list[tuple[int, float]]:
        shared: dict[int, int] = {}
        for value in sketch:
            for doc_id in self._by_value.get(value, ()):
                shared[doc_id] = shared.get(doc_id, 0) + 1
        out = []
        for doc_id, count in shared.items():
            if count >= min(self.MIN_SHARED, len(sketch)):
                sim = similarity(sketch, self._sketches[doc_id])
                if sim >= THRESHOLD:
                    out.append((doc_id, round(sim, 3)))
        return sorted(out)
