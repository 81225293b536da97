"""The JSON API under /api/v1/."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from thbhub.web.api import core, stats, taxonomy

    return [core.router, taxonomy.router, stats.router]
