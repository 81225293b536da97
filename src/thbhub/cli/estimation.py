"""`thbhub estimate`: the number of victims no list saw, from overlapping lists
(docs/estimation.md)."""

from __future__ import annotations

from pathlib import Path

import typer

from thbhub.cli.output import Format, FormatOption, emit
from thbhub.estimation.service import (
    DEFAULT_BOOTSTRAP,
    DEFAULT_SEED,
    DEFAULT_THRESHOLD,
    FIELDS,
    SENSITIVITY,
    STEPWISE,
    estimate,
    sensitivity,
)
from thbhub.estimation.table import read_table

app = typer.Typer(
    help="Multiple systems estimation: the hidden number from overlapping lists.",
    no_args_is_help=True,
)

InputOption = typer.Option(
    ...,
    "--input",
    help="A CSV file: one 0/1 column per list and a count column (docs/estimation.md).",
)


@app.command("mse")
def mse(
    input_file: Path = InputOption,
    threshold: float = typer.Option(
        DEFAULT_THRESHOLD, "--threshold", help="Add a two-list term while its p-value is below."
    ),
    n_boot: int = typer.Option(
        DEFAULT_BOOTSTRAP, "--bootstrap", help="Bootstrap replicates for the interval (0: none)."
    ),
    seed: int = typer.Option(
        DEFAULT_SEED, "--seed", help="Seed: the same seed, the same interval."
    ),
    method: str = typer.Option(
        STEPWISE, "--method", help="stepwise (SparseMSE) or main (main effects only)."
    ),
    fmt: FormatOption = Format.table,
) -> None:
    """The estimated total (seen and unseen) with its 95% interval."""
    table = read_table(input_file)
    result = estimate(table, threshold=threshold, n_boot=n_boot, seed=seed, method=method)
    record = result.as_dict()
    if fmt is Format.json:
        emit(record, fmt)
    else:
        flat = {
            **record,
            "interactions": " ".join(record["interactions"]),
            "warnings": "; ".join(record["warnings"]),
        }
        emit([flat] if fmt is Format.csv else flat, fmt, columns=FIELDS)


@app.command("sensitivity")
def sensitivity_command(
    input_file: Path = InputOption,
    fmt: FormatOption = Format.table,
) -> None:
    """The stepwise estimate at each threshold from 0 (main effects) to 0.2, so a reader sees
    how much the answer depends on that choice."""
    rows = sensitivity(read_table(input_file), SENSITIVITY)
    if fmt is Format.json:
        emit(rows, fmt)
    else:
        emit(
            [{**r, "interactions": " ".join(r["interactions"])} for r in rows],
            fmt,
            columns=("threshold", "estimate", "interactions"),
        )


def register(app_root: typer.Typer) -> None:
    app_root.add_typer(app, name="estimate")
