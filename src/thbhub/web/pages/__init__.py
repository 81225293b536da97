"""HTML pages; each renders the result of the same service call as its API endpoint."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from thbhub.web.pages import (
        access,
        admin,
        cases,
        home,
        insights,
        privacy,
        publication,
        stats,
        topics,
    )

    return [
        home.router,
        topics.router,
        access.router,
        admin.router,
        cases.router,
        publication.router,
        stats.router,
        privacy.router,
        insights.router,
    ]
