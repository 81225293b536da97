"""A national table imported through a declared mapping, on both backends."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import insert, select

from stats_support import counts
from thbhub.domain.errors import ValidationError
from thbhub.hub import init_hub
from thbhub.ingest.registry import get_importer
from thbhub.ingest.sample import file_checksum
from thbhub.settings import Settings
from thbhub.stats.query import build_query, list_datasets, query_observations
from thbhub.storage import Database
from thbhub.storage.migrate import _config
from thbhub.storage.schema import sources
from thbhub.storage.schema_stats import observations, stat_datasets

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def _copy(tmp_path: Path) -> tuple[Path, Path]:
    data = shutil.copy(EXAMPLES / "lv-victims.csv", tmp_path / "lv-victims.csv")
    mapping = shutil.copy(EXAMPLES / "lv-victims.mapping.yaml", tmp_path / "lv.yaml")
    return Path(data), Path(mapping)


def test_documented_example_imports(db: Database, settings: Settings, tmp_path: Path) -> None:
    data, mapping = _copy(tmp_path)
    summary = get_importer("csv").run(db, settings, data, options={"mapping": str(mapping)})
    assert summary.rows_read == 6 and summary.by_status == {
        "number": 4,
        "suppressed": 1,
        "missing": 1,
    }
    totals = query_observations(db, build_query(country="LV"))
    assert [(r["year"], r["value"], r["flags"]) for r in totals] == [
        (2021, 31, []),
        (2022, 1204, ["provisional"]),
    ]
    by_sex = query_observations(db, build_query(country="LV", by="sex", year=2021))
    assert {r["sex"]: (r["status"], r["lower"], r["upper"]) for r in by_sex} == {
        "sex:female": ("number", 24, 24),
        "sex:male": ("suppressed", 0, 2),
    }
    form = query_observations(db, build_query(country="LV", form="sexual-exploitation"))
    assert [(r.get("form"), r["value"]) for r in form] == [(None, 17)]


@pytest.mark.parametrize(
    ("line", "column", "rule"),
    [
        ("2023;Kopā;Kopā;many;", "Cietušie", "non-numeric"),
        ("2023;Citi;Kopā;5;", "Dzimums", "unknown sex"),
        ("2023;Kopā;Kopā;5;q", "Piezīmes", "unknown flag"),
        ("twenty;Kopā;Kopā;5;", "Gads", "year is not a number"),
    ],
)
def test_bad_cells_fail_located(
    db: Database, settings: Settings, tmp_path: Path, line: str, column: str, rule: str
) -> None:
    data, mapping = _copy(tmp_path)
    data.write_text(data.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")
    before = counts(db)
    with pytest.raises(ValidationError) as err:
        get_importer("csv").run(db, settings, data, options={"mapping": str(mapping)})
    assert (err.value.location.row, err.value.location.column) == (8, column)
    assert rule in err.value.rule
    assert counts(db) == before


def test_bad_mapping_files(db: Database, settings: Settings, tmp_path: Path) -> None:
    data, mapping = _copy(tmp_path)
    mapping.write_text(mapping.read_text(encoding="utf-8").replace("year: {column: Gads}", ""))
    with pytest.raises(ValidationError) as err:
        get_importer("csv").run(db, settings, data, options={"mapping": str(mapping)})
    assert err.value.location.file == "lv.yaml" and err.value.location.column == "year"
    data, mapping = _copy(tmp_path)
    mapping.write_text(mapping.read_text(encoding="utf-8").replace("{value: LV}", "{value: XQ}"))
    with pytest.raises(ValidationError, match="unknown country"):
        get_importer("csv").run(db, settings, data, options={"mapping": str(mapping)})


def test_corrected_mapping_supersedes_the_earlier_reading(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    """The same data file again is "nothing changed"; the same file through a corrected
    mapping is a new release whose cells serve, the earlier reading kept as history."""
    data, mapping = _copy(tmp_path)
    right = mapping.read_text(encoding="utf-8")
    # A first mapping reads "Seksuālā" as the wrong form.
    mapping.write_text(
        right.replace("Seksuālā: sexual-exploitation", "Seksuālā: labour-exploitation"),
        encoding="utf-8",
    )
    importer = get_importer("csv")
    importer.run(db, settings, data, options={"mapping": str(mapping)})
    again = importer.run(db, settings, data, options={"mapping": str(mapping)})
    assert again.unchanged
    assert counts(db) == (1, 1, 6)

    def forms() -> set[str]:
        rows = query_observations(db, build_query(country="LV", by="form", year=2021))
        return {r["form"] for r in rows}

    assert forms() == {"form:labour-exploitation"}
    mapping.write_text(right, encoding="utf-8")  # the contributor corrects it
    corrected = importer.run(db, settings, data, options={"mapping": str(mapping)})
    assert not corrected.unchanged
    assert corrected.notes == [
        "6 cells of an earlier reading of this file (another mapping) are no longer current"
    ]
    assert counts(db) == (2, 2, 12)
    assert forms() == {"form:sexual-exploitation"}
    # The datasets list says which reading serves: the earlier one no cell any more.
    assert [(d["rows_stored"], d["cells_current"]) for d in list_datasets(db)] == [(6, 0), (6, 6)]


def test_a_reading_made_before_the_migration_is_replaced_by_a_corrected_one(
    empty_db_url: str, settings: Settings, tmp_path: Path
) -> None:
    """Migration stats_0002 fills the data file's checksum of existing datasets from their
    source (until then the data file's alone), so a corrected mapping replaces a reading
    stored by an earlier version too."""
    data, mapping = _copy(tmp_path)
    db = Database(empty_db_url)
    try:
        command.upgrade(_config(db), "stats_0001")
        at = datetime(2026, 11, 1, tzinfo=UTC)
        old_datasets = sa.table(  # the table as stats_0001 made it, without file_checksum
            "stat_datasets",
            sa.column("id", sa.Integer),
            *(sa.column(c) for c in ("source_id", "source_key", "importer", "file_name")),
            *(sa.column(c) for c in ("imported_at", "rows_read", "rows_stored")),
            sa.column("summary", sa.JSON),
        )
        with db.begin() as conn:
            source_id = conn.execute(
                insert(sources).returning(sources.c.id),
                {
                    "key": "lv-victims-example",
                    "publisher": "Example national statistical office",
                    "title": "Registered victims (example)",
                    "checksum": file_checksum(data),
                    "registered_at": at,
                },
            ).scalar_one()
            old_id = conn.execute(
                insert(old_datasets).returning(old_datasets.c.id),
                {
                    "source_id": source_id,
                    "source_key": "lv-victims-example",
                    "importer": "csv",
                    "file_name": data.name,
                    "imported_at": at,
                    "rows_read": 6,
                    "rows_stored": 1,
                    "summary": {},
                },
            ).scalar_one()
            cell = {c: "total" for c in ("sex", "age", "form", "citizenship")}
            conn.execute(
                insert(observations),
                {
                    **cell,
                    "dataset_id": old_id,
                    "source_key": "lv-victims-example",
                    "indicator": "victims",
                    "country": "LV",
                    "year": 2021,
                    "form": "form:labour-exploitation",  # the old mapping's mistake
                    "extra": "",
                    "value": 17.0,
                    "status": "number",
                    "flags": "",
                    "label": "2021;Kopā;Seksuālā",
                    "current": True,
                },
            )
        init_hub(db, settings)  # upgrades the schema and installs the taxonomy
        with db.connect() as conn:
            assert conn.scalar(select(stat_datasets.c.file_checksum)) == file_checksum(data)
        summary = get_importer("csv").run(db, settings, data, options={"mapping": str(mapping)})
        note = "1 cells of an earlier reading of this file (another mapping) are no longer current"
        assert note in summary.notes
        with db.connect() as conn:
            stale = conn.scalar(
                select(observations.c.current).where(observations.c.dataset_id == old_id)
            )
        assert stale is False
    finally:
        db.dispose()


def test_two_codes_mapped_to_one_concept_are_kept_apart(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    """A mapping that sends two of the table's codes to one concept does not add them up;
    only a row the table itself repeats is summed (issue 12, section 3)."""
    data, mapping = _copy(tmp_path)
    text = mapping.read_text(encoding="utf-8").replace(
        "Sievietes: female,", "Sievietes: female, Meitenes: female,"
    )
    mapping.write_text(text, encoding="utf-8")
    with data.open("a", encoding="utf-8") as fh:
        fh.write("2021;Meitenes;Kopā;5;\n2021;Vīrieši;Kopā;4;\n")
    summary = get_importer("csv").run(db, settings, data, options={"mapping": str(mapping)})
    assert any("kept apart" in n for n in summary.notes)
    by_sex = query_observations(db, build_query(country="LV", by="sex", year=2021))
    # Female: two categories of the table, neither is "the" female cell, 29 is nowhere.
    assert [r["sex"] for r in by_sex] == ["sex:male"]
    male = by_sex[0]
    assert male["status"] == "suppressed" and "summed" in male["flags"]  # <3 + 4, repeated
    apart = [
        query_observations(
            db, build_query(country="LV", by="sex", year=2021, extra=f"codes={codes}")
        )
        for codes in (
            "victims | LV | 2021 | Sievietes | Kopā",
            "victims | LV | 2021 | Meitenes | Kopā",
        )
    ]
    assert [[r["value"] for r in rows] for rows in apart] == [[24], [5]]
