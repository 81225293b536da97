"""Security headers on every response: the browser runs only the hub's own scripts and
styles, shows no page of the hub inside another site's frame, never guesses a content type,
and sends no address of the hub's pages (with their filters) to other sites.

The Content-Security-Policy allows scripts and styles from the hub's own origin only: no
inline ``<script>``/``<style>``, no ``style=``/``on...=`` attributes and no ``eval``.  The
templates keep to that (scripts in ``static/js``, styles in ``static/css/hub.css``); the charts
render with vega-embed's expression interpreter (``ast: true``) instead of compiling Vega
expressions with ``new Function``, and with its default style sheet off (hub.css styles them);
htmx's indicator style sheet is off (``htmx-config`` in ``base.html``).  A browser test loads
every kind of page, charts included, and fails on any CSP violation.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers without CSP level 2
    "X-Content-Type-Options": "nosniff",
    # Addresses carry filters (/admin/audit?user=..., /cases?citizenship=...): none leaves.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}

Message = MutableMapping[str, Any]
Send = Callable[[Message], Awaitable[None]]


class SecurityHeaders:
    """Adds :data:`HEADERS` to every HTTP response that does not set one itself."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(
        self, scope: MutableMapping[str, Any], receive: Callable[..., Any], send: Send
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, sending)


def install_security_headers(app: FastAPI) -> None:
    """Register last, so that it is the outermost middleware and also covers responses the
    other middlewares make themselves (log-in redirects, 401/403/413 refusals)."""
    app.add_middleware(SecurityHeaders)
