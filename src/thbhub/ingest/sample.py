"""Load the bundled real sample data (see DATA_SOURCES.md) into a database, idempotently."""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from thbhub.ingest.registry import Progress, importers, no_progress
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.sources import register_source


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


def load_sample(
    db: Database, settings: Settings, progress: Progress = no_progress
) -> list[dict[str, Any]]:
    """Register every bundled source and import it where its importer exists.

    Running it twice changes nothing: sources are keyed by checksum and importers skip a
    file they have already imported.
    """
    available = importers()
    results = []
    for entry in sample_manifest():
        path = sample_dir() / entry["file"]
        meta = {**entry["source"], "checksum": file_checksum(path), "file_name": entry["file"]}
        importer = available.get(entry["importer"])
        if importer is None:
            with db.begin() as conn:
                _, created = register_source(conn, meta)
            results.append({"file": entry["file"], "registered": created, "imported": None})
            continue
        summary = importer.run(db, settings, path, source=meta, progress=progress)
        results.append({"file": entry["file"], "registered": True, "imported": summary.as_dict()})
    return results
