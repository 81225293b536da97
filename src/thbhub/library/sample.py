"""The library's sample for `thbhub init --sample` (and so `make run`): the CIA World Factbook's
trafficking-in-persons texts (public domain; DATA_SOURCES.md), 250 documents, and three example
files made from them (a PDF of two pages, a DOCX and an HTML page, each naming its source;
written by scripts/library_examples.py), owned by the demo organisation so that its demo user
sees the publication buttons of the owner."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from thbhub.access.users import find_organisation
from thbhub.cases.sample_importer import DEMO_ORGANISATION
from thbhub.domain.errors import NotFoundError
from thbhub.domain.principals import Principal, Role
from thbhub.library import service
from thbhub.storage import Database

SAMPLE_FILE = "factbook_trafficking_in_persons.jsonl"
LICENCE = "Public domain (CIA World Factbook)"


def sample_path() -> Path:
    return Path(str(resources.files("thbhub.library") / "sample_data" / SAMPLE_FILE))


def examples_path() -> Path:
    return Path(str(resources.files("thbhub.library") / "sample_data" / "examples"))


def load_library_sample(db: Database) -> dict[str, Any]:
    """Import the sample once (a second run finds every record already there)."""
    operator = Principal(role=Role.admin, email="sample", origin="cli")
    options = service.ImportOptions(doc_type="doctype:country-report", licence=LICENCE)
    result = service.import_documents(db, operator, [sample_path()], options).as_dict()
    try:
        with db.connect() as conn:
            owner: str | None = str(find_organisation(conn, DEMO_ORGANISATION)["id"])
    except NotFoundError:
        owner = None  # no demo organisation: the examples are the hub's own
    examples = service.ImportOptions(
        doc_type="doctype:country-report", licence=LICENCE, organisation=owner
    )
    found = service.import_documents(db, operator, [examples_path()], examples)
    result["examples"] = found.as_dict()
    return result
