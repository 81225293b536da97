"""`thbhub release ...` and `thbhub privacy ...`: privacy-preserving releases, the budget
ledger, and gated tables."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer

from thbhub.access.users import operator
from thbhub.cli.context import state
from thbhub.cli.output import Format, FormatOption, emit, info
from thbhub.domain.errors import UserError
from thbhub.domain.principals import Principal, Role
from thbhub.privacy import ledger
from thbhub.privacy.gate import GateContext, check_query, release_table
from thbhub.privacy.policy import DisclosurePolicy
from thbhub.privacy.records import check_output, detect_layout, read_records
from thbhub.privacy.release import (
    ReleaseRequest,
    check_method_options,
    check_request,
    release,
    releases,
    resolve_organisation,
)

release_app = typer.Typer(
    help="Release an organisation's records: k-anonymous microdata or DP aggregates + "
    "synthetic records.",
    no_args_is_help=True,
)
privacy_app = typer.Typer(
    help="Disclosure control: budget ledger, releases, gated tables.", no_args_is_help=True
)


def _operator(org: int) -> Principal:
    """The CLI acts as the server operator on behalf of the organisation named by --org."""
    return operator(Role.contributor, org)


def _threshold(value: str) -> str | float:
    if value == "auto":
        return value
    try:
        return float(value)
    except ValueError:
        raise UserError(f"--threshold is 'auto' or a number (got {value!r})") from None


def _split(value: str | None) -> tuple[str, ...] | None:
    return tuple(v.strip() for v in value.split(",") if v.strip()) if value else None


# Options shared by `release file` and `release cases`, declared once.
OrgOption = Annotated[str, typer.Option("--org", help="Owning organisation (name or id).")]
MethodOption = Annotated[str, typer.Option("--method", help="kanon or dp.")]
OutputOption = Annotated[Path, typer.Option("-o", "--output", help="Release file to write.")]
LayoutOption = Annotated[
    str, typer.Option("--layout", "--as", help="Column layout: csv, ctdc or htcds.")
]
KOption = Annotated[int, typer.Option("--k", help="kanon: smallest equivalence class.")]
QiOption = Annotated[
    str | None,
    typer.Option(
        "--qi",
        help="kanon: quasi-identifiers (default: the person-describing columns of the layout).",
    ),
]
MaxSuppressionOption = Annotated[float, typer.Option(help="kanon: largest share of records lost.")]
EpsilonOption = Annotated[float, typer.Option("--epsilon", help="dp: privacy loss epsilon.")]
DeltaOption = Annotated[float | None, typer.Option("--delta", help="dp: delta (default <= 1e-5).")]
LengthOption = Annotated[int, typer.Option("--reporting-length", "-R", help="dp: R.")]
SeedOption = Annotated[int | None, typer.Option(help="dp: seed of the synthesis (not the noise).")]
ThresholdOption = Annotated[
    str, typer.Option(help="dp: keep combinations above this many noise deviations, or 'auto'.")
]
FabricationOption = Annotated[
    float,
    typer.Option(help="dp, auto threshold: cost of a fabricated combination vs a suppressed one."),
]


def _given(ctx: typer.Context) -> set[str]:
    """The options the user set on the command line (not left at their defaults)."""
    given = set()
    for name in ctx.params:
        source = ctx.get_parameter_source(name)  # Typer's own (vendored) click enum
        if source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP"):
            given.add(name)
    return given


def _request(ctx: typer.Context, **fields: Any) -> ReleaseRequest:
    check_method_options(fields["method"], _given(ctx))
    return ReleaseRequest(**fields)


def _release(
    ctx: typer.Context,
    who: Principal,
    records: Any,
    request: ReleaseRequest,
    fmt: Format,
) -> None:
    st = state(ctx)
    result = release(st.db(), st.settings(), who, records, request)
    emit(result, fmt)
    if fmt is Format.table:
        info(f"Wrote {', '.join(result['files'])}; the utility report is for the owner only.")


@release_app.command("file")
def release_file(
    ctx: typer.Context,
    org: OrgOption,
    method: MethodOption,
    output: OutputOption,
    input: Path = typer.Option(..., "--input", "-i", help="Records CSV (one row per record)."),
    release_format: LayoutOption = "csv",
    dataset: str = typer.Option("cases", help="Dataset name in the budget ledger."),
    columns: str | None = typer.Option(
        None, help="Columns to release (default: all but row ids, identifiers, free text)."
    ),
    k: KOption = 11,
    qi: QiOption = None,
    max_suppression: MaxSuppressionOption = 0.05,
    epsilon: EpsilonOption = 1.0,
    delta: DeltaOption = None,
    reporting_length: LengthOption = 3,
    seed: SeedOption = None,
    threshold: ThresholdOption = "auto",
    fabrication_weight: FabricationOption = 0.5,
    fmt: FormatOption = Format.table,
) -> None:
    """Release a records file on behalf of an organisation (same service as `release cases`).

    For --method kanon the quasi-identifiers default to the person-describing columns of a
    CTDC or HTCDS file; any other file needs --qi."""
    request = _request(
        ctx,
        organisation_id=0,
        method=method,
        output=output,
        dataset=dataset,
        fmt=release_format,
        columns=_split(columns),
        inputs=(input,),
        k=k,
        quasi_identifiers=_split(qi),
        max_suppression=max_suppression,
        epsilon=epsilon,
        delta=delta,
        reporting_length=reporting_length,
        seed=seed,
        threshold=_threshold(threshold),
        fabrication_weight=fabrication_weight,
    )
    for path in request.outputs():  # before the file is read
        suffix = ".json" if path.name.endswith(".json") else ".csv"
        check_output(path, inputs=(input,), suffix=suffix)
    records = read_records(input)
    org_id = resolve_organisation(state(ctx).db(), org)
    request = replace(request, organisation_id=org_id)
    _release(ctx, _operator(org_id), records, request, fmt)


@release_app.command("cases")
def release_cases(
    ctx: typer.Context,
    org: OrgOption,
    method: MethodOption,
    output: OutputOption,
    release_format: LayoutOption = "csv",
    columns: str | None = typer.Option(
        None,
        help="Columns to release (default: year, sex, age, citizenship, country, "
        "identification and the main forms of exploitation; with --as ctdc, the CTDC "
        "columns for them, and any other CTDC column may be named).",
    ),
    k: KOption = 11,
    qi: QiOption = None,
    max_suppression: MaxSuppressionOption = 0.05,
    epsilon: EpsilonOption = 1.0,
    delta: DeltaOption = None,
    reporting_length: LengthOption = 3,
    seed: SeedOption = None,
    threshold: ThresholdOption = "auto",
    fabrication_weight: FabricationOption = 0.5,
    fmt: FormatOption = Format.table,
) -> None:
    """Release an organisation's case records: k-anonymous microdata or DP aggregates.

    DP aggregates come with synthetic records; a utility report is written beside the
    release and the privacy budget spent is entered in the ledger.
    """
    from thbhub.privacy.cases import (
        LAYOUT_OF_FORMAT,
        available_columns,
        layout_columns,
        stored_records,
    )

    st = state(ctx)
    db = st.db()
    layout = LAYOUT_OF_FORMAT.get(release_format, "cases")  # a bad --as is refused below
    request = _request(
        ctx,
        organisation_id=0,
        method=method,
        output=output,
        dataset="cases",
        fmt=release_format,
        columns=layout_columns(layout, _split(columns)),
        layout=layout,
        k=k,
        quasi_identifiers=_split(qi),
        max_suppression=max_suppression,
        epsilon=epsilon,
        delta=delta,
        reporting_length=reporting_length,
        seed=seed,
        threshold=_threshold(threshold),
        fabrication_weight=fabrication_weight,
    )
    org_id = resolve_organisation(db, org)
    request = replace(request, organisation_id=org_id)
    who = _operator(org_id)
    # Everything that can be refused is refused before the records are read (an audited
    # read): a failing command leaves the database as it was.
    check_request(db, st.settings(), request, available_columns(layout))
    records = stored_records(db, who, org_id, layout, request.columns)
    _release(ctx, who, records, request, fmt)


@privacy_app.command("publish")
def publish(
    ctx: typer.Context,
    org: str = typer.Option(..., "--org", help="Organisation (name or id)."),
    off: bool = typer.Option(False, "--off", help="Withdraw instead of publish."),
    fmt: FormatOption = Format.table,
) -> None:
    """Publish (or with --off withdraw) gated public tables of an organisation's case records."""
    from thbhub.privacy.public import set_published

    st = state(ctx)
    org_id = resolve_organisation(st.db(), org)
    emit(set_published(st.db(), _operator(org_id), org_id, not off), fmt)


