"""Tables of the case-records area: imports, records, quarantine.

No column holds a direct identifier: names, contact details, document numbers and birth
dates are turned into a keyed pseudonym (``person_key``) before anything is written.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
    text,
)

from thbhub.storage.schema import metadata
from thbhub.storage.schema_access import PUBLISHABLE, STATE_FOLLOWS, ownership_columns

#: The object type of an import in the publication service, the API and the audit log.
CASE_IMPORT = "case_import"

# An import is the unit a contributor submits for publication (migration cases_0005): its
# ownership columns carry the state, and its records' ``state`` follows it.
case_imports = Table(
    "case_imports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    *ownership_columns(),  # organisation_id, state (draft first), state_changed_at
    Column("file_name", String(300), nullable=False),
    Column("format", String(20), nullable=False),  # htcds | ctdc | ctdc2024
    Column("checksum", String(64), nullable=False),
    Column("rows_read", Integer, nullable=False),
    Column("rows_stored", Integer, nullable=False),
    Column("rows_quarantined", Integer, nullable=False),
    Column("imported_by", String(320)),
    Column("options", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # What a record's composite foreign key refers to (migration cases_0004).
    Index("uq_case_imports_id_org", "id", "organisation_id", unique=True),
    info={PUBLISHABLE: CASE_IMPORT},
)

# Status columns hold a thbhub.domain.cases.ValueStatus; value columns hold concept ids.
case_records = Table(
    "case_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # One foreign key for both: the record's import exists and belongs to the record's
    # organisation (which the import's own key makes exist); one check per inserted row.
    Column("organisation_id", Integer, nullable=False),
    Column("import_id", Integer, nullable=False),
    # The import's state, copied on every transition (STATE_FOLLOWS below), so that readers
    # filter records on it in SQL without a join: draft on import.
    Column("state", String(20), nullable=False),
    Column("source_format", String(20), nullable=False),
    Column("source_row", Integer, nullable=False),
    Column("source_ref", String(100)),
    Column("person_key", String(64)),  # HMAC-SHA256, per organisation; never reversible
    Column("year", Integer),
    Column("year_status", String(16), nullable=False),
    Column("sex", String(128)),
    Column("sex_status", String(16), nullable=False),
    Column("age", String(128)),
    Column("age_status", String(16), nullable=False),
    Column("age_years", Integer),
    Column("citizenship", String(128)),
    Column("citizenship_status", String(16), nullable=False),
    Column("country", String(128)),
    Column("country_status", String(16), nullable=False),
    Column("forms", JSON, nullable=False),
    Column("forms_status", String(16), nullable=False),
    Column("means", JSON, nullable=False),
    Column("means_status", String(16), nullable=False),
    Column("sectors", JSON, nullable=False),
    Column("sectors_status", String(16), nullable=False),
    Column("recruiter", JSON, nullable=False),
    Column("recruiter_status", String(16), nullable=False),
    Column("identification", String(20)),
    Column("identification_status", String(16), nullable=False),
    Column("referral", JSON, nullable=False),
    Column("extra", JSON, nullable=False),
    Column("free_text", JSON, nullable=False),
    Column("flags", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # HTCDS historic trafficking events and support plans as JSON lists on the record
    # (migration cases_0003).  The server defaults (empty, not recorded) serve the records
    # stored before and the formats without such fields (CTDC), whose writers omit them.
    Column("events", JSON, nullable=False, server_default="[]"),
    Column("events_status", String(16), nullable=False, server_default="not-recorded"),
    Column("support", JSON, nullable=False, server_default="[]"),
    Column("support_status", String(16), nullable=False, server_default="not-recorded"),
    # Item by item (migration cases_0006): the concepts each multi-valued field answered
    # "no" (a concept in neither list was not recorded), and the source's own items as it
    # wrote them (CTDC flag column -> 1 / 0 / -99; domain.cases.CaseRecord.answers).
    Column("forms_no", JSON, nullable=False, server_default="[]"),
    Column("means_no", JSON, nullable=False, server_default="[]"),
    Column("sectors_no", JSON, nullable=False, server_default="[]"),
    Column("recruiter_no", JSON, nullable=False, server_default="[]"),
    Column("answers", JSON, nullable=False, server_default="{}"),
    ForeignKeyConstraint(
        ["import_id", "organisation_id"],
        ["case_imports.id", "case_imports.organisation_id"],
        name="fk_case_records_import_organisation",
    ),
    Index("ix_case_records_org_year", "organisation_id", "year"),
    # Only keyed records: CTDC files have no person keys (migration cases_0002).
    Index(
        "ix_case_records_person",
        "organisation_id",
        "person_key",
        sqlite_where=text("person_key IS NOT NULL"),
        postgresql_where=text("person_key IS NOT NULL"),
    ),
    info={STATE_FOLLOWS: "case_imports"},
)

case_quarantine = Table(
    "case_quarantine",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("organisation_id", Integer, ForeignKey("organisations.id"), nullable=False),
    Column("import_id", Integer, ForeignKey("case_imports.id"), nullable=False),
    Column("source_format", String(20), nullable=False),
    Column("source_row", Integer, nullable=False),
    Column("person_key", String(64)),
    # The row's cells without direct identifiers or unopted free text, to fix and re-submit.
    Column("cells", JSON, nullable=False),
    Column("problems", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True)),
    Index("ix_case_quarantine_org", "organisation_id", "resolved_at"),
)
