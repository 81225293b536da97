"""Loading the bundled real sample data (see DATA_SOURCES.md): a whole-hub service beside
`init`, above the areas it feeds.

The statistics files go through their importers (ingest); the CTDC case records go into a
demo organisation (cases), are published (access) and the organisation's gated tables are
opened to the public (privacy).  Doing that here, rather than as an importer registered in
ingest, keeps the areas' imports pointing one way (ingest <- cases <- privacy, no circle).

The CTDC demo records are owned by the organisation the manifest names (created if missing,
as a partner), so that `make run` shows the case views.  The records are raw and owner-only
like any other; the loader then publishes the import, acting as the system (submitted as the
owner, published as an admin, both audited as ``system:sample-loader``), and opts the
organisation in to the public gated tables.  A file a user uploads stays draft until its
owner submits it and an admin publishes it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from thbhub.cases import service
from thbhub.cases.publication import publish_sample_once
from thbhub.cases.sample_importer import DEMO_ORGANISATION, LOADER, NOTE
from thbhub.domain.principals import Principal, Role
from thbhub.estimation.linkage_sample import load_linkage_sample
from thbhub.ingest.registry import ImportSummary, Progress, importers, no_progress
from thbhub.ingest.sample import file_checksum, sample_dir, sample_manifest
from thbhub.library.sample import load_library_sample
from thbhub.plan.sample import load_plan_sample
from thbhub.privacy.public import set_published
from thbhub.reports.sample import load_reports_sample
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.cases import add_organisation, import_by_checksum, organisation_id
from thbhub.storage.sources import register_source

#: The manifest's name for the case-record entry (not an ingest importer: see above).
DEMO_CASES = "ctdc-cases"


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
        if entry["importer"] == DEMO_CASES:
            summary = load_demo_cases(
                db, settings, path, meta, entry.get("options") or {}, progress
            )
            results.append(
                {"file": entry["file"], "registered": True, "imported": summary.as_dict()}
            )
            continue
        importer = available.get(entry["importer"])
        if importer is None:
            with db.begin() as conn:
                _, created = register_source(conn, meta)
            results.append({"file": entry["file"], "registered": created, "imported": None})
            continue
        summary = importer.run(db, settings, path, source=meta, progress=progress)
        results.append({"file": entry["file"], "registered": True, "imported": summary.as_dict()})
    load_plan_sample(db)  # the plan monitor's example portfolio (thbhub.plan.sample)
    load_library_sample(db)  # the library's documents (not a statistics source)
    load_linkage_sample(db, settings)  # an EXAMPLE linkage project of synthetic persons
    load_reports_sample(db, settings)  # an EXAMPLE secretariat's text in Latvia's profile
    return results


def load_demo_cases(
    db: Database,
    settings: Settings,
    path: Path,
    source: dict[str, Any] | None = None,
    options: dict[str, Any] | None = None,
    progress: Progress = no_progress,
) -> ImportSummary:
    """The bundled CTDC rows into the demo organisation, published; idempotent."""
    org_name = (options or {}).get("organisation", DEMO_ORGANISATION)
    summary = ImportSummary(importer=DEMO_CASES, file=path.name)
    with db.begin() as conn:
        if source:
            register_source(conn, source)
        org = organisation_id(conn, org_name)
        if org is None:
            org = add_organisation(conn, org_name, kind="partner")
        checksum = (source or {}).get("checksum")
        earlier = import_by_checksum(conn, org, checksum) if checksum else None
        done = earlier["id"] if earlier is not None else None
    if done is not None:
        summary.unchanged = True
        # A database from before imports were published (cases_0005) has it as draft.
        if _publish_once(db, org, int(done)):
            summary.notes.append(f"published the demo import {done} (as the system)")
        return summary
    owner = _system(Role.contributor, org)
    result = service.import_cases(db, settings, owner, path, org, fmt="ctdc", quarantine=True)
    _publish_once(db, org, result["import_id"])
    # The demo organisation publishes its gated tables, so `make run` shows them publicly
    # (/statistics/case-records); the records themselves stay owner-only.
    set_published(db, owner, org, True)
    progress(result["rows_read"], result["rows_read"])
    summary.rows_read = result["rows_read"]
    summary.rows_stored = result["rows_stored"]
    summary.notes = list(result["notes"])
    return summary


def _system(role: Role, org: int) -> Principal:
    return Principal(role=role, email=LOADER, organisation_id=org, origin="cli")


def _publish_once(db: Database, org: int, import_id: int) -> bool:
    return publish_sample_once(db, org, import_id, loader=LOADER, note=NOTE)
