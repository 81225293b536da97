"""`thbhub shares`, `thbhub flows` and `thbhub compare`: shares of victims with intervals,
flows from citizenship to the detecting country, and what is not comparable between
countries (docs/trends.md, "Shares, flows and comparability")."""

from __future__ import annotations

import typer

from thbhub.analytics.comparability import NOTE_FIELDS, comparability
from thbhub.analytics.flows import FLOW_FIELDS, flows
from thbhub.analytics.service import flat
from thbhub.analytics.shares import ROW_FIELDS, SHARE_DIMENSIONS, flat_rows, share_report
from thbhub.cli.context import state
from thbhub.cli.output import Format, FormatOption, emit

TABLE_SHARE_FIELDS = ("country", "year", "by", "label", "count", "share %", "95% CI %", "of")
TABLE_FLOW_FIELDS = ("rank", "origin_label", "destination", "years", "shown", "domestic")


def _split(values: list[str]) -> list[str]:
    return [p.strip() for v in values for p in v.split(",") if p.strip()]


def _span(low: object, high: object) -> str:
    if low is None or high is None:
        return "n/a"
    return f"{low:g}" if low == high else f"{low:g}-{high:g}"


def _shown(r: dict[str, object]) -> dict[str, object]:
    """A share row for the terminal: a count or its range, the share or its range."""
    count = _span(r["lower"], r["upper"])
    if r["count"] is None:
        count += f" ({r['status']})"
    of = r["denominator"]
    return {
        **r,
        "count": count,
        "share %": _span(r["share_low"], r["share_high"]),
        "95% CI %": _span(r["ci_low"], r["ci_high"]),
        "of": f"{of} {_span(r['denominator_low'], r['denominator_high'])}",
    }


def _notes(notes: list[dict[str, object]] | list[str]) -> None:
    """Notes under a table, on stderr so that stdout stays the table."""
    for n in notes:
        text = n if isinstance(n, str) else f"[{n['kind']}] {n['text']} ({n['attribution']})"
        typer.echo(f"note: {text}", err=True)


def shares_command(
    ctx: typer.Context,
    country: list[str] = typer.Option(
        [], "--country", "-c", help="ISO alpha-2 (e.g. LV), comma-separated; CBSS = the region."
    ),
    by: list[str] = typer.Option(
        [], "--by", help="sex, age, form, citizenship (comma-separated; default all four)."
    ),
    indicator: str = typer.Option("victims", "--indicator", "-i", help="e.g. victims."),
    year: int | None = typer.Option(None, "--year", help="One year (default: the latest)."),
    year_from: int | None = typer.Option(None, "--from", help="First year."),
    year_to: int | None = typer.Option(None, "--to", help="Last year."),
    method: str = typer.Option(
        "wilson", "--method", help="wilson (each share) or goodman (all shares at once)."
    ),
    fmt: FormatOption = Format.table,
) -> None:
    """Shares of victims by sex, age, form and citizenship with 95% intervals; suppressed
    cells as ranges; the denominator said (reported total or sum of parts)."""
    options = {
        "countries": _split(country),
        "by": _split(by) or list(SHARE_DIMENSIONS),
        "indicator": indicator,
        "year": year,
        "year_from": year_from,
        "year_to": year_to,
        "method": method,
    }
    report = share_report(state(ctx).db(), **options)
    if fmt is Format.json:
        emit(report, fmt)
        return
    records = flat_rows(report["tables"])
    if fmt is Format.csv:
        emit(records, fmt, columns=ROW_FIELDS)
    else:
        emit([_shown(r) for r in records], fmt, columns=TABLE_SHARE_FIELDS)
    _notes([n for t in report["tables"] for n in t["notes"]])
    _notes(report["comparability"])


def flows_command(
    ctx: typer.Context,
    country: list[str] = typer.Option(
        [], "--country", "-c", help="Detecting countries (default: the CBSS member states)."
    ),
    citizenship: list[str] = typer.Option([], "--citizenship", help="Only these, e.g. UA."),
    indicator: str = typer.Option("victims", "--indicator", "-i", help="e.g. victims."),
    year: int | None = typer.Option(None, "--year", help="One year (default: each latest)."),
    year_from: int | None = typer.Option(None, "--from", help="First year (flows summed)."),
    year_to: int | None = typer.Option(None, "--to", help="Last year."),
    origin: str = typer.Option(
        "citizenship", "--origin", help="citizenship, subregion or region (UN M49) of origin."
    ),
    fmt: FormatOption = Format.table,
) -> None:
    """Flows from the victims' citizenship to the country that detected them, ranked;
    suppressed cells shown as such (never 0). JSON adds a Sankey-ready nodes/links form."""
    result = flows(
        state(ctx).db(),
        countries=_split(country),
        citizenship=_split(citizenship),
        indicator=indicator,
        year=year,
        year_from=year_from,
        year_to=year_to,
        origin=origin,
    )
    if fmt is Format.json:
        emit(result.as_dict(), fmt)
        return
    cols = FLOW_FIELDS if fmt is Format.csv else TABLE_FLOW_FIELDS
    emit(flat(result.flows), fmt, columns=cols)
    _notes(result.notes)
    _notes(result.comparability)


def compare_command(
    ctx: typer.Context,
    countries: str = typer.Option(..., "--countries", help="Two or more, e.g. LV,LT."),
    indicator: str = typer.Option("victims", "--indicator", "-i", help="e.g. victims."),
    by: list[str] = typer.Option([], "--by", help="Breakdowns compared, e.g. citizenship."),
    year_from: int | None = typer.Option(None, "--from", help="First year."),
    year_to: int | None = typer.Option(None, "--to", help="Last year."),
    fmt: FormatOption = Format.table,
) -> None:
    """What is not comparable between countries: the sources' notes and the stored cells'."""
    dims = _split(by)
    notes = comparability(
        state(ctx).db(),
        _split([countries]),
        indicator=indicator,
        year_from=year_from,
        year_to=year_to,
        dimensions=dims,
    )
    emit(flat(notes) if fmt is not Format.json else notes, fmt, columns=NOTE_FIELDS)


def register(app: typer.Typer) -> None:
    app.command("shares")(shares_command)
    app.command("flows")(flows_command)
    app.command("compare")(compare_command)
