"""`thbhub estimate`: the number of victims no list saw, from overlapping lists
(docs/estimation.md)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import typer

from thbhub.access.users import find_organisation, operator
from thbhub.cli.context import state
from thbhub.cli.output import Format, FormatOption, emit, info
from thbhub.domain.errors import UserError
from thbhub.domain.principals import PUBLIC, Principal, Role
from thbhub.estimation import linkage, project_estimates
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
    ctx: typer.Context,
    input_file: Path | None = typer.Option(
        None,
        "--input",
        help="A CSV file: one 0/1 column per list and a count column (docs/estimation.md).",
    ),
    project: str | None = typer.Option(
        None,
        "--project",
        help="Instead of --input: a linkage project's own case records (thbhub linkage).",
    ),
    org: str | None = typer.Option(
        None,
        "--org",
        help="With --project: act as this member organisation (its members see the overlap "
        "table); without it, what the public sees.",
    ),
    year: int | None = typer.Option(None, "--year", help="With --project: one year only."),
    form: str | None = typer.Option(
        None,
        "--form",
        help="With --project: one form of exploitation only (e.g. form:labour-exploitation).",
    ),
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
    if (input_file is None) == (project is None):
        raise UserError("give either --input TABLE.csv or --project NAME")
    if project is not None:
        if method != STEPWISE:
            raise UserError("--project estimates use the stepwise method")
        found = project_estimates.project_estimate(
            state(ctx).db(),
            state(ctx).settings(),
            _acting(ctx, org),
            project,
            year=year,
            form=form,
            threshold=threshold,
            n_boot=n_boot,
            seed=seed,
        )
        emit(found if fmt is Format.json else _flat(found), fmt)
        return
    if year is not None or form is not None or org is not None:
        raise UserError("--year, --form and --org go with --project")
    assert input_file is not None
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


def _flat(found: dict[str, Any]) -> dict[str, Any]:
    """A project estimate for the table and csv formats: lists as text."""
    return {
        k: "; ".join(map(str, v)) if isinstance(v, list) and k != "table" else v
        for k, v in found.items()
        if k not in ("table", "list_sizes")
    } | {f"on {k}": v for k, v in found.get("list_sizes", {}).items()}


def _acting(ctx: typer.Context, org: str | None) -> Principal:
    """The operator, as a contributor of ``org`` when given (else as the public sees)."""
    if org is None:
        return PUBLIC
    with state(ctx).db().connect() as conn:
        found = find_organisation(conn, org)
    return operator(Role.contributor, found["id"])


linkage_app = typer.Typer(
    help="Linkage projects: organisations that agree count persons across their lists for "
    "an estimate of the hidden number (docs/estimation.md).",
    no_args_is_help=True,
)
PROJECT_COLUMNS = ("name", "purpose", "valid_until", "active", "public_by", "owner", "members")


def _project_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "members": ", ".join(m["organisation"] for m in row["members"]),
        "public_by": ",".join(row["public_by"]) or "none",
    }


@linkage_app.command("create")
def linkage_create(
    ctx: typer.Context,
    name: str,
    org: str = typer.Option(..., "--org", help="The first member organisation (opts in)."),
    purpose: str = typer.Option(..., "--purpose", help="Why the lists are counted together."),
    until: datetime = typer.Option(
        ..., "--until", formats=["%Y-%m-%d"], help="Last day of the project (YYYY-MM-DD)."
    ),
    public_by: str = typer.Option(
        "year,form",
        "--public-by",
        help="The filters the public estimate may use, fixed for the project: year,form, "
        "year, form or none (fewer splits keep the whole project's estimate public when "
        "some slices are small).",
    ),
    fmt: FormatOption = Format.table,
) -> None:
    """Start a linkage project on behalf of its first member organisation."""
    splits = () if public_by.strip() == "none" else tuple(public_by.replace(" ", "").split(","))
    row = linkage.create(
        state(ctx).db(), _acting(ctx, org), name, purpose, until.date(), public_by=splits
    )
    emit(row if fmt is Format.json else _project_row(row), fmt, columns=PROJECT_COLUMNS)
    info("records imported from now on get the project's linkage key; re-import earlier ones")


@linkage_app.command("join")
def linkage_join(
    ctx: typer.Context,
    name: str,
    org: str = typer.Option(..., "--org", help="The organisation that opts in."),
    fmt: FormatOption = Format.table,
) -> None:
    """Opt an organisation in to a linkage project (its purpose and end date)."""
    row = linkage.join(state(ctx).db(), _acting(ctx, org), name)
    emit(row if fmt is Format.json else _project_row(row), fmt, columns=PROJECT_COLUMNS)
    info("records imported from now on get the project's linkage key; re-import earlier ones")


@linkage_app.command("leave")
def linkage_leave(
    ctx: typer.Context,
    name: str,
    org: str = typer.Option(..., "--org", help="The member organisation that leaves."),
    fmt: FormatOption = Format.table,
) -> None:
    """Take an organisation out of a linkage project: its linkage keys are deleted, its
    records no longer count, its staff lose the members' view."""
    row = linkage.leave(state(ctx).db(), _acting(ctx, org), name)
    emit(row if fmt is Format.json else _project_row(row), fmt, columns=PROJECT_COLUMNS)


@linkage_app.command("end")
def linkage_end(
    ctx: typer.Context,
    name: str,
    org: str | None = typer.Option(
        None,
        "--org",
        help="Act as a contributor of this organisation (the project's owner); without it, "
        "as an administrator of the secretariat.",
    ),
    fmt: FormatOption = Format.table,
) -> None:
    """End a linkage project now: every linkage key is deleted, no estimate is given."""
    who = operator() if org is None else _acting(ctx, org)
    row = linkage.end(state(ctx).db(), who, name)
    emit(row if fmt is Format.json else _project_row(row), fmt, columns=PROJECT_COLUMNS)


@linkage_app.command("list")
def linkage_list(ctx: typer.Context, fmt: FormatOption = Format.table) -> None:
    """Linkage projects with their purpose, end date and members."""
    rows = linkage.list_projects(state(ctx).db(), operator())
    emit(
        rows if fmt is Format.json else [_project_row(r) for r in rows],
        fmt,
        columns=PROJECT_COLUMNS,
    )


def register(app_root: typer.Typer) -> None:
    app_root.add_typer(app, name="estimate")
    app_root.add_typer(linkage_app, name="linkage")
