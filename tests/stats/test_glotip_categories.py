"""Different source categories are never added up; only a key the source repeats is summed
(issue 12, section 3).  Through the CLI, on both backends, and on the full GLOTIP release."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from alembic import command
from sqlalchemy import insert
from typer.testing import CliRunner

from stats_support import glotip_row, write_glotip_csv
from support import make_settings, shared_file
from thbhub.cli import app as cli_app
from thbhub.hub import init_hub
from thbhub.ingest.sample import file_checksum
from thbhub.storage import Database
from thbhub.storage.migrate import _config
from thbhub.storage.schema import sources
from thbhub.storage.schema_stats import observations, stat_datasets

CITIZENSHIP = {"dimension": "by citizenship"}
REPATRIATION = {"dimension": "by country of repatriation"}


def _cli(db_url: str, *args: str) -> Any:
    return CliRunner().invoke(cli_app, ["--db", db_url, *args])


def _query(db_url: str, *args: str) -> list[dict[str, Any]]:
    result = _cli(db_url, "query", "observations", *args, "-f", "json")
    assert result.exit_code == 0, result.stderr
    return list(json.loads(result.stdout))


def _by_category(rows: list[dict[str, Any]]) -> dict[str, tuple[str, float | None]]:
    """source category -> (status, value), from each row's own label."""
    return {
        r["source_label"].split(": ", 1)[1].split(" | ")[0]: (r["status"], r["value"]) for r in rows
    }


