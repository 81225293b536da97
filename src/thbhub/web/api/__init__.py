"""The JSON API under /api/v1/."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from thbhub.web.api import access, analytics, cases, core, library, privacy, stats, taxonomy
    from thbhub.web.api import estimation as estimation_api
    from thbhub.web.api import insights as insights_api
    from thbhub.web.api import plan as plan_api
    from thbhub.web.api import report_texts as report_texts_api
    from thbhub.web.api import reports as reports_api
    from thbhub.web.api import shares as shares_api

    return [
        core.router,
        taxonomy.router,
        access.router,
        cases.router,
        stats.router,
        analytics.router,
        shares_api.router,
        privacy.router,
        estimation_api.router,
        plan_api.router,
        library.router,
        report_texts_api.router,
        reports_api.router,
        insights_api.router,
    ]
