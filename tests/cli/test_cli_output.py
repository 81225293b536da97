"""How the command's own output reads: help text reflowed to the terminal, and output cut
short by its reader (`| head`) ending quietly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from thbhub.cli import app
from thbhub.cli.helptext import reflow

runner = CliRunner()


def test_help_paragraphs_wrap_at_the_terminal_not_at_the_source_line() -> None:
    result = runner.invoke(app, ["cases", "quarantine", "--help"], terminal_width=60)
    assert result.exit_code == 0
    lines = [line.strip() for line in result.stdout.splitlines()]
    # The docstring breaks after "it;"; at 60 columns the sentence wraps elsewhere, so a
    # line ending in "it;" is the source's break leaking through.
    assert not any(line.endswith("it;") for line in lines)
    assert "(thb_QuarantineId)." in result.stdout


def test_reflow_keeps_laid_out_paragraphs() -> None:
    text = "First line\ngoes on.\n\nSteps:\n  1. one\n  2. two\n\n- a\n- b"
    assert reflow(text) == "First line goes on.\n\nSteps:\n  1. one\n  2. two\n\n- a\n- b"


@pytest.mark.parametrize("args", [["taxonomy", "list"], ["cases", "--help"]])
def test_a_reader_that_stops_early_gets_no_error_message(
    sqlite_template: Path, args: list[str]
) -> None:
    """`thbhub ... | head`: the reader has gone before the command writes, so every write
    meets a closed pipe; the command ends without a message or traceback."""
    env = {**os.environ, "THBHUB_DATABASE_URL": f"sqlite:///{sqlite_template}"}
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-c", "from thbhub.cli import main; raise SystemExit(main())", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            env=env,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    assert done.stderr.decode() == ""
    assert done.returncode == 1  # Click's exit code for a closed pipe
