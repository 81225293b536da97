"""The bundled GLOTIP extract read independently of the importer (csv module only), and
loaded into a test database through `thbhub import glotip`, as a user does."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from typing import Any

from typer.testing import CliRunner

from thbhub.cli import app
from thbhub.ingest.sample import sample_dir

BUNDLED = sample_dir() / "unodc_glotip_bsr.csv"
ISO2 = {
    "DEU": "DE", "DNK": "DK", "EST": "EE", "FIN": "FI", "ISL": "IS",
    "LTU": "LT", "LVA": "LV", "NOR": "NO", "POL": "PL", "SWE": "SE",
}  # fmt: skip
VICTIMS = "Detected trafficking victims"
runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def run_json(*args: str) -> Any:
    code, out, err = run(*args, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def load_bundled(db_url: str) -> None:
    code, _, err = run("--db", db_url, "import", "glotip", str(BUNDLED))
    assert code == 0, err


def source_rows() -> list[dict[str, str]]:
    """Every data row of the bundled file, with its file row number (header is row 1)."""
    with BUNDLED.open(encoding="utf-8-sig", newline="") as fh:
        return [{**r, "_row": str(i)} for i, r in enumerate(csv.DictReader(fh), start=2)]


def key(r: dict[str, str]) -> tuple[str, ...]:
    return tuple(
        r[c] for c in ("Iso3_code", "Indicator", "Dimension", "Category", "Sex", "Age", "Year")
    )


def by_key() -> dict[tuple[str, ...], list[dict[str, str]]]:
    """Rows by their key: a key the file repeats has several rows (summed on import)."""
    out: dict[tuple[str, ...], list[dict[str, str]]] = defaultdict(list)
    for r in source_rows():
        out[key(r)].append(r)
    return out


def value(text: str) -> float | None:
    """A txtVALUE as a number; None for the suppression marker `<5`."""
    return None if text.strip() == "<5" else float(text.replace(",", ""))
