"""The reader's language for pages and error texts: ``?lang=`` (remembered in a cookie), else the
cookie, else ``Accept-Language``, else English. API values (ids, enums, field paths) never change
with it; only texts meant for a person do."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledger.i18n import LANGUAGES, negotiate, normalize
from ledger.i18n.jinja import context as jinja_context

COOKIE = "zcl_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


def reader_language(request: Request) -> str:
    chosen = normalize(request.query_params.get("lang")) or request.cookies.get(COOKIE)
    return negotiate(request.headers.get("accept-language"), chosen)


Language = Annotated[str, Depends(reader_language)]


def page_context(request: Request) -> dict[str, Any]:
    """What every page's layout needs: the translator ``t``, ``lang``, and the links of the
    language switch (this same page, with its query, in each language)."""
    lang = reader_language(request)
    switch = [(code, str(request.url.include_query_params(lang=code))) for code in LANGUAGES]
    return {**jinja_context(lang), "languages": switch}


class RememberLanguage:
    """Sets the ``zcl_lang`` cookie on the answer to a request that chose a language with ``?lang=``,
    so the switch on one page holds for every page after it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chosen = normalize(Request(scope).query_params.get("lang"))
        if chosen is None:
            await self.app(scope, receive, send)
            return

        async def remember(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.append("set-cookie", f"{COOKIE}={chosen}; Path=/; Max-Age={COOKIE_MAX_AGE}; SameSite=Lax")
            await send(message)

        await self.app(scope, receive, remember)