@privacy_app.command("public-table")
def public_table_cmd(
    ctx: typer.Context,
    by: str = typer.Option(
        "",
        "--by",
        help="Dimensions: organisation, year, sex, age, citizenship, country (comma-separated).",
    ),
    where: list[str] = typer.Option([], "--where", help="Filter dimension=value (repeatable)."),
    fmt: FormatOption = Format.table,
) -> None:
    """The public gated table of published case records, exactly as the web serves it."""
    from thbhub.privacy.public import public_table

    st = state(ctx)
    result = public_table(st.db(), st.settings(), _split(by) or (), _where(where))
    emit(result.rows() + result.margin_rows(), fmt)
    if fmt is Format.table:
        info(result.policy.note())


@privacy_app.command("budget")
def budget(
    ctx: typer.Context,
    org: str = typer.Option(..., "--org", help="Organisation (name or id)."),
    dataset: str = typer.Option("cases", help="Dataset name."),
    fmt: FormatOption = Format.table,
) -> None:
    """Show the privacy budget an organisation has spent on a dataset, release by release."""
    st = state(ctx)
    status = ledger.status(st.db(), st.settings(), resolve_organisation(st.db(), org), dataset)
    if fmt is Format.table:
        entries = status.pop("entries")
        emit(status, fmt)
        if entries:
            emit(entries, fmt, columns=["release_id", "method", "epsilon", "delta", "spent_at"])
    else:
        emit(status, fmt)


