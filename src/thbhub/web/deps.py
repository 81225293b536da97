"""FastAPI dependencies: the settings and database the app was created with."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.templating import Jinja2Templates
from pydantic import StringConstraints

from thbhub.domain.principals import PUBLIC, Principal
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.schema import MAX_ID


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

# Every path and query parameter of every route is bounded and clean; a route walk
# (tests/web/test_route_params.py) checks each one, and sends hostile values to each.
#
# Ids are 32-bit integer keys on both backends: a larger number is a bad request, not a 500
# (SQLite overflows past 2^63, PostgreSQL's integer past 2^31 - 1).
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
#: Text in a path or query string carries no control character: NUL is refused by
#: PostgreSQL (a 500 otherwise) and none belongs in an identifier, a code or a filter.
CLEAN = r"^[^\x00-\x1f\x7f]*$"
#: The same for a text of several lines (a purpose, a note): tabs and line breaks allowed.
CLEAN_LINES = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
#: One value of a repeated query parameter (``?country=LT&country=LV``).
Word = Annotated[str, StringConstraints(max_length=200, pattern=CLEAN)]
#: How many values a repeated query parameter takes.
MAX_VALUES = 50
OrgQuery = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="Organisation id (default: your own)")
]
