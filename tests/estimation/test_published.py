"""The five shared tables, run as a user runs them (`thbhub estimate mse`), against the
results their papers publish (read from ../shared/data/mse/README.md).

Tolerances: point estimates within 0.5% (the issue's bar; they agree to 0.01%), the
main-effects interval within 0.5% (it is a formula), and each BCa limit within 20% of the
published one: bootstrap limits depend on the random numbers (R's generator is not ours),
and over ten seeds of 1,000 replicates our New Orleans limits range 591–766 and
1,521–1,693 around the published 717–1,657 (docs/estimation.md has the table).
"""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from estimation_support import Published, published, shared_file
from thbhub.cli import app
from thbhub.estimation.samples import TABLES, table_path

runner = CliRunner()
POINT = 0.005
BCA = 0.20


def run_json(*args: str) -> dict:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _rows(kind: str) -> list[Published]:
    rows = [r for r in published() if r.estimate is not None]
    if kind == "main":
        return [r for r in rows if r.method.startswith("main effects")]
    return [r for r in rows if r.method.startswith("stepwise")]


def test_every_point_estimate_published_is_reproduced() -> None:
    stepwise = _rows("stepwise")
    assert {r.file for r in stepwise} == {"NewOrl.csv", "NewOrl_5.csv", "Korea.csv"}
    for row in stepwise:
        threshold = re.search(r"threshold ([\d.]+)", row.method)
        found = run_json(
            "estimate", "mse", "--input", str(shared_file(row.file)),
            "--threshold", threshold.group(1) if threshold else "0.02",
            "--bootstrap", "0", "--format", "json",
        )  # fmt: skip
        assert row.estimate is not None
        assert abs(found["estimate"] - row.estimate) <= POINT * row.estimate, (row, found)
        selects = re.search(r"selects ([\w:]+)", row.method)
        if selects:
            assert found["interactions"] == [selects.group(1)]
        if "no pair" in row.method:
            assert found["interactions"] == []


def test_main_effects_estimate_and_interval_match_the_paper() -> None:
    (row,) = _rows("main")
    found = run_json(
        "estimate", "mse", "--input", str(shared_file(row.file)), "--method", "main",
        "--format", "json",
    )  # fmt: skip
    assert row.estimate and row.low and row.high
    assert abs(found["estimate"] - row.estimate) <= POINT * row.estimate
    # The paper rounds the limits to whole cases.
    assert abs(found["ci_low"] - row.low) <= 1.0
    assert abs(found["ci_high"] - row.high) <= 1.0


@pytest.mark.parametrize("name", ["NewOrl.csv", "NewOrl_5.csv"])
def test_bca_interval_is_close_to_the_published_one(name: str) -> None:
    (row,) = [r for r in _rows("stepwise") if r.file == name and "BCa" in r.interval_kind]
    found = run_json(
        "estimate", "mse", "--input", str(shared_file(name)), "--bootstrap", "1000",
        "--seed", "1234", "--format", "json",
    )  # fmt: skip
    assert row.low and row.high
    assert abs(found["ci_low"] - row.low) <= BCA * row.low, found
    assert abs(found["ci_high"] - row.high) <= BCA * row.high, found
    assert found["ci_low"] < found["estimate"] < found["ci_high"]


def test_kosovo_stepwise_estimate_lies_in_the_published_interval() -> None:
    # Published for Kosovo: only an interval from another method (all-model BIC); the
    # stepwise estimate is not the same number but must not be far outside it.
    (row,) = [r for r in published() if r.file == "Kosovo.csv"]
    found = run_json(
        "estimate", "mse", "--input", str(shared_file("Kosovo.csv")), "--bootstrap", "0",
        "--format", "json",
    )  # fmt: skip
    assert row.low and row.high
    assert row.low <= found["estimate"] <= row.high


def test_bundled_tables_are_the_shared_files() -> None:
    for name in TABLES:
        assert table_path(name).read_bytes() == shared_file(name).read_bytes()
