"""Imports point downward (issue 12, section 4): ingest knows nothing of case records,
privacy or access; cases know nothing of privacy.  Loading the demo data, which needs all of
them, lives above them beside `init` (thbhub.demo)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import thbhub

SRC = Path(thbhub.__file__).parent
#: area -> areas it must never import (directly or lazily inside a function)
FORBIDDEN = {
    "ingest": ("cases", "privacy", "access", "analytics", "web", "cli", "hub", "demo"),
    "stats": ("cases", "privacy", "access", "web", "cli", "hub", "demo"),
    "cases": ("privacy", "web", "cli", "hub", "demo"),
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_lower_areas_never_import_higher_ones() -> None:
    wrong = []
    for area, forbidden in FORBIDDEN.items():
        for path in sorted((SRC / area).rglob("*.py")):
            for module in _imports(path):
                parts = module.split(".")
                if parts[0] == "thbhub" and len(parts) > 1 and parts[1] in forbidden:
                    wrong.append(f"{path.relative_to(SRC)} imports {module}")
    assert wrong == []


def test_loading_the_importers_loads_no_case_or_privacy_code() -> None:
    code = (
        "import sys; from thbhub.ingest.registry import importers; names = sorted(importers()); "
        "print(names); print(sorted(m for m in sys.modules "
        "if m.startswith(('thbhub.cases', 'thbhub.privacy', 'thbhub.access'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out == ["['csv', 'eurostat', 'glotip']", "[]"]
