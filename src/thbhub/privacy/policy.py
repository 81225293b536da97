"""The disclosure policy: one set of rules for every output derived from case records."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from math import ceil
from typing import Any

from thbhub.domain.errors import UserError
from thbhub.privacy.cellkey import derive_secret
from thbhub.settings import Settings

#: Dimensions that, combined, could single out a person: the CTDC/HTCDS key variables.
DEFAULT_QUASI_IDENTIFIERS: tuple[str, ...] = ("year", "sex", "age", "citizenship", "country")

ROUNDING_BASES: tuple[int, ...] = (3, 5)


@dataclass(frozen=True)
class DisclosurePolicy:
    """Threshold ``k``, optional rounding and the quasi-identifiers, as one value.

    ``max_table_dims`` bounds the lattice of tables the gate may release: a query's grouping
    dimensions plus its filter dimensions must not exceed it (a filtered table is a slice of
    a lattice table, so filtered queries are protected by the same suppression pattern).
    """

    threshold: int = 5
    rounding_base: int | None = None
    quasi_identifiers: tuple[str, ...] = DEFAULT_QUASI_IDENTIFIERS
    max_table_dims: int = 3
    # Smallest width of the interval an attacker can compute for a suppressed cell from
    # everything published; ``None`` means the threshold itself.
    protection_width: int | None = None
    # The cell key method (privacy/cellkey.py): every published count is moved by at most
    # this much, consistently; ``None`` means the default for the threshold
    # (:func:`default_noise_bound`).  0 turns the noise off (then tables are safe for one data
    # version only); the public tables refuse a bound below :func:`least_noise_bound`.
    noise: int | None = None
    # The key the record keys are derived with (from the deployment's secret key); never
    # shown, never in as_dict().
    cell_key_secret: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.threshold < 2:
            raise UserError(f"disclosure threshold must be at least 2 (got {self.threshold})")
        if self.rounding_base is not None and self.rounding_base not in ROUNDING_BASES:
            raise UserError(
                f"rounding base must be one of {ROUNDING_BASES} or none (got {self.rounding_base})"
            )
        if self.max_table_dims < 1:
            raise UserError("max_table_dims must be at least 1")
        if self.noise is not None and self.noise < 0:
            raise UserError(f"the noise bound must be 0 or more (got {self.noise})")

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> DisclosurePolicy:
        secret = settings.secret_key
        base = cls(
            threshold=settings.disclosure_threshold,
            rounding_base=settings.disclosure_rounding_base,
            noise=settings.disclosure_noise_bound,
            cell_key_secret=None if secret is None else derive_secret(secret.get_secret_value()),
        )
        given = {k: v for k, v in overrides.items() if v is not None}
        if "quasi_identifiers" in given:
            given["quasi_identifiers"] = tuple(given["quasi_identifiers"])
        return replace(base, **given)

    @property
    def width(self) -> int:
        return self.protection_width or self.threshold

    @property
    def noise_bound(self) -> int:
        """D: the most a published count differs from the true one (before rounding)."""
        return default_noise_bound(self.threshold) if self.noise is None else self.noise

    def require_version_safe(self) -> None:
        """Refuse public tables that a visitor holding earlier versions could subtract: no
        deployment secret to key the noise with, or a noise bound below the least one."""
        least = least_noise_bound(self.threshold)
        if self.noise_bound < least:
            raise UserError(
                f"THBHUB_DISCLOSURE_NOISE_BOUND is {self.noise_bound}, below {least}, the least "
                f"that keeps counts 1..{self.threshold - 1} safe across data versions with "
                f"threshold {self.threshold}; nothing is published"
            )
        if self.cell_key_secret is None:
            raise UserError("no secret key to derive record keys from; nothing is published")

    def round(self, count: int) -> int:
        """Round a publishable count to the base (nearest multiple, halves up); 0 stays 0.

        A rounded count never falls below the threshold (6 with k = 6 and base 5 is shown as
        10, not 5): a published number below k would look like a disclosure.
        """
        if self.rounding_base is None or count == 0:
            return count
        b = self.rounding_base
        rounded = ((count + b // 2) // b) * b
        if rounded < self.threshold:
            rounded = -(-self.threshold // b) * b
        return rounded

    def note(self) -> str:
        text = (
            f"Counts from case records below {self.threshold} are suppressed, and further "
            "cells are suppressed so that they cannot be recovered from totals or other tables"
        )
        if self.noise_bound:
            text += (
                f"; every other count is moved by at most {self.noise_bound} either way, the "
                "same way each time for the same records, so that subtracting a table published "
                "before new data from one published after does not give small counts exactly"
            )
        if self.rounding_base:
            text += f"; published counts are rounded to a multiple of {self.rounding_base}"
        return text + "."

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        del d["cell_key_secret"], d["noise"]
        d["noise_bound"] = self.noise_bound
        d["quasi_identifiers"] = list(self.quasi_identifiers)
        d["note"] = self.note()
        return d


def least_noise_bound(threshold: int) -> int:
    """The smallest bound D with which no count 1..k-1 added to a published cell between two
    versions is pinned to 1..k-1 by its two published numbers.  A published p >= k allows
    the true counts max(k, p - D) .. p + D; the tightest case is a cell published as k
    before (true k .. k + D) and as k + 2D + 1 after (true k + D + 1 .. k + 3D + 1): the
    difference lies in 1 .. 3D + 1, which is within 1..k-1 exactly when 3D + 2 <= k
    (docs/privacy.md; tests/privacy/test_versions.py checks every case)."""
    return ceil((threshold - 1) / 3)


def default_noise_bound(threshold: int) -> int:
    """D by default: the least bound, and at least 2 (2 for k = 5)."""
    return max(2, least_noise_bound(threshold))
