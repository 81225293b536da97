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
        library,
        privacy,
        publication,
        stats,
        topics,
    )
    from thbhub.web.pages import estimation as estimation_pages
    from thbhub.web.pages import flows as flows_pages
    from thbhub.web.pages import plan as plan_pages
    from thbhub.web.pages import report_texts as report_texts_pages
    from thbhub.web.pages import reports as reports_pages
    from thbhub.web.pages.trends import router as trends_router

    return [
        home.router,
        topics.router,
        access.router,
        admin.router,
        cases.router,
        publication.router,
        stats.router,
        flows_pages.router,
        privacy.router,
        estimation_pages.router,
        trends_router,
        plan_pages.router,
        library.router,
        report_texts_pages.router,
        reports_pages.router,
        insights.router,
    ]
