"""The `ctdc-cases` importer of the bundled sample: real CTDC rows into a demo organisation.

The bundled file is the CTDC global dataset's rows whose country of exploitation is a CBSS
member state (579 rows, unchanged).  They are owned by the organisation named in the
manifest's options (created if missing, as a partner), so that `make run` shows the case
views; the records stay draft and owner-only like any other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from thbhub.cases import service
from thbhub.domain.principals import Principal, Role
from thbhub.ingest.registry import ImportSummary, Progress, no_progress, register
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.cases import add_organisation, organisation_id
from thbhub.storage.schema_cases import case_imports
from thbhub.storage.sources import register_source

DEMO_ORGANISATION = "CTDC global dataset (demo)"


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
            done = conn.execute(
                select(case_imports.c.id).where(
                    case_imports.c.organisation_id == org, case_imports.c.checksum == checksum
                )
            ).first()
        if done is not None:
            summary.unchanged = True
            return summary
        loader = Principal(
            role=Role.contributor, email="sample-loader", organisation_id=org, origin="cli"
        )
        result = service.import_cases(db, settings, loader, path, org, fmt="ctdc", quarantine=True)
        # The demo organisation publishes its gated tables, so `make run` shows them publicly
        # (/statistics/case-records); the records themselves stay draft and owner-only.
        from thbhub.privacy.public import set_published

        set_published(db, loader, org, True)
        progress(result["rows_read"], result["rows_read"])
        summary.rows_read = result["rows_read"]
        summary.rows_stored = result["rows_stored"]
        summary.notes = list(result["notes"])
        return summary


register(CtdcCasesImporter())
