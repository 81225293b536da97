"""The authentication middleware: who is asking, may they call this route, is the form theirs.

For every HTTP request, before any route runs:

1. **Identify** the caller from ``Authorization: Bearer <token>`` (scripts) or the signed
   session cookie (browsers) and put the :class:`Principal` in ``request.state.principal``
   (read it with ``PrincipalDep``).  Everyone else is ``PUBLIC`` and gets an anonymous cookie,
   so that even the log-in form is CSRF-protected.
2. **Enforce** the route's ``@access(...)`` declaration: 401 (API: JSON; pages: a redirect to
   ``/login``) when a log-in is needed, 403 when the role is not enough.
3. **CSRF**: a state-changing page request, or API request carried by a logged-in session
   cookie, must send the session's token, as the ``X-CSRF-Token`` header (htmx does this for
   every request, see base.html) or the ``csrf_token`` form field.  Bearer-token calls and
   anonymous API calls carry no ambient authority and need none.
4. **Limit** request bodies to ``settings.max_upload_mb`` (413 with a clear message).
5. **Audit** every state-changing request (method, path, status, who) after it ran, so no
   route can change anything without a trace, whatever its own service logs.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from itsdangerous import BadSignature, URLSafeTimedSerializer
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match, Mount

from thbhub.access import audit
from thbhub.access.auth import Authenticated, check_scope, session_principal, token_principal
from thbhub.domain.errors import PermissionDenied
from thbhub.domain.principals import PUBLIC, Principal, Role
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.access import Access, declared_access, route_table
from thbhub.web.errors import error_response

log = logging.getLogger("thbhub.web")

COOKIE = "thbhub_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")

#: Which roles each declared access level admits.  Contributors read what their organisation
#: may read, so analyst-level routes admit them; admins manage but do not read raw records.
ALLOWED: dict[Access, frozenset[Role]] = {
    Access.public: frozenset(Role),
    # A pending account (not yet approved by its organisation) may use its account page,
    # tokens and password, and nothing of the organisation's.
    Access.authenticated: frozenset({Role.contributor, Role.analyst, Role.admin, Role.pending}),
    Access.contributor: frozenset({Role.contributor}),
    Access.analyst: frozenset({Role.contributor, Role.analyst}),
    Access.admin: frozenset({Role.admin}),
}

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret(), salt="thbhub.session")


def csrf_for(settings: Settings, key: str) -> str:
    """The CSRF token of one session (or anonymous visitor): derived, so nothing to store."""
    return hmac.new(settings.secret().encode(), b"csrf:" + key.encode(), hashlib.sha256).hexdigest()


def session_cookie(response: Response, settings: Settings, payload: dict[str, str]) -> None:
    response.set_cookie(
        COOKIE,
        serializer(settings).dumps(payload),
        max_age=int(settings.session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )


def new_anonymous_payload() -> dict[str, str]:
    return {"a": secrets.token_urlsafe(24)}


def may_follow(request: Request, path: str) -> bool:
    """``{% if may_follow(request, '/privacy/releases') %}``: whether the route at ``path``
    admits the viewer's role (GET), so that pages offer only links the viewer may follow."""
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "root_path": "",
        "query_string": b"",
        "headers": [],
    }
    matched, level = required_level(request.app, scope)
    principal = getattr(request.state, "principal", PUBLIC)
    return matched and level is not None and principal.role in ALLOWED[level]


def csrf_input(request: Request) -> Markup:
    """``{{ csrf_input(request) }}`` inside every <form method="post">."""
    token = getattr(request.state, "csrf_token", "")
    return Markup('<input type="hidden" name="%s" value="%s">') % (CSRF_FIELD, escape(token))


def _resolve(routes: list[BaseRoute], scope: Scope) -> tuple[Match, BaseRoute | None]:
    """The route the router will hand ``scope`` to.  Newer FastAPI wraps included routers;
    their own matcher (``_match``) applies include prefixes, so it is asked when present."""
    for route in routes:
        inner_match = getattr(route, "_match", None)
        if inner_match is not None:
            match, _, inner, _ = inner_match(scope)
            if match is Match.FULL and inner is not None and hasattr(inner, "_match"):
                return _resolve([inner], scope)
            if match is Match.FULL:
                return match, inner
            continue
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return match, route
    return Match.NONE, None


