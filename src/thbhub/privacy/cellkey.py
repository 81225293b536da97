"""The cell key method: consistent, bounded noise on every published count.

Suppression alone protects one data version.  Someone who saved the public tables before a
publication and reads them again after subtracts the two: a cell shown as 16 and then 17
says that exactly one new record went into it (issue 13).  The cell key method (used by the
Australian Bureau of Statistics' TableBuilder and for the EU's 2021 census tables; read,
not copied) adds to every published count a small noise that is

* *bounded*: at most ``D`` (:attr:`DisclosurePolicy.noise_bound`) either way;
* *consistent*: a function of the records behind the cell, so the same records always give
  the same published number, in every table, query and data version, and asking again
  averages nothing away;
* *fresh when the records change*: one record more or less behind a cell gives it a new,
  unpredictable noise, so the difference between two versions is the true difference plus
  the difference of two independent noises.

How: each record gets a *record key*, a number in [0, 2^32) from a keyed hash (BLAKE2b with
a key derived from the deployment's secret) of the record's values over the lattice's
dimensions and its rank among the records with exactly those values (the first, second,
... such record).  The key of a cell is the sum of its records' keys modulo 2^32, and a
*perturbation table* (:func:`noise`) turns (count, cell key) into the noise.  Keys from the
record's values rather than its database id keep the promise through re-imports: withdrawing
a record and importing the same values again restores the same keys, so it cannot be used
to draw a second noise for the same count.  Without the secret the keys, and so the noises,
cannot be predicted.

The perturbation table (docs/privacy.md): a count 0 stays 0 (no records, no key); counts
1..k-1 are never published (the gate suppresses them before this); a count n >= k is
published as n + e, e uniform on the integers from max(-D, k - n) to D, chosen by the cell
key: never below k, never more than D away.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from thbhub.privacy.policy import DisclosurePolicy

#: Cell keys are integers modulo this (a 32-bit fraction of the unit interval).
MODULUS = 2**32
#: Used when a policy has no secret (unit tests, ad hoc frames without a deployment): the
#: noise is then predictable by anyone who reads this file, which the public tables refuse.
UNKEYED = b"thbhub cell key: no deployment secret"


def derive_secret(deployment_secret: str) -> bytes:
    """The cell-key secret from the deployment's secret key (a separate purpose, so the
    record keys reveal nothing about the key that signs sessions or pseudonyms)."""
    return hashlib.blake2b(
        deployment_secret.encode("utf-8"), person=b"thbhub-cellkey", digest_size=32
    ).digest()


def joint_keys(joint: pl.DataFrame, dims: Sequence[str], secret: bytes | None) -> pl.Series:
    """For each cell of the joint table (columns ``dims`` as text and ``n``), the sum of its
    ``n`` records' keys modulo :data:`MODULUS`: the record key of the i-th record with
    values v is a keyed hash of (dimension names, v, i)."""
    key = (secret or UNKEYED)[:64]
    out = []
    names = [d.encode("utf-8") for d in dims]
    for row in joint.select([*dims, "n"]).iter_rows():
        values = b"\x1f".join(
            name + b"=" + str(v).encode("utf-8") for name, v in zip(names, row[:-1], strict=True)
        )
        total = 0
        for i in range(int(row[-1])):
            digest = hashlib.blake2b(values + b"\x1e%d" % i, key=key, digest_size=4).digest()
            total += int.from_bytes(digest, "big")
        out.append(total % MODULUS)
    return pl.Series("ck", out, dtype=pl.Int64)


def support(count: int, threshold: int, bound: int) -> range:
    """The noises a count n >= k can get: max(-D, k - n) .. D (never published below k)."""
    return range(max(-bound, threshold - count), bound + 1)


def noise(count: int, cell_key: int, threshold: int, bound: int) -> int:
    """The perturbation table: the noise for a publishable count and its cell key, uniform
    over :func:`support` as the key runs over [0, 2^32)."""
    if count == 0 or bound == 0:
        return 0
    if count < threshold:
        raise ValueError("counts below the threshold are suppressed, never perturbed")
    values = support(count, threshold, bound)
    return values[cell_key * len(values) // MODULUS]


def possible_counts(published: int, policy: DisclosurePolicy) -> list[int]:
    """Every true count that can be published as ``published`` under ``policy`` (noise,
    then rounding): what anyone who knows the perturbation table (it is public) learns
    from one published number."""
    if published == 0:
        return [0]
    k, bound, base = policy.threshold, policy.noise_bound, policy.rounding_base or 1
    window = range(max(k, published - bound - base), published + bound + base + 1)
    return [
        n for n in window if any(policy.round(n + e) == published for e in support(n, k, bound))
    ]
