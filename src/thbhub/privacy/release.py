"""Release an organisation's case records: k-anonymous microdata, or DP aggregates with
aggregate-seeded synthetic records; each with its utility report and, for DP, its entry in
the privacy-budget ledger.  One transaction: the release is recorded, the budget spent and
the files written together, or none of it happens.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from thbhub.access import audit
from thbhub.access.policy import may_read_raw_records
from thbhub.access.users import find_organisation
from thbhub.domain.errors import NotFoundError, PermissionDenied, UserError
from thbhub.domain.principals import Principal
from thbhub.privacy import formats, ledger
from thbhub.privacy.combinations import categorical, count_combinations, without_missing
from thbhub.privacy.dp import DpConfig, dp_aggregates
from thbhub.privacy.kanon import k_anonymise
from thbhub.privacy.policy import DEFAULT_QUASI_IDENTIFIERS
from thbhub.privacy.synth import synthesise
from thbhub.privacy.utility import compare, comparison
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage import privacy as q

METHODS = ("kanon", "dp")


@dataclass(frozen=True)
class ReleaseRequest:
    organisation_id: int
    method: str
    output: Path
    dataset: str = "cases"
    fmt: str = "csv"
    columns: tuple[str, ...] | None = None  # default: every column of the records frame
    # k-anonymity
    k: int = 11
    quasi_identifiers: tuple[str, ...] = DEFAULT_QUASI_IDENTIFIERS
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
            raise UserError(f"format must be one of {', '.join(formats.FORMATS)}")


def default_delta(n: int) -> float:
    """The smaller of 1e-5 and the showcase's 1/(n ln n)."""
    n = max(n, 3)
    return min(1e-5, 1.0 / (n * math.log(n)))


def release(
    db: Database,
    settings: Settings,
    principal: Principal,
    records: pl.DataFrame,
    request: ReleaseRequest,
) -> dict[str, Any]:
    """Release ``records`` (the organisation's whole dataset) as ``request`` asks."""
    org = request.organisation_id
    if not may_read_raw_records(principal, org):
        raise PermissionDenied("only members of the owning organisation may release its records")
    columns = list(request.columns or records.columns)
    unknown = [c for c in columns if c not in records.columns]
    if unknown:
        raise UserError(f"unknown column(s) {unknown}; the records have {records.columns}")
    data = categorical(records, columns)
    with db.begin() as conn:
        if q.lock_organisation(conn, org) is None:
            raise NotFoundError(f"no organisation {org}")
        if request.method == "dp":
            result = _dp(conn, settings, data, request)
        else:
            result = _kanon(data, request)
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
        for path, frame in result["writes"]:
            formats.write(frame, path, request.fmt if path == request.output else "csv")
        utility_path = _utility_path(request.output)
        utility_path.write_text(
            json.dumps(result["utility"], indent=2, default=str), encoding="utf-8"
        )
    return {
        "release_id": release_id,
        "method": request.method,
        "files": [str(p) for p in result["files"]] + [str(utility_path)],
        **result["summary"],
    }


def _utility_path(output: Path) -> Path:
    return output.with_name(output.stem + ".utility.json")


def _kanon(data: pl.DataFrame, request: ReleaseRequest) -> dict[str, Any]:
    qi = [c for c in request.quasi_identifiers if c in data.columns]
    if not qi:
        raise UserError(
            f"none of the quasi-identifiers {list(request.quasi_identifiers)} is a column"
        )
    result = k_anonymise(data, qi, request.k, max_suppression=request.max_suppression)
    summary = result.summary()
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
    delta = request.delta if request.delta is not None else default_delta(data.height)
    # Refuse before computing anything when the budget cannot cover the request.
    ledger.check(conn, settings, request.organisation_id, request.dataset, request.epsilon, delta)
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
    agg_path = request.output.with_name(request.output.stem + ".aggregates.csv")
    summary = {**aggregates.summary(), "records_synthetic": synthetic.height}
    return {
        "parameters": {
            "epsilon": request.epsilon,
            "delta": delta,
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


def read_records(path: Path) -> pl.DataFrame:
    """A records file (CSV, all columns as text) to release; used by `thbhub release file`."""
    if not path.exists():
        raise UserError(f"{path}: no such file")
    try:
        return pl.read_csv(path, infer_schema_length=0)
    except pl.exceptions.PolarsError as exc:
        raise UserError(f"{path}: not a readable CSV file ({exc})") from exc