def test_categories_resolved_to_one_concept_are_not_added_up(
    db_url: str, cli_env: Path, tmp_path: Path
) -> None:
    bolivia = "Bolivia (Plurinational State of)"
    path = write_glotip_csv(
        tmp_path / "glotip.csv",
        [
            # Bolivia 2018 as published: Sin determinar 26 and an unnamed category of 332.
            glotip_row("BOL", bolivia, 2018, "332"),
            glotip_row("BOL", bolivia, 2018, "26", category="Sin determinar", **CITIZENSHIP),
            glotip_row("BOL", bolivia, 2018, "332", category="", **CITIZENSHIP),
            # The United Kingdom 2019: Nationality 16 beside Unknown 62.
            glotip_row("GBR", "United Kingdom", 2019, "16", category="Nationality", **CITIZENSHIP),
            glotip_row("GBR", "United Kingdom", 2019, "62", category="Unknown", **CITIZENSHIP),
            # The Dominican Republic 2020, by country of repatriation: Unknown and unnamed.
            glotip_row("DOM", "Dominican Republic", 2020, "<5", category="Unknown", **REPATRIATION),
            glotip_row("DOM", "Dominican Republic", 2020, "<5", category="", **REPATRIATION),
            # Two codes the taxonomy maps to one concept (unknown): kept apart, not summed...
            glotip_row("PER", "Peru", 2019, "7", category="Sin determinar", **CITIZENSHIP),
            glotip_row("PER", "Peru", 2019, "3", category="Unknown", **CITIZENSHIP),
            # ... while a key the source itself repeats is still summed, its parts kept.
            glotip_row("ECU", "Ecuador", 2019, "4", category="Unknown", **CITIZENSHIP),
            glotip_row("ECU", "Ecuador", 2019, "5", category="Unknown", **CITIZENSHIP),
        ],
    )
    result = _cli(db_url, "import", "glotip", str(path))
    assert result.exit_code == 0, result.stderr
    assert "1 keys repeated" in result.stderr and "2 cells whose different" in result.stderr

    bo = _query(db_url, "-c", "BO", "--by", "citizenship")
    assert {r["citizenship"]: r["value"] for r in bo} == {
        "country-group:unknown": 26,
        "country-group:not-named": 332,
    }
    gb = _query(db_url, "-c", "GB", "--by", "citizenship")
    assert {r["citizenship"]: r["value"] for r in gb} == {
        "country-group:unknown": 62,
        "country-group:not-named": 16,
    }
    do = _query(db_url, "-c", "DO", "--by", "repatriation")
    assert {r["repatriation"]: r["status"] for r in do} == {
        "country-group:unknown": "suppressed",
        "country-group:not-named": "suppressed",
    }
    assert all(r["upper"] == 4 for r in do)  # never 0-8, a sum of two hidden cells
    # Peru's two categories: neither is "the" unknown, and no 10 exists anywhere.
    assert _query(db_url, "-c", "PE", "--by", "citizenship") == []
    for category, value in (("Sin determinar", 7), ("Unknown", 3)):
        codes = f"codes=by citizenship: {category} | Total | Total"
        rows = _query(db_url, "-c", "PE", "--by", "citizenship", "--extra", codes)
        assert [(r["citizenship"], r["value"]) for r in rows] == [("country-group:unknown", value)]
    ec = _query(db_url, "-c", "EC", "--by", "citizenship")
    assert [(r["value"], r["flags"]) for r in ec] == [(9, ["summed"])]
    parts = [
        _query(db_url, "-c", "EC", "--by", "citizenship", "--extra", f"part={i}") for i in (1, 2)
    ]
    assert [p[0]["value"] for p in parts] == [4, 5]


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_full_release_adds_up_only_what_the_source_repeats(db_url: str, cli_env: Path) -> None:
    """Every cell of the full release by citizenship, repatriation and form, through the CLI:
    a summed cell is made of one source category only, and the number of summed cells is the
    number of keys the file itself repeats (counted here from the file, 336)."""
    path = shared_file("unodc-glotip/data_glotip.xlsx")
    result = _cli(db_url, "import", "glotip", str(path))
    assert result.exit_code == 0, result.stderr
    sheet = pl.read_excel(path, engine="calamine", read_options={"header_row": 2}).select(
        pl.all().cast(pl.String).fill_null("").str.strip_chars()
    )
    key = ["Iso3_code", "Country", "Indicator", "Dimension", "Category", "Sex", "Age", "Year"]
    repeated = sheet.group_by(key).len().filter(pl.col("len") > 1).height
    assert repeated == 336
    assert f"{repeated} keys repeated in the file" in " ".join(result.stderr.split())
    summed = 0
    for dim in ("citizenship", "repatriation", "form"):
        for more in ("", ",sex", ",age", ",sex,age"):
            rows = _query(db_url, "--by", dim + more)
            assert all(" + " not in r["source_label"] for r in rows), dim + more
            summed += sum("summed" in r["flags"] for r in rows)
    for more in ("", "sex", "age", "sex,age"):
        rows = _query(db_url, *(["--by", more] if more else []))
        summed += sum("summed" in r["flags"] for r in rows)
    assert summed == repeated
    # The cases the issue names, each category as the file has it.
    cases = [
        ("BO", 2018, "victims", "citizenship", {"Sin determinar": 26, "": 332}),
        ("BO", 2019, "victims", "citizenship", {"Sin determinar": 28, "": 373}),
        ("BO", 2020, "victims", "citizenship", {"Sin determinar": 16, "": 305}),
        ("GB", 2019, "victims", "citizenship", {"Nationality": 16, "Unknown": 62}),
        ("GB", 2020, "victims", "citizenship", {"Nationality": 14, "Unknown": 63}),
        ("US", 2017, "victims", "citizenship", {"Nationality": 173, "Unknown": 20}),
        ("US", 2018, "victims", "citizenship", {"Nationality": 197, "Unknown": 15}),
        ("SA", 2020, "convicted", "citizenship", {"Nationality": 7, "Unknown": None}),
        ("DO", 2020, "victims", "repatriation", {"Unknown": None, "": None}),
    ]
    for country, year, indicator, dim, expected in cases:
        rows = _query(db_url, "-i", indicator, "-c", country, "--year", str(year), "--by", dim)
        got = _by_category(rows)
        assert {c: got[c][1] for c in expected} == expected, (country, year)
        if None not in expected.values():
            # The old answer (Bolivia 2018: 358, above its published total of 332) is gone.
            assert sum(v or 0 for v in expected.values()) not in {v for _, v in got.values()}


