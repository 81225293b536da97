"""The importer registry: a new source format is one module that registers itself here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from thbhub.domain.errors import UserError
from thbhub.settings import Settings
from thbhub.storage import Database

#: Called as progress(done, total) while an importer works; total may be None if unknown.
Progress = Callable[[int, int | None], None]


def no_progress(_done: int, _total: int | None) -> None:
    return None


@dataclass
class ImportSummary:
    importer: str
    file: str
    rows_read: int = 0
    rows_stored: int = 0
    unchanged: bool = False  # the same file was imported before: nothing was written
    by_status: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "importer": self.importer,
            "file": self.file,
            "rows_read": self.rows_read,
            "rows_stored": self.rows_stored,
            "unchanged": self.unchanged,
            "by_status": dict(self.by_status),
            "notes": list(self.notes),
        }


class Importer(Protocol):
    """Reads one source format into the hub in a single transaction."""

    name: str
    description: str

    def run(
        self,
        db: Database,
        settings: Settings,
        path: Path,
        *,
        source: dict[str, Any] | None = None,
        progress: Progress = no_progress,
        options: dict[str, Any] | None = None,
    ) -> ImportSummary: ...


_REGISTRY: dict[str, Importer] = {}


def register(importer: Importer) -> Importer:
    _REGISTRY[importer.name] = importer
    return importer


def get_importer(name: str) -> Importer:
    _load_builtin()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise UserError(f"no importer {name!r}; known importers: {known}") from None


def importers() -> dict[str, Importer]:
    _load_builtin()
    return dict(_REGISTRY)


def _load_builtin() -> None:
    # Importing the modules registers them; kept lazy so that `thbhub --help` stays fast.
    from thbhub.ingest import builtin  # noqa: F401
