"""The published results in ../shared/data/mse/README.md, read from the file (so that a
change there changes what the tests expect) — tests that need them skip without it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "mse"
_ROW = re.compile(r"^\|\s*`(?P<file>[^`]+)`\s*\|(?P<method>[^|]*)\|(?P<est>[^|]*)\|(?P<ci>[^|]*)\|")
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


@dataclass(frozen=True)
class Published:
    file: str
    method: str
    estimate: float | None
    low: float | None
    high: float | None
    interval_kind: str


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def published() -> list[Published]:
    readme = SHARED / "README.md"
    if not readme.exists():
        pytest.skip(f"{readme} is not here (the shared data folder is absent)")
    text = readme.read_text(encoding="utf-8")
    section = text.split("## Published and reference results", 1)[1]
    out = []
    for line in section.splitlines():
        match = _ROW.match(line)
        if not match:
            continue
        est_text = match["est"].strip()
        # "1184 (1183.7 unrounded)": the unrounded value in brackets when given.
        inner = re.search(r"\(([\d.,]+)", est_text)
        numbers = _NUMBER.findall(est_text)
        estimate = _number(inner.group(1)) if inner else (_number(numbers[0]) if numbers else None)
        ci_numbers = _NUMBER.findall(match["ci"].split("(")[0])
        low = _number(ci_numbers[0]) if len(ci_numbers) >= 2 else None
        high = _number(ci_numbers[1]) if len(ci_numbers) >= 2 else None
        out.append(
            Published(match["file"], match["method"].strip(), estimate, low, high, match["ci"])
        )
    assert out, "no result rows parsed from the shared README"
    return out


def shared_file(name: str) -> Path:
    path = SHARED / name
    if not path.exists():
        pytest.skip(f"{path} is not here (the shared data folder is absent)")
    return path
