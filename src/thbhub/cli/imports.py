"""`thbhub import ...`: bring data files in.  (The statistics area adds its own commands
to this group; the case-records command lives in cli/cases.py.)"""

from __future__ import annotations

import typer

from thbhub.cli import cases

app = typer.Typer(help="Import data files.", no_args_is_help=True)
app.command("cases")(cases.import_cases)
