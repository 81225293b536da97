"""One-shot messages after POST/redirect/GET.

A form that changes something answers with a ``303`` to a page (so that reloading that page
repeats nothing) and leaves a *flash* for the page to show once: a message, an error, or a
secret that exists nowhere else (a new API token, a generated password).

The flash travels in its own cookie, not in the database: a secret shown once must never be
stored in clear where it outlives the request (the database keeps only hashes).  The cookie
is signed (it cannot be forged or altered), HttpOnly, has no ``Max-Age`` (so the browser
keeps it in memory rather than on disk), is accepted for :data:`MAX_AGE` seconds only, is
bound to the session that made it, and is read only by a ``GET`` of the page it was meant
for, whose response deletes it: a reload of that page, or another session, sees nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import asdict, dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import MutableHeaders

from thbhub.settings import Settings

COOKIE = "thbhub_flash"
MAX_AGE = 300  # seconds: the redirect is followed at once; a stale flash is worthless

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


@dataclass(frozen=True)
class Flash:
    message: str = ""
    error: str = ""
    #: Shown once in a ``<code>``: a new API token or a generated password.
    secret: str = ""
    #: What the secret is for (an e-mail address, a token name), shown beside it.
    subject: str = ""


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret(), salt="thbhub.flash")


def _binding(session_key: str) -> str:
    return hashlib.sha256(b"flash:" + session_key.encode()).hexdigest()[:32]


def redirect(
    request: Request,
    to: str,
    flash: Flash,
    *,
    session_key: str | None = None,
) -> RedirectResponse:
    """A ``303`` to ``to`` carrying ``flash`` for that page's next GET.

    ``session_key``: the session the page will be read in when the handler starts a new one
    (default: the current one).
    """
    settings: Settings = request.app.state.settings
    key = session_key or getattr(request.state, "session_key", None) or ""
    path = to.split("#", 1)[0].split("?", 1)[0]
    payload = {"to": path, "b": _binding(key), **asdict(flash)}
    response = RedirectResponse(to, status_code=303)
    response.set_cookie(
        COOKIE,
        _serializer(settings).dumps(payload),
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )
    return response


def taken(request: Request) -> Flash | None:
    """The flash the middleware took for this page, if any (templates: ``flash(request)``)."""
    found = getattr(request.state, "flash", None)
    return found if isinstance(found, Flash) else None


def _read(raw: str, settings: Settings, path: str, session_key: str | None) -> Flash | None:
    try:
        payload = _serializer(settings).loads(raw, max_age=MAX_AGE)
    except BadSignature:  # also expired
        return None
    if not isinstance(payload, dict) or payload.get("to") != path:
        return None
    if not session_key or payload.get("b") != _binding(session_key):
        return None
    fields = {k: payload.get(k, "") for k in ("message", "error", "secret", "subject")}
    return Flash(**{k: v for k, v in fields.items() if isinstance(v, str)})


class FlashMiddleware:
    """Hands a flash to the GET of the page it was meant for, and deletes the cookie in that
    response.  Runs inside the auth middleware, which has identified the session."""

    def __init__(self, app: Callable[..., Awaitable[None]], fastapi_app: FastAPI) -> None:
        self.app = app
        self.fastapi_app = fastapi_app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        raw = request.cookies.get(COOKIE)
        if not raw:
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        found = _read(raw, self.fastapi_app.state.settings, scope["path"], state.get("session_key"))
        if found is None:
            await self.app(scope, receive, send)
            return
        state["flash"] = found

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                secure = "; Secure" if self.fastapi_app.state.settings.cookie_secure else ""
                headers.append(
                    "set-cookie",
                    f"{COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=lax{secure}",
                )
            await send(message)

        await self.app(scope, receive, sending)


def install_flash(app: FastAPI) -> None:
    """Add the middleware (before the auth middleware, so that it runs inside it) and the
    ``flash(request)`` template helper."""
    app.add_middleware(FlashMiddleware, fastapi_app=app)
    app.state.templates.env.globals["flash"] = taken
