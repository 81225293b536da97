"""Eurostat bulk TSV and SDMX-CSV on both backends: flags kept, releases, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from stats_support import counts, write_tsv
from support import shared_file
from thbhub.domain.errors import ValidationError
from thbhub.domain.observations import parse_eurostat_cell
from thbhub.ingest.registry import get_importer
from thbhub.settings import Settings
from thbhub.stats.query import build_query, list_datasets, query_observations
from thbhub.storage import Database

CRIM_HEADER = "unit,sex,age,citizen,leg_stat,geo\\time\t2019 \t2018 \t2017 "


def _published(path: Path, geos: set[str]) -> dict[tuple[str, int], tuple[str, list[str]]]:
    """An independent reading of a tps00001 file: (geo, year) -> (status, flags)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    years = [int(h.strip()) for h in lines[0].split("\t")[1:]]
    out = {}
    for line in lines[1:]:
        cells = line.split("\t")
        geo = cells[0].split(",")[-1]
        if geo not in geos:
            continue
        for year, raw in zip(years, cells[1:], strict=True):
            text = raw.strip()
            value, _, letters = text.partition(" ")
            flags = sorted({"b": "break", "e": "estimated", "p": "provisional"}[c] for c in letters)
            out[(geo, year)] = ("missing" if value == ":" else "number", flags)
    return out


def test_population_files_keep_flags_and_versions(db: Database, settings: Settings) -> None:
    older = shared_file("eurostat-population/tps00001_2004-2015_bkrsh.tsv")
    newer = shared_file("eurostat-population/tps00001_2008-2019_peeter-t2.tsv")
    importer = get_importer("eurostat")
    first = importer.run(db, settings, older)
    assert first.rows_read > 50 and first.by_status["missing"] > 0
    geos = {"AD", "AL", "DE", "LT", "IS"}
    expected = _published(older, geos)
    rows = query_observations(db, build_query(indicator="population", country=sorted(geos)))
    got = {(r["country"], r["year"]): (r["status"], sorted(r["flags"])) for r in rows}
    assert got == expected
    assert any(flags for _, flags in got.values()), "the file carries flags; they must be kept"
    importer.run(db, settings, newer)
    assert [d["source_key"] for d in list_datasets(db)] == ["eurostat-tps00001"] * 2
    rows = query_observations(db, build_query(indicator="population", country="AD"))
    by_year = {r["year"]: r["file"] for r in rows}
    assert by_year[2005] == older.name  # only the older release has it: still served
    assert by_year[2012] == newer.name  # both have it: the latest is served
    assert by_year[2019] == newer.name


