"""Tables of the estimation area: linkage projects, their members and the per-record
project linkage keys (docs/estimation.md, migrations estimation_0001 and 0002).

``linkage_keys.link_key`` is a keyed hash of a person's identifiers under the *project's*
key (derived from the deployment secret and the project id), so that the same person on
two member organisations' lists gets the same key; it is never shown to anyone, members
included: only counts made from it leave the hub.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Table

from thbhub.storage.schema import metadata

linkage_projects = Table(
    "linkage_projects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("purpose", String(2000), nullable=False),
    Column("valid_until", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(320), nullable=False),
    # the filters the public estimate may use (estimation_0002): "year,form", "year", "form", ""
    Column("public_by", String(40), nullable=False, server_default="year,form"),
)

linkage_members = Table(
    "linkage_members",
    metadata,
    Column("project_id", Integer, ForeignKey("linkage_projects.id"), primary_key=True),
    Column("organisation_id", Integer, ForeignKey("organisations.id"), primary_key=True),
    Column("opted_in_at", DateTime(timezone=True), nullable=False),
    Column("opted_in_by", String(320), nullable=False),
)

linkage_keys = Table(
    "linkage_keys",
    metadata,
    Column("project_id", Integer, ForeignKey("linkage_projects.id"), primary_key=True),
    Column(
        "record_id",
        Integer,
        ForeignKey("case_records.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("organisation_id", Integer, ForeignKey("organisations.id"), nullable=False),
    Column("link_key", String(64), nullable=False),
)
Index("ix_linkage_keys_project_org", linkage_keys.c.project_id, linkage_keys.c.organisation_id)
