"""Groups and filters of insights: ``form=form:labour-exploitation``, ``sex=sex:male``,
``citizenship=UA`` ... turned into the lattices' dimensions and categories."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from thbhub.domain.errors import UserError
from thbhub.insights.lattices import FORMS, TOPICS

#: What a group or a filter may name (``form`` stands for the four released form flags).
GROUP_DIMENSIONS: tuple[str, ...] = (
    "form",
    "year",
    "sex",
    "age",
    "citizenship",
    "country",
    *TOPICS,
)
FORM_VALUES: dict[str, str] = {
    "form:" + f.removeprefix("form_").replace("_", "-"): f for f in FORMS
}


def parse(spec: str | Iterable[str] | None) -> dict[str, str]:
    """``"dim=value,dim=value"`` (or several such strings) as lattice coordinates."""
    items: list[str] = []
    for part in [spec] if isinstance(spec, str) else list(spec or []):
        items += [p.strip() for p in (part or "").split(",") if p.strip()]
    out: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            raise UserError(f"{item!r}: write a group or filter as dimension=value")
        dim, value = (s.strip() for s in item.split("=", 1))
        if dim not in GROUP_DIMENSIONS:
            raise UserError(f"unknown dimension {dim!r}; choose from {', '.join(GROUP_DIMENSIONS)}")
        if not value:
            raise UserError(f"{dim}= needs a value")
        if dim == "form":
            key = value if value.startswith("form:") else f"form:{value}"
            if key not in FORM_VALUES:
                raise UserError(
                    f"form {value!r} is not one of the released forms: {', '.join(FORM_VALUES)}"
                )
            dim, value = FORM_VALUES[key], "yes"
        elif dim in ("citizenship", "country") and ":" not in value:
            value = f"country:{value.upper()}"
        elif dim in ("sex", "age", "means", "sector", "recruiter") and ":" not in value:
            value = f"{dim}:{value}"
        if dim in out and out[dim] != value:
            raise UserError(f"{dim} is given twice")
        out[dim] = value
    return out


def describe(coords: Mapping[str, str]) -> str:
    """A group's coordinates as the user wrote them."""
    parts = []
    for d, v in coords.items():
        if d in FORMS:
            parts.append(f"form=form:{d.removeprefix('form_').replace('_', '-')}")
        else:
            parts.append(f"{d}={v}")
    return ",".join(parts) or "all records"


def as_spec(coords: Mapping[str, str]) -> list[str]:
    return [p for p in describe(coords).split(",") if "=" in p]
