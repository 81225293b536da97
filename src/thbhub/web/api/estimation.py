"""API: multiple systems estimates (the services of `thbhub estimate`;
docs/estimation.md)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, File, Path, Query, UploadFile

from thbhub.estimation import linkage, project_estimates
from thbhub.estimation.report import WEB_MAX_BOOTSTRAP, report, sample_list, sample_report
from thbhub.estimation.service import DEFAULT_BOOTSTRAP, DEFAULT_SEED, DEFAULT_THRESHOLD
from thbhub.estimation.table import read_table
from thbhub.privacy.gate import gated
from thbhub.storage.schema import MAX_ID
from thbhub.web.access import Access, access
from thbhub.web.cache import cached
from thbhub.web.deps import CLEAN, DbDep, PrincipalDep, SettingsDep
from thbhub.web.uploads import received_upload

router = APIRouter(prefix="/api/v1/estimates", tags=["estimates"])

TableName = Path(max_length=64, pattern=r"^[A-Za-z0-9_]+\.csv$")


def threshold_query() -> Any:
    return Query(DEFAULT_THRESHOLD, ge=0, le=1, description="p-value to add a two-list term")


def bootstrap_query() -> Any:
    return Query(DEFAULT_BOOTSTRAP, ge=0, le=WEB_MAX_BOOTSTRAP, description="replicates")


def seed_query() -> Any:
    return Query(DEFAULT_SEED, ge=0, le=MAX_ID, description="the same seed, the same interval")


@router.get("/tables", summary="The published capture tables bundled with the hub")
@access(Access.public)
@cached
def get_tables() -> list[dict[str, Any]]:
    return sample_list()


@router.get(
    "/tables/{name}",
    summary="A bundled table's stepwise estimate (BCa interval), main-effects estimate, "
    "sensitivity to the threshold and the published result",
)
@access(Access.public)
@cached
def get_table_estimate(
    name: str = TableName,
    threshold: float = threshold_query(),
    bootstrap: int = bootstrap_query(),
    seed: int = seed_query(),
) -> dict[str, Any]:
    return sample_report(name, threshold, bootstrap, seed)


@router.post(
    "/mse",
    summary="Estimate from an uploaded capture table (CSV: one 0/1 column per list and a "
    "count column); the same answer as `thbhub estimate mse` plus main effects and "
    "sensitivity",
)
@access(Access.authenticated)
def post_mse(
    settings: SettingsDep,
    file: UploadFile = File(...),
    threshold: float = threshold_query(),
    bootstrap: int = bootstrap_query(),
    seed: int = seed_query(),
) -> dict[str, Any]:
    with received_upload(file, settings, suffixes=(".csv", ".txt")) as saved:
        table = read_table(saved.path)
    return report(table, threshold=threshold, n_boot=bootstrap, seed=seed)


ProjectName = Path(max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,99}$")


@router.get(
    "/projects/{name}",
    summary="A linkage project's estimate from its members' own case records: members see "
    "the overlap table; everybody else the estimate and interval only, when published",
)
@access(Access.public)
@gated
def get_project_estimate(
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    name: str = ProjectName,
    year: int | None = Query(None, ge=1900, le=2100),
    form: str | None = Query(None, max_length=100, pattern=CLEAN),
    threshold: float = threshold_query(),
    bootstrap: int = bootstrap_query(),
    seed: int = seed_query(),
) -> dict[str, Any]:
    return project_estimates.project_estimate(
        db,
        settings,
        principal,
        name,
        year=year,
        form=form,
        threshold=threshold,
        n_boot=bootstrap,
        seed=seed,
    )


@router.post(
    "/projects/{name}/leave",
    summary="Your organisation leaves the linkage project: its linkage keys are deleted and "
    "its staff lose the members' view (a contributor of a member organisation)",
)
@access(Access.contributor)
def post_project_leave(
    db: DbDep, principal: PrincipalDep, name: str = ProjectName
) -> dict[str, Any]:
    return linkage.leave(db, principal, name)


@router.post(
    "/projects/{name}/end",
    summary="End the linkage project now: every key is deleted, no estimate is given any "
    "more (a contributor of its owner organisation, or an administrator)",
)
@access(Access.authenticated)
def post_project_end(db: DbDep, principal: PrincipalDep, name: str = ProjectName) -> dict[str, Any]:
    return linkage.end(db, principal, name)
