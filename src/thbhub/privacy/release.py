"""Release an organisation's case records: k-anonymous microdata, or DP aggregates with
aggregate-seeded synthetic records; each with its utility report and, for DP, its entry in
the privacy-budget ledger.  One transaction: the release is recorded, the budget spent and
the files written together, or none of it happens.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from thbhub.access import audit
from thbhub.access.policy import may_read_raw_records
from thbhub.access.users import find_organisation
from thbhub.domain.errors import NotFoundError, PermissionDenied, UserError
from thbhub.domain.principals import Principal
from thbhub.privacy import formats, ledger, records
from thbhub.privacy.combinations import (
    MISSING,
    categorical,
    count_combinations,
    without_missing,
)
from thbhub.privacy.dp import DpConfig, dp_aggregates
from thbhub.privacy.kanon import k_anonymise
from thbhub.privacy.synth import synthesise
from thbhub.privacy.utility import compare, comparison
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage import privacy as q

METHODS = ("kanon", "dp")

#: The layouts `release cases` reads stored records in (privacy.cases).
STORED_LAYOUTS: dict[str, records.Layout] = {"cases": records.CASES, "ctdc": records.CTDC}

#: The only cells a release treats as "not recorded": an empty cell (and the package's own
#: missing category).  ``Unknown``, ``Missing``, ``-99`` stay what the source wrote, as
#: categories of their own, so that a release in a source's layout says what the source
#: said: CTDC writes "citizenship Unknown" and "country of exploitation Missing" apart from
#: an empty cell, and a release that merged them would write empty cells for all three.
NOT_RECORDED: frozenset[str] = frozenset({"", MISSING.lower()})

#: Options that belong to one method only (CLI name of each): given with the other method
#: they would be silently ignored, so they are refused.
METHOD_OPTIONS: dict[str, dict[str, str]] = {
    "kanon": {"k": "--k", "qi": "--qi", "max_suppression": "--max-suppression"},
    "dp": {
        "epsilon": "--epsilon",
        "delta": "--delta",
        "reporting_length": "--reporting-length",
        "seed": "--seed",
        "threshold": "--threshold",
        "fabrication_weight": "--fabrication-weight",
    },
}


def check_method_options(method: str, given: Iterable[str]) -> None:
    """Refuse options of the other method (``given``: the parameters the user set)."""
    if method not in METHODS:
        raise UserError(f"method must be one of {', '.join(METHODS)} (got {method!r})")
    other = "dp" if method == "kanon" else "kanon"
    wrong = [flag for name, flag in METHOD_OPTIONS[other].items() if name in set(given)]
    if wrong:
        raise UserError(
            f"{', '.join(wrong)} only apply to --method {other}, not --method {method}; drop them"
        )


@dataclass(frozen=True)
class ReleaseRequest:
    organisation_id: int
    method: str
    output: Path
    dataset: str = "cases"
    fmt: str = "csv"
    columns: tuple[str, ...] | None = None  # default: every releasable column
    #: Stored records: "cases" (the case-records frame) or "ctdc" (the records in the CTDC
    #: layout); None: a file's layout, detected from its columns (CTDC, HTCDS).
    layout: str | None = None
    #: Files the release reads (never overwritten by it).
    inputs: tuple[Path, ...] = ()
    # k-anonymity
    k: int = 11
    #: None: the layout's person-describing columns.
    quasi_identifiers: tuple[str, ...] | None = None
    max_suppression: float = 0.05
    # differential privacy
    epsilon: float = 1.0
    delta: float | None = None
    reporting_length: int = 3
    threshold: str | float = "auto"
    fabrication_weight: float = 0.5
    seed: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise UserError(f"method must be one of {', '.join(METHODS)} (got {self.method!r})")
        if self.fmt not in formats.FORMATS:
            raise UserError(
                f"format (--as) must be one of {', '.join(formats.FORMATS)} (got {self.fmt!r})"
            )
        if self.k < 2:
            raise UserError(f"invalid --k {self.k}: k must be at least 2")
        if not 0 <= self.max_suppression < 1:
            raise UserError(
                f"invalid --max-suppression {self.max_suppression:g}: a share in [0, 1)"
            )
        if not (math.isfinite(self.epsilon) and self.epsilon > 0):
            raise UserError(f"invalid --epsilon {self.epsilon:g}: a positive number")
        if self.delta is not None and not 0 < self.delta < 1:
            raise UserError(f"invalid --delta {self.delta:g}: a number between 0 and 1")
        if self.reporting_length < 1:
            raise UserError(f"invalid --reporting-length {self.reporting_length}: at least 1")
        if self.seed is not None and not 0 <= self.seed < 2**63:
            raise UserError(f"invalid --seed {self.seed}: a whole number from 0 to 2**63-1")
        if not (math.isfinite(self.fabrication_weight) and self.fabrication_weight >= 0):
            raise UserError(
                f"invalid --fabrication-weight {self.fabrication_weight:g}: zero or more"
            )
        if isinstance(self.threshold, float) and not (
            math.isfinite(self.threshold) and self.threshold >= 0
        ):
            raise UserError(f"invalid --threshold {self.threshold:g}: 'auto' or zero or more")

    def layout_for(self, columns: Sequence[str]) -> records.Layout | None:
        if self.layout in STORED_LAYOUTS:
            return STORED_LAYOUTS[self.layout]
        return records.detect_layout(columns)

    def outputs(self) -> list[Path]:
        out = [self.output, _utility_path(self.output)]
        if self.method == "dp":
            out.append(_aggregates_path(self.output))
        return out

    def file(self) -> str:
        return self.inputs[0].name if self.inputs else "case records"


def check_request(
    db: Database, settings: Settings, request: ReleaseRequest, columns: Sequence[str]
) -> records.Plan:
    """Everything that can be refused before the records are read (and the read audited):
    the outputs, the columns and quasi-identifiers, and the privacy budget.  Writes nothing."""
    for path in request.outputs():
        suffix = ".json" if path.name.endswith(".utility.json") else records.OUTPUT_SUFFIX
        records.check_output(path, inputs=request.inputs, suffix=suffix)
    plan = records.plan(
        columns,
        request.layout_for(columns),
        columns=request.columns,
        qi=request.quasi_identifiers,
        method=request.method,
        file=request.file(),
    )
    if request.method == "kanon" and request.layout in STORED_LAYOUTS:
        # Fully generalised, all records form one class: a release loses more than the
        # suppression limit exactly when there are fewer records than k, which the number
        # of records (not the records) tells before they are read.
        with db.connect() as conn:
            version = q.records_version(conn, [request.organisation_id])
        n = sum(int(entry[2]) for entry in version[0]) if version else 0
        if n < request.k:
            raise _too_few(request, n, n)
    if request.method == "dp":
        with db.connect() as conn:
            if q.lock_organisation(conn, request.organisation_id) is None:
                raise NotFoundError(f"no organisation {request.organisation_id}")
            # The default delta depends on the number of records (at most 1e-5); the
            # exact check is repeated in the release's transaction.
            ledger.check(
                conn,
                settings,
                request.organisation_id,
                request.dataset,
                request.epsilon,
                request.delta or 0.0,
            )
    return plan


def release(
    db: Database,
    settings: Settings,
    principal: Principal,
    frame: pl.DataFrame,
    request: ReleaseRequest,
) -> dict[str, Any]:
    """Release ``frame`` (the organisation's whole dataset) as ``request`` asks.

    Refused before anything is recorded or written: bad options, outputs
    (:func:`thbhub.privacy.records.check_output`), columns and quasi-identifiers
    (:func:`thbhub.privacy.records.plan`), a budget that cannot cover it, and a k-anonymous
    release that would lose more than ``max_suppression`` of the records."""
    org = request.organisation_id
    if not may_read_raw_records(principal, org):
        raise PermissionDenied("only members of the owning organisation may release its records")
    plan = check_request(db, settings, request, frame.columns)
    data = categorical(frame, plan.columns, unknown=NOT_RECORDED)
    with db.begin() as conn:
        if q.lock_organisation(conn, org) is None:
            raise NotFoundError(f"no organisation {org}")
        if request.method == "dp":
            result = _dp(conn, settings, data, request)
        else:
            result = _kanon(data, request, plan)
        release_id = q.insert_release(
            conn,
            {
                "organisation_id": org,
                "dataset": request.dataset,
                "method": request.method,
                "format": request.fmt,
                "created_by": principal.email,
                "parameters": result["parameters"],
                "summary": result["summary"],
                "utility": result["utility"],
                "files": [str(p) for p in result["files"]],
            },
        )
        if request.method == "dp":
            eps, delta = result["summary"]["epsilon"], result["summary"]["delta"]
            q.insert_spend(conn, org, request.dataset, release_id, eps, delta)
            ledger.check(conn, settings, org, request.dataset, eps, delta, already_recorded=True)
        audit.record(
            conn,
            principal,
            "release",
            "case_records",
            object_id=f"release:{release_id}",
            organisation_id=org,
            rows=data.height,
            detail={"method": request.method, "format": request.fmt},
        )
        for path, out in result["writes"]:
            formats.write(out, path, request.fmt if path == request.output else "csv")
        utility_path = _utility_path(request.output)
        records.write_text(json.dumps(result["utility"], indent=2, default=str), utility_path)
    return {
        "release_id": release_id,
        "method": request.method,
        "files": [str(p) for p in result["files"]] + [str(utility_path)],
        **result["summary"],
        **({"columns_left_out": list(plan.dropped)} if plan.dropped else {}),
    }


def _too_few(request: ReleaseRequest, lost: int, n: int) -> UserError:
    share = lost / n if n else 1.0
    return UserError(
        f"k = {request.k} would drop {lost} of {n} records ({share:.0%}) even with every "
        f"quasi-identifier generalised, more than --max-suppression "
        f"{request.max_suppression:g} allows; nothing released (use a smaller k)"
    )


def _utility_path(output: Path) -> Path:
    return output.with_name(output.stem + ".utility.json")


def _aggregates_path(output: Path) -> Path:
    return output.with_name(output.stem + ".aggregates.csv")


def _kanon(data: pl.DataFrame, request: ReleaseRequest, plan: records.Plan) -> dict[str, Any]:
    qi = list(plan.quasi_identifiers)
    result = k_anonymise(data, qi, request.k, max_suppression=request.max_suppression)
    summary = result.summary()
    if result.records_lost > request.max_suppression * result.records_in:
        raise _too_few(request, result.records_lost, result.records_in)
    return {
        "parameters": {
            "k": request.k,
            "quasi_identifiers": qi,
            "max_suppression": request.max_suppression,
        },
        "summary": summary,
        "utility": {
            "records_lost": result.records_lost,
            "share_lost": summary["share_lost"],
            "generalisation": result.level_names,
            "equivalence_classes": result.classes,
        },
        "writes": [(request.output, result.frame)],
        "files": [request.output],
    }


def _dp(
    conn: Any, settings: Settings, data: pl.DataFrame, request: ReleaseRequest
) -> dict[str, Any]:
    # Refuse before computing anything when the budget cannot cover the request.  The
    # default delta is computed in the release from the *noisy* number of records
    # (dp.default_delta): from the exact number, the published delta would give that number
    # away (1/(n ln n) is invertible), which the release otherwise protects with noise; the
    # delta spent is checked exactly once it is known, before anything is written.
    delta = request.delta
    ledger.check(
        conn, settings, request.organisation_id, request.dataset, request.epsilon, delta or 0.0
    )
    config = DpConfig(
        epsilon=request.epsilon,
        delta=delta,
        reporting_length=request.reporting_length,
        threshold=request.threshold,
        fabrication_weight=request.fabrication_weight,
    )
    aggregates = dp_aggregates(data, config)
    synthetic = synthesise(aggregates, seed=request.seed)
    r = aggregates.reporting_length
    truth = count_combinations(data, r)
    utility = {
        "aggregates": compare(truth, aggregates.aggregates, r),
        "synthetic": compare(truth, count_combinations(synthetic, r), r),
        "records_in": data.height,
        "records_synthetic": synthetic.height,
        "records_lost": 0,
        "comparison": comparison(without_missing(truth), without_missing(aggregates.aggregates)),
    }
    agg_path = _aggregates_path(request.output)
    summary = {**aggregates.summary(), "records_synthetic": synthetic.height}
    return {
        "parameters": {
            "epsilon": request.epsilon,
            "delta": aggregates.delta,
            "reporting_length": request.reporting_length,
            "threshold": request.threshold,
            "fabrication_weight": request.fabrication_weight,
            "columns": list(data.columns),
        },
        "summary": summary,
        "utility": utility,
        "writes": [(request.output, synthetic), (agg_path, aggregates.to_frame())],
        "files": [request.output, agg_path],
    }


def releases(db: Database, principal: Principal, organisation_id: int) -> list[dict[str, Any]]:
    """The organisation's releases with their utility reports: for its own members only."""
    if not may_read_raw_records(principal, organisation_id):
        raise PermissionDenied("utility reports are visible to the owning organisation only")
    with db.connect() as conn:
        return q.release_rows(conn, organisation_id)


def resolve_organisation(db: Database, name_or_id: str) -> int:
    with db.connect() as conn:
        return int(find_organisation(conn, name_or_id)["id"])
