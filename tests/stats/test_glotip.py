"""GLOTIP import on both backends: statuses, repeated keys, provenance, errors, releases."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import select

from stats_support import V, counts, glotip_row, write_glotip_csv, write_glotip_xlsx
from support import shared_file
from thbhub.domain.concepts import CBSS_MEMBER_STATES
from thbhub.domain.errors import ValidationError
from thbhub.ingest.registry import get_importer
from thbhub.ingest.sample import sample_dir
from thbhub.settings import Settings
from thbhub.stats.query import build_query, query_observations
from thbhub.storage import Database
from thbhub.storage.schema_stats import observations

ISO2 = {
    "DNK": "DK",
    "EST": "EE",
    "FIN": "FI",
    "DEU": "DE",
    "ISL": "IS",
    "LVA": "LV",
    "LTU": "LT",
    "NOR": "NO",
    "POL": "PL",
    "SWE": "SE",
}


def _expected(text: str) -> tuple[str, float | None, float, float]:
    """An independent reading of a txtVALUE: (status, value, lower, upper)."""
    if text == "<5":
        return "suppressed", None, 0.0, 4.0
    n = float(text.replace(",", ""))
    return ("zero" if n == 0 else "number"), n, n, n


def _sum(
    cells: list[tuple[str, float | None, float, float]],
) -> tuple[str, float | None, float, float]:
    lower = sum(c[2] for c in cells)
    upper = sum(c[3] for c in cells)
    if all(c[0] != "suppressed" for c in cells):
        return "number", lower, lower, upper
    return "suppressed", None, lower, upper


def test_bundled_bsr_extract_spot_checked_against_the_file(
    db: Database, settings: Settings
) -> None:
    path = sample_dir() / "unodc_glotip_bsr.csv"
    summary = get_importer("glotip").run(db, settings, path)
    with path.open(encoding="utf-8") as fh:
        raw = list(csv.DictReader(fh))
    assert summary.rows_read == len(raw)
    assert summary.by_status["suppressed"] >= sum(r["txtVALUE"] == "<5" for r in raw)
    # Every total-victims cell of every member state, as published (repeated keys summed).
    wanted: dict[tuple[str, int], list[tuple[str, float | None, float, float]]] = defaultdict(list)
    for r in raw:
        if (r["Indicator"], r["Dimension"], r["Sex"], r["Age"]) == (V, "Total", "Total", "Total"):
            wanted[(ISO2[r["Iso3_code"]], int(r["Year"]))].append(_expected(r["txtVALUE"]))
    rows = query_observations(db, build_query(indicator="victims", by="year"))
    got = {
        (r["country"], r["year"]): (r["status"], r["value"], r["lower"], r["upper"]) for r in rows
    }
    assert got == {k: _sum(v) if len(v) > 1 else v[0] for k, v in wanted.items()}
    assert {r["country"] for r in rows} == set(CBSS_MEMBER_STATES)
    # By form: every published (country, year, form) cell is there, sexual exploitation checked.
    sexual = query_observations(
        db, build_query(indicator="victims", form="sexual-exploitation", by="year,form")
    )
    expected_sexual: dict[tuple[str, int], list[tuple[str, float | None, float, float]]] = (
        defaultdict(list)
    )
    for r in raw:
        if (r["Indicator"], r["Dimension"], r["Category"], r["Sex"], r["Age"]) == (
            V,
            "by form of exploitation",
            "Sexual exploitation",
            "Total",
            "Total",
        ):
            expected_sexual[(ISO2[r["Iso3_code"]], int(r["Year"]))].append(_expected(r["txtVALUE"]))
    assert {
        (r["country"], r["year"]): (r["status"], r["value"], r["lower"], r["upper"]) for r in sexual
    } == {k: _sum(v) if len(v) > 1 else v[0] for k, v in expected_sexual.items()}


def test_repeated_keys_are_summed_and_the_parts_kept(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    other = {"dimension": "by form of exploitation", "category": "Other forms of exploitation"}
    path = write_glotip_csv(
        tmp_path / "glotip.csv",
        [
            glotip_row("LTU", "Lithuania", 2019, "20", **other),
            glotip_row("LTU", "Lithuania", 2019, "<5", **other),
            glotip_row("LTU", "Lithuania", 2019, "1,005", **other),
            glotip_row("LTU", "Lithuania", 2019, "31"),
        ],
    )
    summary = get_importer("glotip").run(db, settings, path)
    assert summary.rows_read == 4 and summary.rows_stored == 5  # the sum, 3 parts, the total
    rows = query_observations(db, build_query(indicator="victims", country="LT", by="form"))
    assert len(rows) == 1
    parent = rows[0]
    assert parent["form"] == "form:other" and parent["status"] == "suppressed"
    assert (parent["value"], parent["lower"], parent["upper"]) == (None, 1025, 1029)
    assert "summed" in parent["flags"]
    with db.connect() as conn:
        parts = conn.execute(
            select(observations.c.extra, observations.c.value, observations.c.source_row)
            .where(observations.c.extra.like("part=%"))
            .order_by(observations.c.extra)
        ).all()
    assert [(p[0], p[1], p[2]) for p in parts] == [
        ("part=1", 20, 2),
        ("part=2", None, 3),
        ("part=3", 1005, 4),
    ]


def test_excel_layout_with_metadata_rows_keeps_sheet_and_row(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    path = write_glotip_xlsx(
        tmp_path / "data_glotip.xlsx",
        [
            glotip_row("EST", "Estonia", 2020, "<5"),
            glotip_row("", "Estonia", 2021, "2,001"),  # an empty ISO code: resolved by name
        ],
    )
    summary = get_importer("glotip").run(db, settings, path)
    assert summary.rows_stored == 2
    rows = query_observations(db, build_query(indicator="victims", country="EE"))
    assert [(r["year"], r["status"], r["value"], r["sheet"], r["row"]) for r in rows] == [
        (2020, "suppressed", None, "data_glotip_1", 4),
        (2021, "number", 2001, "data_glotip_1", 5),
    ]
    from thbhub.stats.query import list_datasets

    assert list_datasets(db)[0]["version"] == "2023-05-30"


def test_same_file_twice_changes_nothing(db: Database, settings: Settings, tmp_path: Path) -> None:
    path = write_glotip_csv(tmp_path / "g.csv", [glotip_row("FIN", "Finland", 2019, "12")])
    get_importer("glotip").run(db, settings, path)
    before = counts(db)
    again = get_importer("glotip").run(db, settings, path)
    assert again.unchanged and counts(db) == before


def test_a_newer_release_is_served_and_the_older_stays(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    old = write_glotip_csv(
        tmp_path / "old.csv",
        [glotip_row("FIN", "Finland", 2019, "12"), glotip_row("FIN", "Finland", 2018, "7")],
    )
    new = write_glotip_csv(tmp_path / "new.csv", [glotip_row("FIN", "Finland", 2019, "15")])
    importer = get_importer("glotip")
    importer.run(db, settings, old)
    summary = importer.run(db, settings, new)
    assert any("no longer current" in n for n in summary.notes)
    current = {r["year"]: r["value"] for r in query_observations(db, build_query(country="FI"))}
    assert current == {2018: 7, 2019: 15}  # 2018 is not in the new release: kept
    from thbhub.stats.query import list_datasets

    first = min(d["id"] for d in list_datasets(db))
    older = query_observations(db, build_query(country="FI", dataset=first))
    assert {r["year"]: r["value"] for r in older} == {2018: 7, 2019: 12}


@pytest.mark.parametrize(
    ("row", "column", "rule"),
    [
        (glotip_row("XXX", "Nowhere", 2019, "3"), "Iso3_code", "unknown"),
        (glotip_row("FIN", "Finland", 2019, "three"), "txtVALUE", "non-numeric"),
        (glotip_row("FIN", "Finland", 19, "3"), "Year", "year out of range"),
        (glotip_row("FIN", "Finland", 2019, "3", sex="Alien"), "Sex", "unknown sex"),
        (
            glotip_row("FIN", "Finland", 2019, "3", dimension="by mood"),
            "Dimension",
            "unknown dimension",
        ),
    ],
)
def test_bad_rows_fail_located_and_change_nothing(
    db: Database, settings: Settings, tmp_path: Path, row: list[str], column: str, rule: str
) -> None:
    path = write_glotip_csv(tmp_path / "bad.csv", [glotip_row("FIN", "Finland", 2018, "3"), row])
    before = counts(db)
    with pytest.raises(ValidationError) as err:
        get_importer("glotip").run(db, settings, path)
    assert err.value.location.file == "bad.csv"
    assert err.value.location.row == 3 and err.value.location.column == column
    assert rule in err.value.rule
    assert counts(db) == before


def test_wrong_header_and_truncated_files(db: Database, settings: Settings, tmp_path: Path) -> None:
    header = ["Iso3_code", "Country", "Indicator", "Year", "txtVALUE"]
    path = write_glotip_csv(tmp_path / "h.csv", [["FIN", "Finland", V, "2019", "3"]], header=header)
    with pytest.raises(ValidationError, match="wrong header") as err:
        get_importer("glotip").run(db, settings, path)
    assert err.value.location.row == 1
    short = tmp_path / "short.csv"
    write_glotip_csv(short, [glotip_row("FIN", "Finland", 2019, "3")])
    text = short.read_text()
    short.write_text(text + "FIN,Finland,Europe,Northern Europe,Detected trafficking victims\n")
    with pytest.raises(ValidationError, match="truncated") as err:
        get_importer("glotip").run(db, settings, short)
    assert err.value.location.row == 3
    good = write_glotip_xlsx(tmp_path / "g.xlsx", [glotip_row("FIN", "Finland", 2019, "3")])
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    before = counts(db)
    with pytest.raises(ValidationError, match="corrupt"):
        get_importer("glotip").run(db, settings, broken)
    assert counts(db) == before


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_full_release_imports(db: Database, settings: Settings) -> None:
    path = shared_file("unodc-glotip/data_glotip.xlsx")
    summary = get_importer("glotip").run(db, settings, path)
    assert summary.rows_read == 46556
    assert summary.by_status["suppressed"] >= 23000
    import polars as pl

    sheet = pl.read_excel(path, engine="calamine", read_options={"header_row": 2})
    published = sheet.filter(
        (pl.col("Iso3_code") == "DEU")
        & (pl.col("Indicator") == V)
        & (pl.col("Dimension") == "Total")
        & (pl.col("Sex") == "Total")
        & (pl.col("Age") == "Total")
    )
    for year, text in zip(
        published["Year"].to_list(), published["txtVALUE"].to_list(), strict=True
    ):
        rows = query_observations(db, build_query(indicator="victims", country="DE", year=year))
        assert len(rows) == 1 and rows[0]["sheet"] == "data_glotip_1"
        assert (rows[0]["status"], rows[0]["value"]) == _expected(str(text))[:2]
