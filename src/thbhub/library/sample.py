"""The library's sample for `thbhub init --sample` (and so `make run`): the CIA World Factbook's
trafficking-in-persons texts (public domain; DATA_SOURCES.md), 250 documents."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from thbhub.domain.principals import Principal, Role
from thbhub.library import service
from thbhub.storage import Database

SAMPLE_FILE = "factbook_trafficking_in_persons.jsonl"


def sample_path() -> Path:
    return Path(str(resources.files("thbhub.library") / "sample_data" / SAMPLE_FILE))


def load_library_sample(db: Database) -> dict[str, Any]:
    """Import the sample once (a second run finds every record already there)."""
    operator = Principal(role=Role.admin, email="sample", origin="cli")
    options = service.ImportOptions(
        doc_type="doctype:country-report", licence="Public domain (CIA World Factbook)"
    )
    return service.import_documents(db, operator, [sample_path()], options).as_dict()
