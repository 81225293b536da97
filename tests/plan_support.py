"""Helpers of the plan monitor's tests: the `thbhub` command and files compared cell by cell."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from thbhub.cli import app
from thbhub.plan.sample import SAMPLE

runner = CliRunner()
__all__ = ["SAMPLE", "cells", "run", "sheets"]


def run(db_url: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", db_url, *args])
    return result.exit_code, result.stdout, result.stderr


def cells(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def sheets(directory: Path) -> dict[str, list[list[str]]]:
    """Every CSV sheet of an exported directory, as rows of cells."""
    return {p.name: cells(p) for p in sorted(directory.glob("*.csv"))}