def test_cells_stored_before_are_put_right_by_the_migration(
    empty_db_url: str, db_url: str, tmp_path: Path, cli_env: Path
) -> None:
    """Migration stats_0003 turns GLOTIP cells as the earlier importer stored them (a sum of
    two categories, "others" as the whole group) into what an import stores now: the
    upgraded database answers exactly as a fresh import of the same rows."""
    bolivia = "Bolivia (Plurinational State of)"
    rows = [
        glotip_row("BOL", bolivia, 2018, "332"),
        glotip_row("BOL", bolivia, 2018, "26", category="Sin determinar", **CITIZENSHIP),
        glotip_row("BOL", bolivia, 2018, "332", category="", **CITIZENSHIP),
        glotip_row("DEU", "Germany", 2019, "8", category="EU-28 others", **CITIZENSHIP),
        glotip_row("DOM", "Dominican Republic", 2020, "<5", category="Unknown", **REPATRIATION),
        glotip_row("DOM", "Dominican Republic", 2020, "<5", category="", **REPATRIATION),
    ]
    path = write_glotip_csv(tmp_path / "glotip.csv", rows)
    assert _cli(db_url, "import", "glotip", str(path)).exit_code == 0

    old = Database(empty_db_url)
    try:
        command.upgrade(_config(old), "stats_0002")
        at = datetime(2026, 11, 1, tzinfo=UTC)
        with old.begin() as conn:
            source_id = conn.execute(
                insert(sources).returning(sources.c.id),
                {
                    "key": "unodc-glotip",
                    "publisher": "UNODC",
                    "title": "GLOTIP",
                    "checksum": file_checksum(path),
                    "registered_at": at,
                },
            ).scalar_one()
            dataset = conn.execute(
                insert(stat_datasets).returning(stat_datasets.c.id),
                {
                    "source_id": source_id,
                    "source_key": "unodc-glotip",
                    "importer": "glotip",
                    "file_name": path.name,
                    "imported_at": at,
                    "rows_read": 6,
                    "rows_stored": 10,
                    "summary": {},
                    "file_checksum": file_checksum(path),
                },
            ).scalar_one()
            v = "Detected trafficking victims"
            cit, rep = f"{v} | by citizenship: ", f"{v} | by country of repatriation: "
            unknown, suppressed = "country-group:unknown", ("suppressed", None, 0.0, 4.0)

            def cell(
                country: str,
                row: int | None,
                citizenship: str,
                extra: str,
                status: tuple[str, float | None, float, float],
                flags: str,
                label: str,
            ) -> dict[str, Any]:
                return {
                    "dataset_id": dataset,
                    "source_key": "unodc-glotip",
                    "indicator": "indicator:victims",
                    "country": country,
                    "year": {"BO": 2018, "DE": 2019, "DO": 2020}[country],
                    "sex": "total",
                    "age": "total",
                    "form": "total",
                    "citizenship": citizenship,
                    "extra": extra,
                    "status": status[0],
                    "value": status[1],
                    "lower": status[2],
                    "upper": status[3],
                    "flags": flags,
                    "label": label,
                    "sheet": None,
                    "source_row": row,
                    "current": True,
                }

            n = ("number",)
            conn.execute(
                insert(observations),
                [
                    cell(
                        "BO",
                        2,
                        "total",
                        "",
                        (*n, 332.0, 332.0, 332.0),
                        "",
                        f"{v} | Total: Total | Total | Total",
                    ),
                    # The old sum of two categories, and its parts.
                    cell(
                        "BO",
                        3,
                        unknown,
                        "",
                        (*n, 358.0, 358.0, 358.0),
                        "summed",
                        f"{cit}Sin determinar | Total | Total + {cit} | Total | Total",
                    ),
                    cell(
                        "BO",
                        3,
                        unknown,
                        "part=1",
                        (*n, 26.0, 26.0, 26.0),
                        "",
                        f"{cit}Sin determinar | Total | Total",
                    ),
                    cell(
                        "BO",
                        4,
                        unknown,
                        "part=2",
                        (*n, 332.0, 332.0, 332.0),
                        "",
                        f"{cit} | Total | Total",
                    ),
                    cell(
                        "DE",
                        5,
                        "country-group:eu28",
                        "",
                        (*n, 8.0, 8.0, 8.0),
                        "",
                        f"{cit}EU-28 others | Total | Total",
                    ),
                    cell(
                        "DO",
                        6,
                        "total",
                        f"repatriation={unknown}",
                        ("suppressed", None, 0.0, 8.0),
                        "summed",
                        f"{rep}Unknown | Total | Total + {rep} | Total | Total",
                    ),
                    cell(
                        "DO",
                        6,
                        "total",
                        f"repatriation={unknown};part=1",
                        suppressed,
                        "",
                        f"{rep}Unknown | Total | Total",
                    ),
                    cell(
                        "DO",
                        7,
                        "total",
                        f"repatriation={unknown};part=2",
                        suppressed,
                        "",
                        f"{rep} | Total | Total",
                    ),
                ],
            )
        init_hub(old, make_settings(tmp_path, empty_db_url))  # upgrades, installs concepts
    finally:
        old.dispose()
    for by in ("citizenship", "repatriation", "year"):
        fresh = _query(db_url, "--by", by)
        upgraded = _query(empty_db_url, "--by", by)
        assert upgraded == fresh and fresh, by
    assert [r["value"] for r in _query(empty_db_url, "-c", "BO", "--by", "citizenship")] == [
        332,
        26,
    ]
