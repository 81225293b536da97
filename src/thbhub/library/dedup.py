"""Near-duplicates: MinHash signatures of word 5-shingles.  Two documents whose estimated
Jaccard similarity is at least :data:`THRESHOLD` (the same report twice with a changed cover,
two editions of one text) are linked, not stored as strangers."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

PERMUTATIONS = 64
SHINGLE = 5
THRESHOLD = 0.6
_PRIME = (1 << 61) - 1
_MASK = (1 << 32) - 1
# Fixed coefficients (a seeded generator would do; these are the first values of sha256 of
# the index) so that signatures stored by one process compare with another's.
_COEFFS = [
    (
        int.from_bytes(hashlib.sha256(f"a{i}".encode()).digest()[:8], "big") % _PRIME | 1,
        int.from_bytes(hashlib.sha256(f"b{i}".encode()).digest()[:8], "big") % _PRIME,
    )
    for i in range(PERMUTATIONS)
]
_WORD = re.compile(r"\w+")


def signature(text: str) -> list[int]:
    words = _WORD.findall(text.casefold())
    if len(words) < SHINGLE:
        shingles = {" ".join(words)}
    else:
        shingles = {" ".join(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}
    hashes = [
        int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "big") for s in shingles
    ]
    return [min(((a * h + b) % _PRIME) & _MASK for h in hashes) for a, b in _COEFFS]


def similarity(one: Sequence[int], other: Sequence[int]) -> float:
    if len(one) != len(other) or not one:
        return 0.0
    return sum(1 for x, y in zip(one, other, strict=True) if x == y) / len(one)
