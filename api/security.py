"""Security headers on every answer: what a browser may run, frame and send with a page.

Every response carries them (a JSON answer opened in a tab is a page too). The pages' only scripts
are this origin's files (``/static/zcl.js``; on ``/docs``, Swagger UI as published, copied into
``/static/swagger/`` by ``web/build.mjs``, and ``/static/docs.js`` that starts it; on ``/redoc``,
ReDoc's standalone bundle from ``/static/redoc/``); their data
travels as ``<script type="application/json">``, which is not script and needs no exception. Inline
``style`` attributes (the report's charts, Swagger UI) are allowed: a style cannot run code. The
verifier reads the chain's JSON-RPC from the browser, so its origin is allowed to connect.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DOCS_PATH = "/docs"
REDOC_PATH = "/redoc"
REDOC_JS = "/static/redoc/redoc.standalone.js"  # ReDoc's standalone bundle as published (web/build.mjs)


def content_security_policy(connect: list[str]) -> str:
    """The CSP: scripts and styles from this origin only; no plugins, no framing, no <base>, forms
    posted here only."""
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "connect-src " + " ".join(["'self'", *connect]),
            "object-src 'none'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
        )
    )


REDOC_CSP = content_security_policy([]) + "; worker-src 'self' blob:"
"""``/redoc``'s CSP: the pages' own, and ReDoc's search index runs in a worker its script makes
from a ``blob:`` URL (only this origin's script can make one)."""


def origin_of(url: str | None) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL, or None (an IPC path, nothing configured)."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


class SecurityHeaders:
    """Add CSP, X-Frame-Options, Referrer-Policy and X-Content-Type-Options to every response
    (a header a route set itself is kept)."""

    def __init__(self, app: ASGIApp, connect: list[str]) -> None:
        self.app = app
        common = [
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-content-type-options", b"nosniff"),
        ]
        self.headers = [(b"content-security-policy", content_security_policy(connect).encode()), *common]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", ())}
                message["headers"] = [*message.get("headers", ()), *(h for h in self.headers if h[0] not in present)]
            await send(message)

        await self.app(scope, receive, with_headers)


DOCS_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} · API</title>
<link rel="stylesheet" href="/static/swagger/swagger-ui.css">
<link rel="icon" href="data:,">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<script src="/static/swagger/swagger-ui-bundle.js"></script>
<script src="/static/docs.js"></script>
</body>
</html>
"""


def docs_html(title: str, openapi_url: str) -> str:
    """Swagger UI's page without its inline start-up script (CSP forbids inline script)."""
    return DOCS_HTML.format(title=escape(title), openapi_url=escape(openapi_url))
