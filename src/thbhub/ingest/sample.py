"""The bundled real sample data (see DATA_SOURCES.md): where it is and what it holds.

Loading it into a database is `thbhub.demo.load_sample`, a whole-hub step beside `init`.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path
from typing import Any

import yaml


def sample_dir() -> Path:
    return Path(str(resources.files("thbhub.ingest") / "sample_data"))


def file_checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sample_manifest() -> list[dict[str, Any]]:
    raw = yaml.safe_load((sample_dir() / "manifest.yaml").read_text(encoding="utf-8"))
    return list(raw["files"])


def sample_checksums() -> set[str]:
    """The checksums of the bundled files, as their sources are registered."""
    return {file_checksum(sample_dir() / e["file"]) for e in sample_manifest()}