def test_crim_thb_layout_with_flags_and_breakdowns(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    path = write_tsv(
        tmp_path / "crim_thb_vctz.tsv",
        CRIM_HEADER,
        [
            "NR,T,TOTAL,TOTAL,VICT,LT\t60 \t: c\t20 bep",
            "NR,F,TOTAL,TOTAL,VICT,LT\t45 \t: \t12 p",
            "NR,M,TOTAL,TOTAL,VICT,LT\t15 \t0 \t: z",
            "NR,T,Y_LT18,TOTAL,VICT,LT\t7 e\t: \t: ",
            "NR,T,TOTAL,NAT,VICT,LT\t40 \t: \t: ",
            "P_HTHAB,T,TOTAL,TOTAL,VICT,LT\t2.14 \t: \t0.71 ",
        ],
    )
    summary = get_importer("eurostat").run(db, settings, path)
    assert summary.rows_read == 6 and summary.rows_stored == 18
    rows = query_observations(db, build_query(indicator="victims", country="LT"))
    assert [(r["year"], r["status"], r["value"], sorted(r["flags"])) for r in rows] == [
        (2017, "number", 20, ["break", "estimated", "provisional"]),
        (2018, "suppressed", None, ["confidential"]),
        (2019, "number", 60, []),
    ]
    by_sex = query_observations(db, build_query(indicator="victims", country="LT", by="sex"))
    cells = {(r["sex"], r["year"]): r["status"] for r in by_sex}
    assert cells[("sex:male", 2018)] == "zero"
    assert cells[("sex:male", 2017)] == "not_applicable"
    assert cells[("sex:female", 2017)] == "number"
    child = query_observations(db, build_query(indicator="victims", country="LT", age="child"))
    assert [(r["year"], r["value"], r["flags"]) for r in child][-1] == (2019, 7, ["estimated"])
    nationals = query_observations(
        db, build_query(indicator="victims", country="LT", citizenship="country-group:nationals")
    )
    assert [r["value"] for r in nationals if r["year"] == 2019] == [40]


def test_sdmx_csv(db: Database, settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "estat_crim_thb_vctz.csv"
    path.write_text(
        "DATAFLOW,LAST UPDATE,freq,unit,sex,age,citizen,leg_stat,geo,"
        "TIME_PERIOD,OBS_VALUE,OBS_FLAG\n"
        "ESTAT:CRIM_THB_VCTZ(1.0),12/05/24 23:00:00,A,NR,T,TOTAL,TOTAL,VICT,FI,2021,88,\n"
        "ESTAT:CRIM_THB_VCTZ(1.0),12/05/24 23:00:00,A,NR,T,TOTAL,TOTAL,VICT,FI,2022,,c\n"
        "ESTAT:CRIM_THB_VCTZ(1.0),12/05/24 23:00:00,A,NR,T,TOTAL,TOTAL,VICT,FI,2023,91,p\n",
        encoding="utf-8",
    )
    get_importer("eurostat").run(db, settings, path)
    rows = query_observations(db, build_query(indicator="victims", country="FI"))
    assert [(r["year"], r["status"], r["flags"]) for r in rows] == [
        (2021, "number", []),
        (2022, "suppressed", ["confidential"]),
        (2023, "number", ["provisional"]),
    ]


@pytest.mark.parametrize(
    ("lines", "row", "column", "rule"),
    [
        (["NR,T,TOTAL,TOTAL,VICT,XY\t1 \t2 \t3 "], 2, "geo", "unknown geo code"),
        (["NR,T,TOTAL,TOTAL,VICT,LT\t1 \tabc \t3 "], 2, "2018", "not a Eurostat value"),
        (["NR,T,TOTAL,TOTAL,VICT,LT\t1 \t2 \t3 x"], 2, "2017", "not a Eurostat value"),
        (
            ["NR,T,TOTAL,TOTAL,VICT,LT\t1 \t2 \t3 ", "NR,T,TOTAL,TOTAL,VICT,LV\t1 "],
            3,
            None,
            "truncated",
        ),
        (["NR,T,TOTAL,VICT,LT\t1 \t2 \t3 "], 2, "unit,sex,age,citizen,leg_stat,geo\\time", "codes"),
    ],
)
def test_bad_tsv_fails_located_and_changes_nothing(
    db: Database,
    settings: Settings,
    tmp_path: Path,
    lines: list[str],
    row: int,
    column: str | None,
    rule: str,
) -> None:
    path = write_tsv(tmp_path / "crim_thb_vctz.tsv", CRIM_HEADER, lines)
    before = counts(db)
    with pytest.raises(ValidationError) as err:
        get_importer("eurostat").run(db, settings, path)
    assert err.value.location.file == "crim_thb_vctz.tsv"
    assert err.value.location.row == row and err.value.location.column == column
    assert rule in err.value.rule
    assert counts(db) == before


def test_unknown_table_and_wrong_header(db: Database, settings: Settings, tmp_path: Path) -> None:
    path = write_tsv(
        tmp_path / "mystery.tsv", CRIM_HEADER, ["NR,T,TOTAL,TOTAL,VICT,LT\t1 \t2 \t3 "]
    )
    with pytest.raises(ValidationError, match="--table"):
        get_importer("eurostat").run(db, settings, path)
    bad = write_tsv(tmp_path / "tps00001.tsv", "indic_de,geo\t2019", ["JAN,LT\t1"])
    with pytest.raises(ValidationError, match="wrong header") as err:
        get_importer("eurostat").run(db, settings, bad)
    assert err.value.location.row == 1


def test_flag_letters_match_the_domain_parser() -> None:
    assert parse_eurostat_cell("5 bep") is not None


def test_demo_pjan_keeps_single_years_apart(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    path = write_tsv(
        tmp_path / "demo_pjan.tsv",
        "unit,age,sex,geo\\time\t2020 \t2019 ",
        ["NR,TOTAL,T,EE\t1328976 \t1324820 ", "NR,Y5,T,EE\t14000 \t: ", "NR,UNK,F,EE\t0 \t0 "],
    )
    summary = get_importer("eurostat").run(db, settings, path)
    assert summary.rows_stored == 6
    rows = query_observations(db, build_query(indicator="population", country="EE"))
    assert [(r["year"], r["value"]) for r in rows] == [(2019, 1324820), (2020, 1328976)]
    unknown = query_observations(
        db, build_query(indicator="population", country="EE", age="unknown", sex="female")
    )
    assert [r["status"] for r in unknown] == ["zero", "zero"]


def test_an_older_release_imported_last_does_not_take_over(
    db: Database, settings: Settings
) -> None:
    older = shared_file("eurostat-population/tps00001_2004-2015_bkrsh.tsv")
    newer = shared_file("eurostat-population/tps00001_2008-2019_peeter-t2.tsv")
    importer = get_importer("eurostat")
    importer.run(db, settings, newer)
    summary = importer.run(db, settings, older)
    assert any("older release" in n for n in summary.notes)
    rows = query_observations(db, build_query(indicator="population", country="AD"))
    by_year = {r["year"]: r["file"] for r in rows}
    assert by_year[2005] == older.name and by_year[2012] == newer.name
    assert sorted(by_year) == list(range(2004, 2020))


def test_codes_mapping_to_one_concept_are_never_added_up(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    path = write_tsv(
        tmp_path / "crim_thb_vctz.tsv",
        CRIM_HEADER,
        [
            "NR,T,TOTAL,EU27_2020_FOR,VICT,LT\t10 \t9 \t8 ",
            "NR,T,TOTAL,EU28_FOR,VICT,LT\t11 \t10 \t9 ",
            "NR,T,TOTAL,NAT,VICT,LT\t30 \t31 \t32 ",
        ],
    )
    summary = get_importer("eurostat").run(db, settings, path)
    assert summary.rows_stored == 9 and any("kept apart" in n for n in summary.notes)
    assert not any("summed" in n for n in summary.notes)
    rows = query_observations(db, build_query(indicator="victims", country="LT", by="citizenship"))
    assert {r["citizenship"] for r in rows} == {"country-group:nationals"}
