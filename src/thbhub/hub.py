"""Whole-hub services: set up a database, and say what it holds."""

from __future__ import annotations

from typing import Any

from thbhub import __version__
from thbhub.demo import load_sample
from thbhub.domain.errors import UserError
from thbhub.ingest.registry import Progress, no_progress
from thbhub.ingest.sample import sample_checksums
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.migrate import current_revision, latest_revision, upgrade
from thbhub.storage.observations import observation_counts
from thbhub.storage.sources import source_rows, table_counts
from thbhub.taxonomy.service import install_taxonomy, list_schemes


def open_database(settings: Settings) -> Database:
    # A connection for each web worker thread (the CLI opens one or two of them).
    return Database(settings.resolved_database_url, pool_size=settings.web_threads)


def init_hub(
    db: Database, settings: Settings, *, sample: bool = False, progress: Progress = no_progress
) -> dict[str, Any]:
    """Create or upgrade the schema and install the taxonomy; optionally load the sample.

    Idempotent: a second run upgrades nothing, adds no concept and imports nothing again.
    The sample is loaded only when asked and only into a database that holds no source yet,
    so that a user's own data is never mixed with the demo by accident.
    """
    before, after = upgrade(db)
    result: dict[str, Any] = {
        "database": db.display_url,
        "schema_before": before,
        "schema": after,
        "taxonomy": install_taxonomy(db),
    }
    if sample:
        with db.connect() as conn:
            empty = table_counts(conn)["sources"] == 0
            loaded = {r["checksum"] for r in source_rows(conn)} >= sample_checksums()
        if empty:
            result["sample"] = load_sample(db, settings, progress)
        else:
            if loaded:
                # Every bundled file is in already: running the (idempotent) loaders again
                # adds nothing and brings the demo up to date, e.g. publishes the demo
                # import of a database from before imports were published (cases_0005).
                load_sample(db, settings, progress)
            result["sample"] = "already loaded"
    return result


def health(db: Database) -> dict[str, Any]:
    reachable = db.ping()
    revision = current_revision(db) if reachable else None
    head = latest_revision()
    ok = reachable and revision == head
    return {
        "status": "ok" if ok else "degraded",
        "version": __version__,
        "database": "ok" if reachable else "unreachable",
        "dialect": db.dialect,
        "schema_version": revision,
        "schema_expected": head,
    }


def require_current_schema(db: Database) -> None:
    """Refuse to serve a database whose schema this version of the hub was not written for:
    pages would fail one by one with "no such column" instead.  Upgrading stays an explicit
    step (`thbhub init`), so that nobody's data is migrated without being asked."""
    revision = current_revision(db)
    if revision is None:
        raise UserError(
            f"the database at {db.display_url} has no THB Hub schema: run `thbhub init`"
        )
    head = latest_revision()
    if revision != head:
        raise UserError(
            f"the database at {db.display_url} has schema {revision}; this version of THB Hub "
            f"needs {head}: back it up, then run `thbhub init` to upgrade it"
        )


def overview(db: Database) -> dict[str, Any]:
    """What the hub holds: the home page and `thbhub status` both show this."""
    with db.connect() as conn:
        counts = {**table_counts(conn), **observation_counts(conn)}
        sources = source_rows(conn)
    schemes = list_schemes(db)
    return {
        "counts": {**counts, "concepts": sum(s["concepts"] for s in schemes)},
        "schemes": schemes,
        "sources": [
            {
                "key": s["key"],
                "publisher": s["publisher"],
                "title": s["title"],
                "version": s["version"],
                "licence": s["licence"],
                "url": s["url"],
                "file_name": s["file_name"],
            }
            for s in sources
        ],
    }
