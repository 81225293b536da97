"""The reports' sample for `thbhub init --sample` (and so `make run`): one published example
text in Latvia's country profile, written by an EXAMPLE secretariat organisation, so that a
newcomer sees how an analyst's prose and its live figures (``{{ victims LV 2020 }}``) appear
on the page and in the PDF.  The text says it is an example; its numbers are filled from the
stored statistics each time the report is built, never typed in."""

from __future__ import annotations

from typing import Any

from thbhub.domain.errors import UserError
from thbhub.domain.principals import Principal, Role
from thbhub.privacy.public import ProtectedTables
from thbhub.reports.narrative_edit import add_block
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage import narrative as q
from thbhub.storage.cases import add_organisation, organisation_id

ORGANISATION = "EXAMPLE Secretariat (synthetic)"
AUTHOR = "system:sample-loader"
REPORT, SECTION = "country:LV", "victims"
TEXT = (
    "*Example text written for the demo, not a statement of the CBSS.* "
    "Latvia's authorities identified {{ victims LV 2020 }} victims of trafficking in 2020, "
    "{{ rate LV 2020 }} per 100,000 inhabitants. The figures in this sentence are read "
    "from the stored statistics whenever the report is built; an analyst who writes them "
    "is told when a new release changes them."
)


def load_reports_sample(
    db: Database, settings: Settings, tables: ProtectedTables | None = None
) -> dict[str, Any]:
    """Write the example text once; a second run finds it and changes nothing."""
    with db.begin() as conn:
        org = organisation_id(conn, ORGANISATION)
        if org is None:
            org = add_organisation(conn, ORGANISATION, kind="secretariat")
        states = ("published", "draft", "withdrawn")
        written = q.blocks(conn, report_key=REPORT, states=states, organisation_id=org)
        if any(b["organisation_id"] == org for b in written):
            return {"written": False, "reason": "already there"}
    author = Principal(role=Role.analyst, email=AUTHOR, organisation_id=org, origin="cli")
    try:
        saved = add_block(
            db, settings, author, REPORT, SECTION, TEXT, publish=True, name="example", tables=tables
        )
    except UserError as e:  # e.g. a hub without the GLOTIP sample has no Latvian figure
        return {"written": False, "reason": str(e)}
    return {"written": True, **saved}
