"""The OpenAPI document, completed with what the app really does around each route.

FastAPI describes request bodies and success responses; the auth middleware and the error
handlers add 401/403/413/422 as ``{"error": {"status", "message"}}``, and routes that need a
log-in accept ``Authorization: Bearer``.  Declaring all that keeps the document true, so
clients (and schemathesis) can rely on it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from thbhub.web.access import Access, route_table

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "message"],
            "properties": {"status": {"type": "integer"}, "message": {"type": "string"}},
        }
    },
}
_DESCRIPTIONS = {
    "400": "Bad request",
    "401": "Log-in needed: send Authorization: Bearer <token>",
    "403": "Not allowed for your role, token scope or organisation",
    "404": "Not found (or not visible to you)",
    "413": "Request body over the upload limit",
    "422": "Invalid input",
    "503": "Service degraded",
}


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        levels = {(m.lower(), p): level for m, p, level in route_table(app)}
        components = schema.setdefault("components", {})
        components.setdefault("schemas", {})["Error"] = _ERROR
        components["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer", "description": "an API token"}
        }
        for path, item in schema.get("paths", {}).items():
            for method, op in item.items():
                level = levels.get((method, path), Access.public)
                op["x-thbhub-access"] = level.value
                if level is not Access.public:
                    op["security"] = [{"bearer": []}]
                responses = op.setdefault("responses", {})
                for code, text in _DESCRIPTIONS.items():
                    responses[code] = {
                        "description": text,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    }
        for unused in ("HTTPValidationError", "ValidationError"):
            components["schemas"].pop(unused, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
