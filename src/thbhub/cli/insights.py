"""`thbhub insights profile|means|journeys|recruiters|compute`: insights from case records,
every number through the disclosure gate (docs/insights.md)."""

from __future__ import annotations

from typing import Any

import typer

from thbhub.access.users import operator
from thbhub.cli.context import state
from thbhub.cli.output import Format, FormatOption, emit
from thbhub.domain.principals import Principal, Role
from thbhub.insights import service
from thbhub.insights.lattices import NAMES, Lattices
from thbhub.privacy.release import resolve_organisation

insights_app = typer.Typer(
    help="Insights from case records (profiles, means of control, recruiters, journeys), "
    "through the disclosure gate.",
    no_args_is_help=True,
)

PROFILE_FIELDS = (
    "dimension",
    "value",
    "in_count",
    "in_share",
    "out_share",
    "ratio",
    "ci_low",
    "ci_high",
    "q",
    "status",
)


def _source(ctx: typer.Context, org: str | None) -> Lattices:
    cli = state(ctx)
    db = cli.db()
    principal: Principal | None = None
    org_id = None
    if org is not None:
        org_id = resolve_organisation(db, org)
        principal = operator(Role.analyst, org_id)
    return service.lattices(db, cli.settings(), principal, org_id)


OrgOpt = typer.Option(
    None, "--org", help="An organisation's own records, all of them (default: the public's)."
)
WhereOpt = typer.Option([], "--where", help="Filter, e.g. year=2019 (repeatable).")


def _emit(data: dict[str, Any], rows_key: str, fmt: Format, columns: tuple[str, ...]) -> None:
    if fmt is Format.json:
        emit(data, fmt)
    else:
        emit(data[rows_key], fmt, columns=columns if fmt is Format.table else None)


@insights_app.command("profile")
def profile_command(
    ctx: typer.Context,
    group: str = typer.Option(..., "--group", help="e.g. form=form:labour-exploitation."),
    org: str | None = OrgOpt,
    where: list[str] = WhereOpt,
    fmt: FormatOption = Format.table,
) -> None:
    """What is over- or under-represented in a group against the other records."""
    data = service.group_profile(_source(ctx, org), group, where)
    _emit(data, "comparisons", fmt, PROFILE_FIELDS)


@insights_app.command("means")
def means_command(
    ctx: typer.Context,
    form: str | None = typer.Option(None, "--form", help="e.g. form:labour-exploitation."),
    sector: str | None = typer.Option(None, "--sector", help="A sector concept."),
    org: str | None = OrgOpt,
    fmt: FormatOption = Format.table,
) -> None:
    """Which means of control go together (records listing each pair)."""
    data = service.means(_source(ctx, org), form, sector)
    _emit(data, "cells", fmt, ("means", "with", "count", "share_of_means", "status"))


@insights_app.command("recruiters")
def recruiters_command(
    ctx: typer.Context,
    by: str = typer.Option("form", "--by", help="form, sex, age or year."),
    field: str = typer.Option("recruiter", "--field", help="recruiter, means or sector."),
    org: str | None = OrgOpt,
    where: list[str] = WhereOpt,
    fmt: FormatOption = Format.table,
) -> None:
    """Recruiter relations (or means of control, sectors) by form, sex, age or year."""
    data = service.breakdown(_source(ctx, org), field, by, where)
    _emit(data, "rows", fmt, (by, field, "count", "recorded", "share", "status"))


@insights_app.command("journeys")
def journeys_command(
    ctx: typer.Context,
    org: str | None = OrgOpt,
    where: list[str] = WhereOpt,
    limit: int = typer.Option(50, "--limit", min=1, max=1000),
    fmt: FormatOption = Format.table,
) -> None:
    """Citizenship -> country of exploitation, the largest flows first."""
    data = service.journeys(_source(ctx, org), where, limit)
    _emit(data, "flows", fmt, ("citizenship", "country", "count", "domestic"))


@insights_app.command("compute")
def compute_command(
    ctx: typer.Context,
    org: str | None = OrgOpt,
    fmt: FormatOption = Format.table,
) -> None:
    """Compute and store the lattices of the current data version now (the web server's
    background thread does it for the public after a publication); one line per lattice on
    stderr as it is done.  Lattices stored for this version already are read, not redone."""
    source = _source(ctx, org)
    done: list[dict[str, Any]] = []

    def progress(name: str, seconds: float, outcome: str) -> None:
        typer.echo(f"{name:25} {seconds:7.1f} s  {outcome}", err=True)
        done.append({"lattice": name, "seconds": round(seconds, 2), "outcome": outcome})

    typer.echo(
        f"computing {len(NAMES)} lattices for "
        f"{'the public' if source.audience == 'public' else 'organisation ' + str(org)}",
        err=True,
    )
    source.refresh(progress)
    emit(done, fmt, columns=("lattice", "seconds", "outcome") if fmt is Format.table else None)