def required_level(app: FastAPI, scope: Scope) -> tuple[bool, Access | None]:
    """(a route matches, its declared level) for the route this request will reach.

    No match: the router answers 404/405 itself.  A matching route without a declaration
    (added after start-up, bypassing the start-up check) is refused: deny by default.
    """
    match, route = _resolve(list(app.router.routes), scope)
    if match is not Match.FULL or route is None:
        return False, None
    if isinstance(route, Mount) or getattr(route, "path", None) in _framework(app):
        return True, Access.public  # static files, the OpenAPI document
    endpoint = getattr(route, "endpoint", None)
    return True, declared_access(endpoint) if endpoint else None


def matched_endpoint(app: FastAPI, scope: Scope) -> Any:
    """The endpoint function the router will hand this request to, or None."""
    match, route = _resolve(list(app.router.routes), scope)
    if match is not Match.FULL or route is None:
        return None
    return getattr(route, "endpoint", None)


def _framework(app: FastAPI) -> set[str | None]:
    return {app.openapi_url, app.docs_url, app.redoc_url}


def check_enforceable(app: FastAPI) -> None:
    """At start-up: every declared route must be found by :func:`required_level` under its
    own path, so that enforcement can never silently miss a route (e.g. after a change in
    how FastAPI nests routers)."""
    missed = []
    for method, path, _level in route_table(app):
        sample = re.sub(r"\{[^}]+\}", "1", path)
        scope = {
            "type": "http",
            "method": method,
            "path": sample,
            "root_path": "",
            "query_string": b"",
            "headers": [],
        }
        matched, found = required_level(app, scope)
        if not matched or found is None:
            missed.append(f"{method} {path}")
    if missed:
        raise RuntimeError("access enforcement cannot resolve: " + "; ".join(missed))


