"""The bundled sample registers every source once, with its checksum and attribution."""

from __future__ import annotations

from sqlalchemy import func, select

from thbhub.hub import init_hub, overview
from thbhub.ingest.sample import file_checksum, sample_dir, sample_manifest
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.schema import sources


def test_sample_registers_sources_idempotently(db: Database, settings: Settings) -> None:
    manifest = sample_manifest()
    first = init_hub(db, settings, sample=True)
    assert len(first["sample"]) == len(manifest)
    registered = {s["key"]: s for s in overview(db)["sources"]}
    for entry in manifest:
        meta = registered[entry["source"]["key"]]
        assert meta["publisher"] == entry["source"]["publisher"]
        assert meta["licence"]
    with db.connect() as conn:
        checksums = set(conn.scalars(select(sources.c.checksum)))
        count = conn.execute(select(func.count()).select_from(sources)).scalar_one()
    assert {file_checksum(sample_dir() / e["file"]) for e in manifest} <= checksums
    from thbhub.storage.schema_narrative import report_texts

    with db.connect() as conn:  # the example text in Latvia's profile (thbhub.reports.sample)
        assert conn.execute(select(report_texts.c.report_key)).scalars().all() == ["country:LV"]
    second = init_hub(db, settings, sample=True)
    assert second["sample"] == "already loaded"
    with db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(sources)).scalar_one() == count


def test_bundled_files_are_attributed() -> None:
    from pathlib import Path

    attribution = (Path(__file__).resolve().parents[2] / "DATA_SOURCES.md").read_text()
    for entry in sample_manifest():
        assert entry["file"] in attribution


def test_init_again_publishes_a_demo_import_left_draft_by_an_older_version(
    db: Database, settings: Settings
) -> None:
    # A database loaded before imports were published (cases_0005) holds the demo import as
    # a draft that never moved: the next `thbhub init --sample` publishes it, once.
    from sqlalchemy import delete, select, update

    from thbhub.storage.schema_access import publication_events
    from thbhub.storage.schema_cases import case_imports, case_records

    init_hub(db, settings, sample=True)
    with db.begin() as conn:
        conn.execute(delete(publication_events))
        conn.execute(update(case_imports).values(state="draft"))
        conn.execute(update(case_records).values(state="draft"))
    assert init_hub(db, settings, sample=True)["sample"] == "already loaded"
    with db.connect() as conn:
        states = set(conn.execute(select(case_records.c.state)).scalars())
    assert states == {"published"}
