"""The `ctdc-cases` importer of the bundled sample: real CTDC rows into a demo organisation.

The bundled file is the CTDC global dataset's rows whose country of exploitation is a CBSS
member state (579 rows, unchanged).  They are owned by the organisation named in the
manifest's options (created if missing, as a partner), so that `make run` shows the case
views.  The records are raw and owner-only like any other; the loader then publishes the
import, acting as the system (submitted as the owner, published as an admin, both audited as
``system:sample-loader``), and opts the organisation in to the public gated tables, so that
`make run` shows those with real data.  A file a user uploads stays draft until its owner
submits it and an admin publishes it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from thbhub.access.publication import history, transition
from thbhub.cases import service
from thbhub.domain.principals import Principal, Role
from thbhub.ingest.registry import ImportSummary, Progress, no_progress, register
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.cases import add_organisation, import_by_checksum, organisation_id
from thbhub.storage.schema_cases import CASE_IMPORT, case_imports
from thbhub.storage.sources import register_source

DEMO_ORGANISATION = "CTDC global dataset (demo)"
#: Who the audit log and the publication history name for the loader's actions.
LOADER = "system:sample-loader"
NOTE = "bundled sample data, published by `thbhub init --sample`"


class CtdcCasesImporter:
    name = "ctdc-cases"
    description = "CTDC case records (global dataset layout) into a demo organisation"

    def run(
        self,
        db: Database,
        settings: Settings,
        path: Path,
        *,
        source: dict[str, Any] | None = None,
        progress: Progress = no_progress,
        options: dict[str, Any] | None = None,
    ) -> ImportSummary:
        org_name = (options or {}).get("organisation", DEMO_ORGANISATION)
        summary = ImportSummary(importer=self.name, file=path.name)
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
        from thbhub.privacy.public import set_published

        set_published(db, owner, org, True)
        progress(result["rows_read"], result["rows_read"])
        summary.rows_read = result["rows_read"]
        summary.rows_stored = result["rows_stored"]
        summary.notes = list(result["notes"])
        return summary


def _system(role: Role, org: int) -> Principal:
    return Principal(role=role, email=LOADER, organisation_id=org, origin="cli")


def _publish_once(db: Database, org: int, import_id: int) -> bool:
    """Submit and publish the demo import if it never moved: later runs leave a withdrawal
    or a send-back by a person as it is.  True if it was published now."""
    owner = _system(Role.contributor, org)
    if history(db, owner, CASE_IMPORT, import_id)["events"]:
        return False
    with db.begin() as conn:  # both moves or neither
        transition(conn, owner, case_imports, import_id, "submitted", note=NOTE)
        transition(conn, _system(Role.admin, org), case_imports, import_id, "published", note=NOTE)
    return True


register(CtdcCasesImporter())
