"""A count series as the analyses read it: one cell per year, with what the cell means."""

from __future__ import annotations

from dataclasses import dataclass, field

#: Statuses of a cell in a series file (the stored `number` is `value` here).
FILE_STATUSES = ("value", "zero", "missing", "suppressed")


@dataclass(frozen=True)
class Point:
    """One year of a series.

    ``status`` is `value`, `zero`, `missing` or `suppressed`; a value carries ``count``, a
    suppressed cell its inclusive bounds.  ``breaks`` marks a break in series: this year's
    cell is not comparable with the years before it (the source's `break` flag).
    """

    year: int
    status: str
    count: float | None = None
    lower: float | None = None
    upper: float | None = None
    breaks: bool = False

    @property
    def known(self) -> bool:
        """Whether the cell says something about the count (a value, a zero or bounds)."""
        if self.status in ("value", "zero"):
            return True
        return self.status == "suppressed" and self.upper is not None

    def shown(self) -> str:
        """The cell as a reader sees it: `12`, `0`, `fewer than 5`, `0 to 4`."""
        if self.status == "value" and self.count is not None:
            return f"{self.count:g}"
        if self.status == "zero":
            return "0"
        if self.status == "suppressed" and self.upper is not None:
            low = self.lower or 0
            if low == 0:
                return f"fewer than {self.upper + 1:g}"
            return f"{low:g} to {self.upper:g}"
        return "not available"


@dataclass
class Series:
    """A named series: ``key`` identifies it, ``labels`` describe it for a sentence."""

    key: str
    points: list[Point]
    labels: dict[str, str] = field(default_factory=dict)

    def sorted_points(self) -> list[Point]:
        return sorted(self.points, key=lambda p: p.year)


def comparable_stretch(points: list[Point], across_breaks: bool) -> tuple[list[Point], int | None]:
    """The points a trend may be fitted to and the year of the break that cut them (or None).

    Without ``across_breaks`` a trend runs only from the latest break in series on: the
    years before it were counted another way.
    """
    ordered = sorted(points, key=lambda p: p.year)
    if across_breaks:
        return ordered, None
    cut = None
    for p in ordered:
        if p.breaks and p.year != ordered[0].year:
            cut = p.year
    if cut is None:
        return ordered, None
    return [p for p in ordered if p.year >= cut], cut
