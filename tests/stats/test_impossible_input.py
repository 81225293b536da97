"""Files no publisher could have meant, for all three statistics importers, on both backends.

Each bad file is imported after a good release of the same source: it must be refused with
its file, row, column and rule, and leave the database (and the figures it serves) exactly
as they were.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stats_support import (
    GLOTIP_HEADER,
    counts,
    glotip_row,
    write_glotip_csv,
    write_glotip_xlsx,
    write_tsv,
)
from thbhub.domain.errors import Location, ValidationError
from thbhub.ingest.registry import get_importer
from thbhub.settings import Settings
from thbhub.stats.query import build_query, query_observations
from thbhub.storage import Database

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
HUGE = "1" * 400  # read as a float: inf
POP_HEADER = "indic_de,geo\\time\t2019 \t2020 "


def _glotip(tmp_path: Path, name: str, value: str = "12", year: int = 2019, **kw: Any) -> Path:
    rows = [glotip_row("FIN", "Finland", 2018, "7"), glotip_row("FIN", "Finland", year, value)]
    return write_glotip_csv(tmp_path / name, rows, **kw)


def _eurostat(tmp_path: Path, name: str, cell: str = "5533793 ", header: str = POP_HEADER) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    return write_tsv(folder / "tps00001.tsv", header, ["JAN,FI\t5525292 \t" + cell])


def _mapped(tmp_path: Path, name: str, line: str = "2021;Vīrieši;Kopā;5;") -> Path:
    lines = (EXAMPLES / "lv-victims.csv").read_text(encoding="utf-8").splitlines()
    lines[3] = line  # row 4: 2021;Vīrieši;Kopā;<3;
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _options(tmp_path: Path, importer: str) -> dict[str, Any]:
    if importer != "csv":
        return {"table": "tps00001"} if importer == "eurostat" else {}
    mapping = tmp_path / "lv.yaml"
    shutil.copy(EXAMPLES / "lv-victims.mapping.yaml", mapping)
    return {"mapping": str(mapping)}


def _served(db: Database) -> list[tuple[Any, ...]]:
    rows = query_observations(db, build_query())
    return sorted((r["country"], r["year"], r["status"], r["value"]) for r in rows)


def refused_after_a_good_release(
    db: Database,
    settings: Settings,
    tmp_path: Path,
    importer: str,
    good: Path,
    bad: Path,
) -> ValidationError:
    options = _options(tmp_path, importer)
    get_importer(importer).run(db, settings, good, options=options)
    before, served = counts(db), _served(db)
    with pytest.raises(ValidationError) as err:
        get_importer(importer).run(db, settings, bad, options=options)
    assert counts(db) == before and _served(db) == served
    assert "\n" not in str(err.value)
    return err.value


Make = Callable[[Path, str], Path]

CASES: list[tuple[str, Make, int, str, str]] = [
    # importer, the bad file, row, column, rule
    ("glotip", lambda t, n: _glotip(t, n, value="-5"), 3, "txtVALUE", "negative value"),
    ("glotip", lambda t, n: _glotip(t, n, value="-1,282"), 3, "txtVALUE", "negative value"),
    ("glotip", lambda t, n: _glotip(t, n, value=HUGE), 3, "txtVALUE", "too large"),
    ("glotip", lambda t, n: _glotip(t, n, year=0), 3, "Year", "year out of range 1900-2100"),
    ("eurostat", lambda t, n: _eurostat(t, n, "-123 "), 2, "2020", "negative value"),
    ("eurostat", lambda t, n: _eurostat(t, n, "-123 e"), 2, "2020", "negative value"),
    ("eurostat", lambda t, n: _eurostat(t, n, HUGE + " "), 2, "2020", "too large"),
    (
        "eurostat",
        lambda t, n: _eurostat(t, n, header="indic_de,geo\\time\t2019 \t0000 "),
        1,
        "0000 ",
        "year out of range 1900-2100",
    ),
    ("csv", lambda t, n: _mapped(t, n, "2021;Vīrieši;Kopā;-24;"), 4, "Cietušie", "negative"),
    ("csv", lambda t, n: _mapped(t, n, f"2021;Vīrieši;Kopā;{HUGE};"), 4, "Cietušie", "too large"),
    ("csv", lambda t, n: _mapped(t, n, "0;Vīrieši;Kopā;5;"), 4, "Gads", "year out of range"),
    ("csv", lambda t, n: _mapped(t, n, "99999;Vīrieši;Kopā;5;"), 4, "Gads", "year out of range"),
    ("csv", lambda t, n: _mapped(t, n, f"{HUGE};Vīrieši;Kopā;5;"), 4, "Gads", "year out of"),
]


@pytest.mark.parametrize(("importer", "make", "row", "column", "rule"), CASES)
def test_impossible_figures_are_refused_and_change_nothing(
    db: Database,
    settings: Settings,
    tmp_path: Path,
    importer: str,
    make: Make,
    row: int,
    column: str,
    rule: str,
) -> None:
    good = {"glotip": _glotip, "eurostat": _eurostat, "csv": _mapped}[importer](tmp_path, "good")
    bad = make(tmp_path, "bad")
    err = refused_after_a_good_release(db, settings, tmp_path, importer, good, bad)
    assert err.location.file == bad.name
    assert (err.location.row, err.location.column) == (row, column)
    assert rule in err.rule
    assert len(str(err)) < 300  # a 400-digit cell is not echoed in full


def test_suppressed_bounds_in_a_mapping_must_be_counts(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    options = _options(tmp_path, "csv")
    mapping = Path(options["mapping"])
    text = mapping.read_text(encoding="utf-8")
    mapping.write_text(text.replace('{"<3": [0, 2]}', '{"<3": [-3, 2]}'), encoding="utf-8")
    before = counts(db)
    with pytest.raises(ValidationError, match="negative value") as err:
        get_importer("csv").run(db, settings, _mapped(tmp_path, "a.csv"), options=options)
    assert err.value.location.file == "lv.yaml"
    assert err.value.location.column == "cells.suppressed.<3"
    assert counts(db) == before


def _glotip_xlsx_dup(tmp_path: Path, name: str) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "data_glotip_1"
    ws.append(["UNODC"])
    ws.append(["30/05/2023"])
    ws.append([*GLOTIP_HEADER, "Year"])
    ws.append([*glotip_row("FIN", "Finland", 2019, "12"), "1999"])
    path = tmp_path / f"{name}.xlsx"
    wb.save(path)
    return path


def _sdmx_dup(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}_crim_thb_vctz.csv"
    path.write_text(
        "DATAFLOW,LAST UPDATE,freq,unit,sex,age,citizen,leg_stat,geo,TIME_PERIOD,OBS_VALUE,"
        "OBS_VALUE\n"
        "ESTAT:CRIM_THB_VCTZ(1.0),12/05/24 23:00:00,A,NR,T,TOTAL,TOTAL,VICT,FI,2021,88,3\n",
        encoding="utf-8",
    )
    return path


DUPLICATES: list[tuple[str, Make, str, tuple[int, int], int, str | None]] = [
    # importer, the file, repeated column, its positions, header row, sheet
    (
        "glotip",
        lambda t, n: _glotip(t, n, header=[*GLOTIP_HEADER, "Year"]),
        "Year",
        (10, 14),
        1,
        None,
    ),
    ("glotip", _glotip_xlsx_dup, "Year", (10, 14), 3, "data_glotip_1"),
    (
        "eurostat",
        lambda t, n: _eurostat(t, n, header="indic_de,geo\\time\t2019 \t2019 "),
        "2019",
        (2, 3),
        1,
        None,
    ),
    ("eurostat", _sdmx_dup, "OBS_VALUE", (11, 12), 1, None),
    (
        "csv",
        lambda t, n: _replace_header(_mapped(t, n), "Piezīmes", "Cietušie"),
        "Cietušie",
        (4, 5),
        1,
        None,
    ),
]


def _replace_header(path: Path, old: str, new: str) -> Path:
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0].replace(old, new)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("importer", "make", "column", "positions", "row", "sheet"), DUPLICATES)
def test_a_repeated_header_name_is_refused(
    db: Database,
    settings: Settings,
    tmp_path: Path,
    importer: str,
    make: Make,
    column: str,
    positions: tuple[int, int],
    row: int,
    sheet: str | None,
) -> None:
    good = {"glotip": _glotip, "eurostat": _eurostat, "csv": _mapped}[importer](tmp_path, "good")
    bad = make(tmp_path, "bad")
    err = refused_after_a_good_release(db, settings, tmp_path, importer, good, bad)
    assert err.location == Location(bad.name, sheet, row, column)
    assert f"repeated in the header (columns {positions[0]} and {positions[1]})" in err.rule


def _sdmx_header_only(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}_crim_thb_vctz.csv"
    path.write_text(
        "DATAFLOW,LAST UPDATE,freq,unit,sex,age,citizen,leg_stat,geo,TIME_PERIOD,OBS_VALUE\n",
        encoding="utf-8",
    )
    return path


def _header_only(path: Path) -> Path:
    header = path.read_text(encoding="utf-8").splitlines()[0]
    path.write_text(header + "\n;;;;\n\n", encoding="utf-8")
    return path


HEADER_ONLY: list[tuple[str, Make]] = [
    ("glotip", lambda t, n: write_glotip_csv(t / f"{n}.csv", [])),
    ("glotip", lambda t, n: write_glotip_xlsx(t / f"{n}.xlsx", [])),
    ("glotip", lambda t, n: write_glotip_csv(t / f"{n}.csv", [[""] * len(GLOTIP_HEADER)] * 3)),
    ("eurostat", lambda t, n: write_tsv(t / f"{n}_tps00001.tsv", POP_HEADER, ["", ""])),
    ("eurostat", _sdmx_header_only),
    ("csv", lambda t, n: _header_only(_mapped(t, n))),
]


@pytest.mark.parametrize(("importer", "make"), HEADER_ONLY)
def test_a_header_without_rows_is_refused(
    db: Database, settings: Settings, tmp_path: Path, importer: str, make: Make
) -> None:
    good = {"glotip": _glotip, "eurostat": _eurostat, "csv": _mapped}[importer](tmp_path, "good")
    bad = make(tmp_path, "bad")
    err = refused_after_a_good_release(db, settings, tmp_path, importer, good, bad)
    assert str(err) == f"{bad.name}: no rows under the header; nothing was stored"
