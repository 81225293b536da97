"""Errors a user can act on.

Every service raises :class:`UserError` (or a subclass) for problems the caller can fix: a bad
file, an unknown concept, a missing database.  The CLI prints it as one line and exits 1; the
web app turns it into a 4xx response.  Anything else is a bug.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Longest cell text echoed in a message (a 2 MB cell is not printed back).
SHOWN = 40


def shown(text: str) -> str:
    """A cell's text as echoed in a message: cut to :data:`SHOWN` characters."""
    return text if len(text) <= SHOWN else f"{text[: SHOWN - 3]}... ({len(text):,} characters)"


def shown_value(value: Any) -> str:
    """`` (value '...')`` for a message, cut like :func:`shown`; empty for ``None``."""
    if value is None:
        return ""
    return f" (value {shown(value)!r})" if isinstance(value, str) else f" (value {value!r})"


class UserError(Exception):
    """A problem the user can fix; ``str(err)`` is the one-line message shown to them."""

    status_code = 400


class NotFoundError(UserError):
    status_code = 404


class PermissionDenied(UserError):
    status_code = 403


class AuthenticationRequired(UserError):
    status_code = 401


class DatabaseUnavailable(UserError):
    """The database cannot serve the request (unreachable, locked, without the schema): the
    operator's problem, not the request's, so the web answers 503 rather than 400."""

    status_code = 503


@dataclass(frozen=True)
class Location:
    """Where in an input file a problem is: each part optional, printed in a fixed order."""

    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.sheet:
            parts.append(f"sheet {self.sheet!r}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)


class ValidationError(UserError):
    """Input that breaks a rule, located precisely enough to find and fix it."""

    status_code = 422

    def __init__(self, location: Location, rule: str, value: object | None = None) -> None:
        self.location = location
        self.rule = rule
        self.value = value
        where = str(location)
        shown = f" (value {value!r})" if value is not None else ""
        super().__init__(f"{where}: {rule}{shown}" if where else f"{rule}{shown}")
