"""Tables of the privacy area: releases of case-record data and the privacy-budget ledger."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Float, ForeignKey, Index, Integer, String, Table

from thbhub.storage.schema import metadata

privacy_releases = Table(
    "privacy_releases",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("organisation_id", Integer, ForeignKey("organisations.id"), nullable=False),
    Column("dataset", String(200), nullable=False),  # e.g. "cases"
    Column("method", String(20), nullable=False),  # kanon | dp
    Column("format", String(20), nullable=False),  # csv | ctdc | htcds
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(320)),
    Column("parameters", JSON, nullable=False),
    Column("summary", JSON, nullable=False),
    # Computed against the true records: shown to the owning organisation only.
    Column("utility", JSON, nullable=False),
    Column("files", JSON, nullable=False),
    Index("ix_privacy_releases_org", "organisation_id", "dataset"),
)

privacy_ledger = Table(
    "privacy_ledger",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("organisation_id", Integer, ForeignKey("organisations.id"), nullable=False),
    Column("dataset", String(200), nullable=False),
    Column("release_id", Integer, ForeignKey("privacy_releases.id"), nullable=False),
    Column("epsilon", Float, nullable=False),
    Column("delta", Float, nullable=False),
    Column("spent_at", DateTime(timezone=True), nullable=False),
    Index("ix_privacy_ledger_org", "organisation_id", "dataset"),
)

# An organisation's decision to publish disclosure-controlled aggregates of a dataset (its
# case records): only opted-in organisations' records feed the public tables.
privacy_publications = Table(
    "privacy_publications",
    metadata,
    Column("organisation_id", Integer, ForeignKey("organisations.id"), primary_key=True),
    Column("dataset", String(200), primary_key=True),
    Column("published_at", DateTime(timezone=True), nullable=False),
    Column("published_by", String(320)),
)

# What each data version of the public tables published (privacy/versions.py): the next
# version is protected against it.  ``cells`` holds published numbers only (and
# "suppressed"), ``organisations`` a keyed fingerprint per organisation: no true count.
privacy_public_versions = Table(
    "privacy_public_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dataset", String(200), nullable=False),
    Column("label", String(64), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    Column("cells", JSON, nullable=False),
    Column("organisations", JSON, nullable=False),
    # The version's class structure (privacy/versions.py): true counts per combination of
    # the published dimensions; NULL for versions stored before privacy_0004.
    Column("joint", JSON, nullable=True),
    Index("ux_privacy_public_versions", "dataset", "label", unique=True),
)
