"""Strategic plan monitor: the plan, its partners, presidencies and priorities, projects,
activities and their participants, outputs, indicators with their values, reviews.

Revision ID: plan_0001
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "plan_0001"
down_revision = "0001"
branch_labels = ("plan",)
depends_on = None

#: The partners the plan names (objective 5) and the CBSS unit it names, in its order.
PARTNERS = [
    ("coe", "Council of Europe", "partner"),
    ("eu", "European Union", "partner"),
    ("iom", "International Organization for Migration (IOM)", "partner"),
    ("ncm", "Nordic Council of Ministers", "partner"),
    ("osce", "Organization for Security and Co-operation in Europe (OSCE)", "partner"),
    ("unodc", "United Nations Office on Drugs and Crime (UNODC)", "partner"),
    ("icat", "Inter-Agency Coordination Group against Trafficking in Persons (UN ICAT)", "partner"),
    ("cbss-children-at-risk", "CBSS Children at Risk Unit", "cbss-unit"),
]


def upgrade() -> None:
    op.create_table(
        "plan_info",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("first_year", sa.Integer, nullable=False),
        sa.Column("last_year", sa.Integer, nullable=False),
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column("notice", sa.Text),
    )
    op.create_table(
        "plan_partners",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),  # partner | cbss-unit
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_table(
        "plan_presidencies",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("starts", sa.Date, nullable=False),
        sa.Column("ends", sa.Date, nullable=False),
    )
    op.create_table(
        "plan_priorities",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(64), nullable=False, unique=True),
        sa.Column(
            "presidency_id", sa.Integer, sa.ForeignKey("plan_presidencies.id"), nullable=False
        ),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("objectives", sa.JSON, nullable=False),
    )
    op.create_table(
        "plan_projects",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(64), nullable=False, unique=True),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("lead", sa.String(300), nullable=False),
        sa.Column("partners", sa.JSON, nullable=False),
        sa.Column("countries", sa.JSON, nullable=False),
        sa.Column("starts", sa.Date, nullable=False),
        sa.Column("ends", sa.Date, nullable=False),
        sa.Column("budget", sa.Float),
        sa.Column("currency", sa.String(3)),
        sa.Column("funder", sa.String(300)),
        sa.Column("objectives", sa.JSON, nullable=False),
        sa.Column("principles", sa.JSON, nullable=False),
        sa.Column("concepts", sa.JSON, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("builds_on", sa.JSON, nullable=False),  # keys of earlier projects
        # The hub organisation whose contributors may edit it (NULL: the secretariat's).
        sa.Column("organisation_id", sa.Integer, sa.ForeignKey("organisations.id")),
        sa.Column("public", sa.Boolean, nullable=False),
    )
    op.create_table(
        "plan_activities",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(64), nullable=False, unique=True),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("plan_projects.id"), nullable=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("starts", sa.Date, nullable=False),
        sa.Column("ends", sa.Date, nullable=False),
        sa.Column("country", sa.String(2)),
        sa.Column("concepts", sa.JSON, nullable=False),
    )
    op.create_table(
        "plan_participants",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("activity_id", sa.Integer, sa.ForeignKey("plan_activities.id"), nullable=False),
        sa.Column("sector", sa.String(100), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("sex", sa.String(10), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
    )
    op.create_table(
        "plan_outputs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(64), nullable=False, unique=True),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("plan_projects.id"), nullable=False),
        sa.Column("type", sa.String(30), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("url", sa.String(1000)),
        sa.Column("concepts", sa.JSON, nullable=False),
        # The knowledge library's document, once the library exists (no foreign key yet).
        sa.Column("document_id", sa.Integer),
    )
    op.create_table(
        "plan_indicators",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(64), nullable=False, unique=True),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("objectives", sa.JSON, nullable=False),
        sa.Column("unit", sa.String(100), nullable=False),
        sa.Column("baseline", sa.Float, nullable=False),
        sa.Column("baseline_date", sa.Date, nullable=False),
        sa.Column("target", sa.Float, nullable=False),
        sa.Column("target_date", sa.Date, nullable=False),
        # A statistics query measuring it (the query string of /api/v1/observations), if any.
        sa.Column("statistics", sa.String(500)),
    )
    op.create_table(
        "plan_indicator_values",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("indicator_id", sa.Integer, sa.ForeignKey("plan_indicators.id"), nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("note", sa.Text),
    )
    op.create_table(
        "plan_reviews",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(64), nullable=False, unique=True),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("findings", sa.Text, nullable=False),
        sa.Column("decisions", sa.Text, nullable=False),
        sa.Column("public", sa.Boolean, nullable=False),
    )
    op.create_index("ix_plan_activities_project_id", "plan_activities", ["project_id"])
    op.create_index("ix_plan_participants_activity_id", "plan_participants", ["activity_id"])
    op.create_index("ix_plan_outputs_project_id", "plan_outputs", ["project_id"])
    op.create_index(
        "ix_plan_indicator_values_indicator_id", "plan_indicator_values", ["indicator_id"]
    )
    info = sa.table(
        "plan_info",
        sa.column("id", sa.Integer),
        sa.column("title", sa.String),
        sa.column("first_year", sa.Integer),
        sa.column("last_year", sa.Integer),
        sa.column("source", sa.String),
    )
    op.bulk_insert(
        info,
        [
            {
                "id": 1,
                "title": "CBSS TF-THB Strategic Plan 2025-2030",
                "first_year": 2025,
                "last_year": 2030,
                "source": "Council of the Baltic Sea States, Task Force against Trafficking in "
                "Human Beings: Strategic Plan 2025-2030",
            }
        ],
    )
    partners = sa.table(
        "plan_partners",
        sa.column("key", sa.String),
        sa.column("name", sa.String),
        sa.column("kind", sa.String),
        sa.column("position", sa.Integer),
    )
    op.bulk_insert(
        partners,
        [
            {"key": k, "name": n, "kind": kind, "position": i}
            for i, (k, n, kind) in enumerate(PARTNERS)
        ],
    )


def downgrade() -> None:
    op.drop_table("plan_reviews")
    op.drop_table("plan_indicator_values")
    op.drop_table("plan_indicators")
    op.drop_table("plan_outputs")
    op.drop_table("plan_participants")
    op.drop_table("plan_activities")
    op.drop_table("plan_projects")
    op.drop_table("plan_priorities")
    op.drop_table("plan_presidencies")
    op.drop_table("plan_partners")
    op.drop_table("plan_info")
