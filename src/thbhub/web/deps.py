"""FastAPI dependencies: the settings and database the app was created with."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.templating import Jinja2Templates

from thbhub.domain.principals import PUBLIC, Principal
from thbhub.settings import Settings
from thbhub.storage import Database


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_templates(request: Request) -> Jinja2Templates:
    templates: Jinja2Templates = request.app.state.templates
    return templates


SettingsDep = Annotated[Settings, Depends(get_settings)]
DbDep = Annotated[Database, Depends(get_db)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]


def get_principal(request: Request) -> Principal:
    """The caller, as established by the authentication middleware; anonymous otherwise."""
    principal = getattr(request.state, "principal", None)
    return principal if isinstance(principal, Principal) else PUBLIC


PrincipalDep = Annotated[Principal, Depends(get_principal)]

#: Ids are 32-bit integer keys on both backends: a larger number is a bad request, not a 500.
MAX_ID = 2**31 - 1
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
OrgQuery = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="Organisation id (default: your own)")
]