class AuthMiddleware:
    def __init__(self, app: Callable[..., Awaitable[None]], fastapi_app: FastAPI) -> None:
        self.app = app
        self.fastapi_app = fastapi_app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings: Settings = self.fastapi_app.state.settings
        db: Database = self.fastapi_app.state.db
        request = Request(scope, receive)
        address = request.client.host if request.client else None
        limit = int(settings.max_upload_mb * 1024 * 1024)

        # 1. Identify.
        principal: Principal = PUBLIC
        bearer: Authenticated | None = None
        new_cookie: dict[str, str] | None = None
        session_key: str | None = None
        authz = request.headers.get("authorization", "")
        if authz:
            scheme, _, token = authz.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                await self._refuse(request, send, 401, "use Authorization: Bearer <token>")
                return
            bearer = await run_in_threadpool(token_principal, db, token.strip(), address)
            if bearer is None:
                await self._refuse(
                    request, send, 401, "this API token is unknown, expired or revoked"
                )
                return
            principal = bearer.principal
        else:
            payload = self._read_cookie(request, settings)
            if "s" in payload:
                found = await run_in_threadpool(session_principal, db, payload["s"], address)
                if found is not None:
                    principal, session_key = found, payload["s"]
                else:
                    payload = {}  # ended or expired: start again as anonymous
            if not payload:
                payload = new_cookie = new_anonymous_payload()
            session_key = session_key or payload.get("a") or payload.get("s")
            if principal is PUBLIC:
                principal = Principal(role=Role.public, origin="web", address=address)
        state = scope.setdefault("state", {})
        state["principal"] = principal
        state["session_key"] = session_key
        state["csrf_token"] = csrf_for(settings, session_key) if session_key else ""

        # 2. Enforce the route's declaration.
        matched, level = required_level(self.fastapi_app, scope)
        method = scope["method"]
        if matched and level is None:
            await self._refuse(request, send, 403, "this route declares no access level")
            return
        if level is not None and principal.role not in ALLOWED[level]:
            if principal.is_public:
                await self._refuse(request, send, 401, "log in to use this", new_cookie)
            else:
                await self._refuse(
                    request, send, 403, f"your role ({principal.role.value}) may not use this"
                )
            return
        if bearer is not None:
            try:
                check_scope(bearer, method)
            except PermissionDenied as exc:
                await self._refuse(request, send, 403, str(exc))
                return

        # 3 and 4. Body limit, CSRF.
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            await self._refuse(request, send, 413, too_large(settings), new_cookie)
            return
        receive = _limited(receive, limit, too_large(settings))
        if method not in SAFE_METHODS and bearer is None and level is not None:
            # Pages always check (that covers the log-in form too).  The API checks when a
            # logged-in session cookie came along: an anonymous cookie carries no authority.
            is_api = scope["path"].startswith("/api/")
            if not is_api or (COOKIE in request.cookies and not principal.is_public):
                given = request.headers.get(CSRF_HEADER)
                if given is None and request.headers.get("content-type", "").startswith(_FORMS):
                    try:
                        body = await _read_body(receive)
                    except HTTPException as exc:  # over the limit, without a Content-Length
                        await self._refuse(request, send, 413, str(exc.detail), new_cookie)
                        return
                    given = await _form_field(scope, body, CSRF_FIELD)
                    receive = _replay(body)
                if not given or not hmac.compare_digest(given, state["csrf_token"]):
                    await self._refuse(
                        request,
                        send,
                        403,
                        "the form's security token is missing or out of date (CSRF check); "
                        "reload the page and try again",
                        new_cookie,
                    )
                    return

        # 5. Run the route; add the anonymous cookie; audit state-changing requests.
        status = {"code": 500}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                if new_cookie is not None:
                    holder = Response()
                    session_cookie(holder, settings, new_cookie)
                    headers = MutableHeaders(scope=message)
                    if "set-cookie" not in headers:
                        headers.append("set-cookie", holder.headers["set-cookie"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            if method not in SAFE_METHODS and level is not None:
                await run_in_threadpool(
                    _audit_request, db, state["principal"], method, scope["path"], status["code"]
                )

    def _read_cookie(self, request: Request, settings: Settings) -> dict[str, str]:
        raw = request.cookies.get(COOKIE)
        if not raw:
            return {}
        try:
            payload = serializer(settings).loads(raw, max_age=int(settings.session_hours * 3600))
        except BadSignature:
            return {}
        if not isinstance(payload, dict):
            return {}
        return {k: v for k, v in payload.items() if k in ("a", "s") and isinstance(v, str)}

    async def _refuse(
        self,
        request: Request,
        send: Send,
        status: int,
        message: str,
        cookie: dict[str, str] | None = None,
    ) -> None:
        is_api = request.url.path.startswith("/api/")
        response: Response
        if status == 401 and not is_api:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            response = RedirectResponse(f"/login?next={_quote(target)}", status_code=303)
        else:
            response = error_response(request, status, message)
            if status == 401:
                response.headers["WWW-Authenticate"] = "Bearer"
        if cookie is not None:
            session_cookie(response, self.fastapi_app.state.settings, cookie)
        await response(request.scope, request.receive, send)


def too_large(settings: Settings) -> str:
    return (
        f"the request is larger than the {settings.max_upload_mb:g} MB limit "
        "(THBHUB_MAX_UPLOAD_MB); nothing was stored"
    )


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")


def _limited(receive: Receive, limit: int, message: str) -> Receive:
    seen = {"bytes": 0}

    async def limited() -> Message:
        msg = await receive()
        if msg["type"] == "http.request":
            seen["bytes"] += len(msg.get("body", b""))
            if seen["bytes"] > limit:
                raise HTTPException(status_code=413, detail=message)
        return msg

    return limited


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        msg = await receive()
        if msg["type"] != "http.request":
            break
        chunks.append(msg.get("body", b""))
        if not msg.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = {"done": False}

    async def replay() -> Message:
        if sent["done"]:
            return {"type": "http.disconnect"}
        sent["done"] = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _form_field(scope: Scope, body: bytes, name: str) -> str | None:
    request = Request(scope, _replay(body))
    try:
        form = await request.form()
    except Exception:  # a malformed form is refused by the CSRF check that follows
        return None
    try:
        value = form.get(name)
        return value if isinstance(value, str) else None
    finally:
        await form.close()


def _audit_request(db: Database, principal: Principal, method: str, path: str, code: int) -> None:
    try:
        with db.begin() as conn:
            audit.record(
                conn,
                principal,
                "http",
                "request",
                object_id=f"{method} {path}"[:200],
                detail={"status": code},
            )
    except Exception:  # the response is already on its way; never hide the failure
        log.exception("could not write the audit entry for %s %s", method, path)


def install_auth(app: FastAPI) -> None:
    """Add the middleware and the template helpers (``csrf_input``)."""
    check_enforceable(app)
    app.add_middleware(AuthMiddleware, fastapi_app=app)
    templates = app.state.templates
    templates.env.globals["csrf_input"] = csrf_input
    templates.env.globals["may_follow"] = may_follow
