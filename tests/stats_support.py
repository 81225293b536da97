"""Small files in the published layouts, written by tests (GLOTIP CSV/Excel, Eurostat TSV)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import func, select

from thbhub.storage import Database
from thbhub.storage.schema import sources
from thbhub.storage.schema_stats import observations, stat_datasets

GLOTIP_HEADER = [
    "Iso3_code",
    "Country",
    "Region",
    "Subregion",
    "Indicator",
    "Dimension",
    "Category",
    "Sex",
    "Age",
    "Year",
    "Unit of measurement",
    "txtVALUE",
    "Source",
]

V = "Detected trafficking victims"


def glotip_row(
    iso: str,
    country: str,
    year: int,
    value: str,
    *,
    indicator: str = V,
    dimension: str = "Total",
    category: str = "Total",
    sex: str = "Total",
    age: str = "Total",
) -> list[str]:
    return [
        iso,
        country,
        "Europe",
        "Northern Europe",
        indicator,
        dimension,
        category,
        sex,
        age,
        str(year),
        "Counts",
        value,
        "GLOTIP",
    ]


def write_glotip_csv(
    path: Path, rows: Sequence[Sequence[str]], header: Sequence[str] = GLOTIP_HEADER
) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_glotip_xlsx(path: Path, rows: Sequence[Sequence[str]], stamp: str = "30/05/2023") -> Path:
    """The published layout: two metadata rows, the header on row 3, values as text."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "data_glotip_1"
    ws.append(["UNODC", "unodc_ddds@un.org"])
    ws.append([stamp])
    ws.append(GLOTIP_HEADER)
    for row in rows:
        ws.append(list(row))
    wb.save(path)
    return path


def write_tsv(path: Path, header: str, lines: Sequence[str]) -> Path:
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def counts(db: Database) -> tuple[int, int, int]:
    """(sources, datasets, observations): to show a failed import changed nothing."""
    with db.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(sources)).scalar_one(),
            conn.execute(select(func.count()).select_from(stat_datasets)).scalar_one(),
            conn.execute(select(func.count()).select_from(observations)).scalar_one(),
        )
