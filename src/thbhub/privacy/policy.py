"""The disclosure policy: one set of rules for every output derived from case records."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from thbhub.domain.errors import UserError
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

    def __post_init__(self) -> None:
        if self.threshold < 2:
            raise UserError(f"disclosure threshold must be at least 2 (got {self.threshold})")
        if self.rounding_base is not None and self.rounding_base not in ROUNDING_BASES:
            raise UserError(
                f"rounding base must be one of {ROUNDING_BASES} or none (got {self.rounding_base})"
            )
        if self.max_table_dims < 1:
            raise UserError("max_table_dims must be at least 1")

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> DisclosurePolicy:
        base = cls(
            threshold=settings.disclosure_threshold,
            rounding_base=settings.disclosure_rounding_base,
        )
        given = {k: v for k, v in overrides.items() if v is not None}
        if "quasi_identifiers" in given:
            given["quasi_identifiers"] = tuple(given["quasi_identifiers"])
        return replace(base, **given)

    @property
    def width(self) -> int:
        return self.protection_width or self.threshold

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
        if self.rounding_base:
            text += f"; published counts are rounded to a multiple of {self.rounding_base}"
        return text + "."

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["quasi_identifiers"] = list(self.quasi_identifiers)
        d["note"] = self.note()
        return d
