"""The JSON API under /api/v1/."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from thbhub.web.api import access, analytics, cases, core, insights, privacy, stats, taxonomy

    return [
        core.router,
        taxonomy.router,
        access.router,
        cases.router,
        stats.router,
        analytics.router,
        privacy.router,
        insights.router,
    ]
