"""Tables of the strategic plan monitor (``thbhub.plan``).

The plan's objectives and principles are taxonomy concepts (schemes ``objective`` and
``principle``): rows here name them by concept id, never copy them.  Lists (objectives,
countries, partners, ...) are JSON lists: a portfolio is a few hundred rows, read whole.
Each entity has the identifier the secretariat's spreadsheet gives it (``key``).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
)

from thbhub.storage.schema import metadata

KEY = 64

# The plan itself (one row, seeded by migration plan_0001) and the portfolio's notice (e.g.
# "example data"), shown on every plan page.
plan_info = Table(
    "plan_info",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("title", String(300), nullable=False),
    Column("first_year", Integer, nullable=False),
    Column("last_year", Integer, nullable=False),
    Column("source", String(300), nullable=False),
    Column("notice", Text),
)

# Partners the plan names and the CBSS unit it names (seeded by migration plan_0001).
plan_partners = Table(
    "plan_partners",
    metadata,
    Column("key", String(KEY), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("kind", String(20), nullable=False),  # partner | cbss-unit
    Column("position", Integer, nullable=False),
)

plan_presidencies = Table(
    "plan_presidencies",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(KEY), nullable=False, unique=True),
    Column("name", String(300), nullable=False),
    Column("starts", Date, nullable=False),
    Column("ends", Date, nullable=False),
)

plan_priorities = Table(
    "plan_priorities",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(KEY), nullable=False, unique=True),
    Column("presidency_id", Integer, ForeignKey("plan_presidencies.id"), nullable=False),
    Column("title", Text, nullable=False),
    Column("objectives", JSON, nullable=False),
)

plan_projects = Table(
    "plan_projects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(KEY), nullable=False, unique=True),
    Column("title", String(500), nullable=False),
    Column("description", Text),
    Column("lead", String(300), nullable=False),
    Column("partners", JSON, nullable=False),
    Column("countries", JSON, nullable=False),
    Column("starts", Date, nullable=False),
    Column("ends", Date, nullable=False),
    Column("budget", Float),
    Column("currency", String(3)),
    Column("funder", String(300)),
    Column("objectives", JSON, nullable=False),
    Column("principles", JSON, nullable=False),
    Column("concepts", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("builds_on", JSON, nullable=False),  # keys of earlier projects
    # The hub organisation whose contributors may edit it (NULL: the secretariat's).
    Column("organisation_id", Integer, ForeignKey("organisations.id")),
    Column("public", Boolean, nullable=False),
)

plan_activities = Table(
    "plan_activities",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(KEY), nullable=False, unique=True),
    Column("project_id", Integer, ForeignKey("plan_projects.id"), nullable=False, index=True),
    Column("type", String(20), nullable=False),
    Column("title", String(500), nullable=False),
    Column("starts", Date, nullable=False),
    Column("ends", Date, nullable=False),
    Column("country", String(2)),
    Column("concepts", JSON, nullable=False),
)

# Participants of an activity: one row per sector, country and sex (sex blank: not known).
plan_participants = Table(
    "plan_participants",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("activity_id", Integer, ForeignKey("plan_activities.id"), nullable=False, index=True),
    Column("sector", String(100), nullable=False),
    Column("country", String(2), nullable=False),
    Column("sex", String(10), nullable=False),
    Column("count", Integer, nullable=False),
)

plan_outputs = Table(
    "plan_outputs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(KEY), nullable=False, unique=True),
    Column("project_id", Integer, ForeignKey("plan_projects.id"), nullable=False, index=True),
    Column("type", String(30), nullable=False),
    Column("title", String(500), nullable=False),
    Column("date", Date, nullable=False),
    Column("url", String(1000)),
    Column("concepts", JSON, nullable=False),
    # The knowledge library's document, once the library exists (no foreign key yet).
    Column("document_id", Integer),
)

plan_indicators = Table(
    "plan_indicators",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(KEY), nullable=False, unique=True),
    Column("title", String(500), nullable=False),
    Column("objectives", JSON, nullable=False),
    Column("unit", String(100), nullable=False),
    Column("baseline", Float, nullable=False),
    Column("baseline_date", Date, nullable=False),
    Column("target", Float, nullable=False),
    Column("target_date", Date, nullable=False),
    # A statistics query measuring it (the query string of /api/v1/observations), if any.
    Column("statistics", String(500)),
)

plan_indicator_values = Table(
    "plan_indicator_values",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("indicator_id", Integer, ForeignKey("plan_indicators.id"), nullable=False, index=True),
    Column("date", Date, nullable=False),
    Column("value", Float, nullable=False),
    Column("note", Text),
)

plan_reviews = Table(
    "plan_reviews",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(KEY), nullable=False, unique=True),
    Column("date", Date, nullable=False),
    Column("title", String(500), nullable=False),
    Column("findings", Text, nullable=False),
    Column("decisions", Text, nullable=False),
    Column("public", Boolean, nullable=False),
)

#: Portfolio tables in the order they are written (parents first); deleted in reverse.
PORTFOLIO_TABLES = (
    plan_presidencies,
    plan_priorities,
    plan_projects,
    plan_activities,
    plan_participants,
    plan_outputs,
    plan_indicators,
    plan_indicator_values,
    plan_reviews,
)
