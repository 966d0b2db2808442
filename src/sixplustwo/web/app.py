"""``sixplustwo serve``'s application: a Starlette app over the same database and store as the
CLI. Every request carries an actor (the logged-in user, read again from the database), and
every page reaches the store through ``store.scope.Scoped``, made from that user by
``store.scope.scope``: the one place where a butler's owners are told from the others'
(``web/site.py``).

Why Starlette: a small, well-kept ASGI toolkit (Datasette's own shape: plain request and
response objects, Jinja2 templates, an in-process test client) with no ORM or admin of its
own, so the page calls the store functions the CLI calls and nothing else; uvicorn serves it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from sixplustwo.web.auth import Proxies, Signer, Throttle
from sixplustwo.web.site import Page, Site

SECRET_SETTING = "serve_secret"
STATIC = Path(__file__).resolve().parent / "static"


def server_secret(db_target: str | None) -> str:
    """The key sessions and CSRF tokens are signed with: kept in the database (made on the
    first ``serve``), so that a restart keeps everyone logged in."""
    from sixplustwo.store.audit import Settings
    from sixplustwo.store.database import open_database

    with open_database(db_target, write=False) as db:
        stored = Settings(db).get(SECRET_SETTING)
    if stored:
        return stored
    with open_database(db_target, write=True) as db:
        settings = Settings(db)
        stored = settings.get(SECRET_SETTING)
        if not stored:
            stored = secrets.token_urlsafe(32)
            settings.set(SECRET_SETTING, stored)
    return stored


class Forwarded:
    """The client's address and scheme, from a trusted proxy's ``X-Forwarded-*`` headers
    (``--trust-proxy``), else the connection's own."""

    def __init__(self, app: Any, proxies: Proxies) -> None:
        self.app = app
        self.proxies = proxies

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            peer = (scope.get("client") or (None, None))[0]
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            scope["sixplustwo.client"] = self.proxies.client(peer, headers.get("x-forwarded-for"))
            scheme = scope.get("scheme", "http")
            if self.proxies.trusts(peer) and headers.get("x-forwarded-proto") in ("http", "https"):
                scheme = headers["x-forwarded-proto"]
            scope["sixplustwo.scheme"] = scheme
        await self.app(scope, receive, send)


def create_app(
    db: str | None,
    *,
    trust_proxy: Iterable[str] = (),
    secret: str | None = None,
    throttle: Throttle | None = None,
    clock: Callable[[], date] = date.today,
) -> Any:
    """The page over the database ``db`` (a SQLite file or a PostgreSQL URL)."""
    from sixplustwo.web import pages

    proxies = Proxies(trust_proxy)
    site = Site(db, Signer(secret or server_secret(db)), proxies, throttle or Throttle(), clock)
    app = Starlette(
        routes=[
            *pages.ROUTES,
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        exception_handlers={404: _missing, 405: _missing, Exception: _failed},
    )
    app.state.site = site
    return Forwarded(app, proxies)


async def _missing(request: Request, exc: Exception) -> Response:
    site: Site = request.app.state.site
    current = Page(site, request)
    return current.finish(current.not_found())


async def _failed(request: Request, exc: Exception) -> Response:
    """A bug or a lost database: one line on the page, with the headers; the transaction was
    rolled back, so nothing of the request was saved."""
    site: Site = request.app.state.site
    current = Page(site, request)
    message = current.words._("Something went wrong: nothing was saved. Try again.")
    return current.finish(current.render("error.html", 500, message=message))
