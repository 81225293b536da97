"""Friendly error pages for people, JSON errors for the API — never a traceback."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from thbhub.domain.errors import UserError

log = logging.getLogger("thbhub.web")

_TITLES = {
    400: "Bad request",
    401: "Please log in",
    403: "Not allowed",
    404: "Page not found",
    405: "Method not allowed",
    413: "Upload too large",
    422: "Invalid input",
    500: "Something went wrong",
    503: "Service unavailable",
}


#: Pydantic's messages for the checks the hub's parameters use, in the words of a user who
#: typed a value into a form or a URL (the library's name the regular expression instead).
_PLAIN = {
    "string_pattern_mismatch": "is not a valid value here",
    "int_parsing": "is not a whole number",
    "int_from_float": "is not a whole number",
    "bool_parsing": "is not yes or no (true/false)",
    "greater_than_equal": "is too small",
    "less_than_equal": "is too large",
    "string_too_long": "is too long",
    "enum": "is not one of the choices",
    "literal_error": "is not one of the choices",
}


def _plain(err: Any) -> str:
    """One validation problem as "<parameter> <value> <what is wrong>"."""
    where = ".".join(
        str(p) for p in err.get("loc", ()) if p not in ("query", "body", "path", "form")
    )
    what = _PLAIN.get(err.get("type", ""))
    if what is None:
        return f"{where}: {err.get('msg')}"
    value = err.get("input")
    shown = f" {str(value)[:60]!r}" if value is not None and value != "" else ""
    limit = err.get("ctx", {}) or {}
    bound = next((limit[k] for k in ("ge", "le", "max_length", "expected") if k in limit), None)
    return f"{where}{shown} {what}" + (f" ({bound})" if bound is not None else "")


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_response(request: Request, status: int, message: str) -> Response:
    if _is_api(request):
        return JSONResponse({"error": {"status": status, "message": message}}, status_code=status)
    templates = request.app.state.templates
    return templates.TemplateResponse(
        request,
        "error.html",
        {"status": status, "title": _TITLES.get(status, "Error"), "message": message},
        status_code=status,
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = str(exc.detail) if exc.detail else _TITLES.get(exc.status_code, "Error")
        if exc.status_code == 404 and message == "Not Found":
            message = f"There is nothing at {request.url.path}."
        response = error_response(request, exc.status_code, message)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(UserError)
    async def user_error(request: Request, exc: UserError) -> Response:
        return error_response(request, exc.status_code, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        parts = [_plain(err) for err in exc.errors()[:5]]
        return error_response(request, 422, "; ".join(parts) or "invalid request")

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(request, 500, "An unexpected error occurred; it has been logged.")