@privacy_app.command("releases")
def list_releases(
    ctx: typer.Context,
    org: str = typer.Option(..., "--org", help="Organisation (name or id)."),
    fmt: FormatOption = Format.table,
) -> None:
    """List an organisation's releases with their settings (owner only)."""
    st = state(ctx)
    org_id = resolve_organisation(st.db(), org)
    rows = releases(st.db(), _operator(org_id), org_id)
    emit(rows, fmt, columns=["id", "dataset", "method", "format", "created_at", "parameters"])


@privacy_app.command("table")
def table(
    ctx: typer.Context,
    input: Path = typer.Option(..., "--input", "-i", help="Records CSV."),
    by: str = typer.Option("", "--by", help="Dimensions to count by, comma-separated."),
    where: list[str] = typer.Option([], "--where", help="Filter dimension=value (repeatable)."),
    dimensions: str | None = typer.Option(
        None,
        help="The dataset's published dimensions (default: the person-describing columns of "
        "a CTDC or HTCDS file; required for any other file).",
    ),
    fmt: FormatOption = Format.table,
) -> None:
    """Count records by dimensions through the disclosure gate (suppressed cells shown so)."""
    policy = DisclosurePolicy.from_settings(state(ctx).settings())
    filters = _where(where)
    records = read_records(input)
    dims = _split(dimensions)
    layout = detect_layout(records.columns)
    if dims is None:
        if layout is None or not layout.table_dimensions:
            raise UserError(
                f"{input.name}: not a recognised records layout (CTDC or HTCDS): name the "
                "dataset's dimensions with --dimensions"
            )
        dims = layout.table_dimensions
    unknown = [d for d in dims if d not in records.columns]
    if unknown:
        raise UserError(
            f"{input.name}: unknown column(s) {', '.join(map(repr, unknown))} in --dimensions; "
            f"the file has {', '.join(records.columns)}"
        )
    never = [d for d in dims if layout is not None and d in layout.never]
    if never:
        raise UserError(
            f"{input.name}: {', '.join(map(repr, never))} are row ids, identifiers or free "
            "text and are never tabulated"
        )
    check_query(dims, _split(by) or (), filters, policy)
    ctx_gate = GateContext(dataset=str(input), dimensions=dims)
    result = release_table(records, _split(by) or (), policy, ctx_gate, where=filters)
    emit(result.rows() + result.margin_rows(), fmt)
    if fmt is Format.table:
        info(policy.note())


def _where(where: list[str]) -> dict[str, str]:
    """--where dimension=value options; anything else is refused (never ignored)."""
    bad = [w for w in where if "=" not in w or not w.split("=", 1)[0].strip()]
    if bad:
        raise UserError(f"--where {bad[0]!r}: give a filter as dimension=value")
    return {k.strip(): v for k, v in (w.split("=", 1) for w in where)}
