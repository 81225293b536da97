"""A national table imported through a declared mapping, on both backends."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from stats_support import counts
from thbhub.domain.errors import ValidationError
from thbhub.ingest.registry import get_importer
from thbhub.settings import Settings
from thbhub.stats.query import build_query, query_observations
from thbhub.storage import Database

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
