"""What every request shares (``Site``: the database, the signing key, the trusted proxies,
the login throttle, the templates) and how one is answered (``Page``, made by the ``page``
decorator): the user from the session, the CSRF check on every POST, the session renewed, an id
outside the user's scope answered exactly as a missing one, the security headers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from sixplustwo.domain.errors import NotFound, SixPlusTwoError
from sixplustwo.store.scope import Scoped, scope
from sixplustwo.store.users import User, Users
from sixplustwo.web.auth import (
    CSRF_COOKIE,
    CSRF_FIELD,
    IDLE_SECONDS,
    SESSION_COOKIE,
    Proxies,
    Signer,
    Throttle,
    csrf_ok,
)
from sixplustwo.web.i18n import Words, choose

# No script at all, styles from our own file, nothing framed, forms posted only here.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


@dataclass
class Site:
    """What every request shares: the database, the signing key, the trusted proxies, the
    login throttle and the templates."""

    db: str | None
    signer: Signer
    proxies: Proxies
    throttle: Throttle
    clock: Callable[[], date] = date.today
    templates: Environment = field(init=False)

    def __post_init__(self) -> None:
        self.templates = Environment(
            loader=PackageLoader("sixplustwo.web", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def today(self) -> date:
        return self.clock()

    @contextmanager
    def store(
        self, user: User | None, *, write: bool, said: tuple[str, ...] = ()
    ) -> Iterator[Scoped]:
        """One transaction as ``user``: the store within their scope. A write is journaled
        (``undo``) and audited in the user's name."""
        from sixplustwo.store.database import open_database
        from sixplustwo.store.unit import Store

        command = web_command(user.name if user else None, said)
        with open_database(self.db, write=write) as db:
            if not write:
                yield Scoped(Store(db, stored_playbook(db), command), scope(user))
                return
            from sixplustwo.store.journal import Journal

            with Journal.kept(db, command):
                yield Scoped(Store(db, stored_playbook(db), command), scope(user))

    def user(self, user_id: int, fingerprint: str) -> User | None:
        from sixplustwo.store.database import open_database

        with open_database(self.db, write=False) as db:
            user = Users(db).by_id(user_id)
        if user is None or user.disabled or user.fingerprint != fingerprint:
            return None
        return user


def web_command(name: str | None, said: tuple[str, ...] = ()):
    """Who the store records: the page's user, by name (the journal's and the audit log's
    person; ``undo --user NAME`` takes their last change), beside the server's own OS user;
    and what they did, as the CLI would say it (``serve done o38:visit-followup``)."""
    from sixplustwo.store.command import Actor
    from sixplustwo.store.unit import Command

    return Command(actor=Actor(os_user=server_user(), name=name), argv=("serve", *said))


def server_user() -> str | None:
    """The operating-system user the server runs as."""
    import getpass
    import os

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a bare container)
        return str(os.getuid()) if hasattr(os, "getuid") else None


def stored_playbook(db):
    """The playbook everyone uses: the one stored with ``playbook --use``, else the default,
    with the stored go-live day."""
    from sixplustwo.domain.playbook import default_playbook, parse_playbook
    from sixplustwo.store.audit import GO_LIVE_SETTING, PLAYBOOK_SETTING, Settings

    settings = Settings(db)
    stored = settings.get(PLAYBOOK_SETTING)
    book = default_playbook()
    if stored:
        book = parse_playbook(stored, base=book, source="stored playbook")
    go_live = settings.get(GO_LIVE_SETTING)
    if go_live:
        day = date.fromisoformat(go_live)
        if book.settings.go_live != day:
            book = book.with_settings(go_live=day)
    return book


class Page:
    """One request as a page sees it: the site, who asks (``user``, None before login),
    their language, the form posted, and the cookies to set on the answer."""

    def __init__(self, site: Site, request: Request) -> None:
        self.site = site
        self.request = request
        self.words = Words(choose(request.headers.get("accept-language")))
        self.user: User | None = None
        self.form: dict[str, str] = {}
        self.form_lists: dict[str, list[str]] = {}
        self.csrf = site.signer.read_csrf(request.cookies.get(CSRF_COOKIE))
        self._new_csrf: str | None = None
        if self.csrf is None:
            self.csrf, self._new_csrf = site.signer.new_csrf()
        self.session: str | None = None  # a session cookie to set ("" ends it)

    @property
    def address(self) -> str:
        return self.request.scope.get("sixplustwo.client") or "?"

    @property
    def secure(self) -> bool:
        return self.request.scope.get("sixplustwo.scheme") == "https" or bool(self.site.proxies)

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        words = self.words
        html = self.site.templates.get_template(template).render(
            _=words.gettext,
            words=words,
            lang="zh-CN" if words.language == "zh" else "en",
            user=self.user,
            csrf_field=CSRF_FIELD,
            csrf=self.csrf,
            **values,
        )
        return HTMLResponse(html, status_code=status)

    def not_found(self) -> HTMLResponse:
        """The one answer for an id that is missing or not this user's."""
        return self.render("error.html", 404, message=self.words._("Not found."))

    def finish(self, response: Response) -> Response:
        secure = self.secure
        if self._new_csrf is not None:
            response.set_cookie(
                CSRF_COOKIE, self._new_csrf, httponly=True, samesite="lax", secure=secure,
                path="/",
            )  # fmt: skip
        if self.session == "":
            response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                                   secure=secure)  # fmt: skip
        elif self.session is not None:
            response.set_cookie(
                SESSION_COOKIE, self.session, max_age=IDLE_SECONDS, httponly=True,
                samesite="lax", secure=secure, path="/",
            )  # fmt: skip
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response


Handler = Callable[[Page], Awaitable[Response]]


def page(*, login: bool = True, manager: bool = False) -> Callable[[Handler], Callable]:
    """A route: the user from the session (else to the login page), the CSRF token checked
    on every POST before anything else, the session renewed (idle expiry), a missing or
    out-of-scope id answered as not found, an error caused by input shown on the page."""

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            site: Site = request.app.state.site
            current = Page(site, request)
            if request.method == "POST":
                form = await request.form()
                current.form = {k: v for k, v in form.items() if isinstance(v, str)}
                current.form_lists = {k: [str(v) for v in form.getlist(k)] for k in form}
                cross = request.headers.get("sec-fetch-site") == "cross-site"
                if cross or not csrf_ok(current.csrf if not current._new_csrf else None,
                                        current.form.get(CSRF_FIELD)):  # fmt: skip
                    message = current.words._(
                        "This form has expired or did not come from this site: "
                        "go back, reload the page and send it again."
                    )
                    return current.finish(current.render("error.html", 403, message=message))
            session = site.signer.read_session(request.cookies.get(SESSION_COOKIE))
            if session is not None:
                current.user = await run_in_threadpool(site.user, *session)
                if current.user is not None:
                    current.session = site.signer.session(current.user.id,
                                                          current.user.fingerprint)  # fmt: skip
                else:
                    current.session = ""
            if login and current.user is None:
                return current.finish(RedirectResponse("/login", status_code=303))
            if manager and not current.user.is_manager:
                return current.finish(current.not_found())
            try:
                response = await handler(current)
            except NotFound:
                response = current.not_found()
            except SixPlusTwoError as error:
                response = current.render(
                    "error.html", 400, message=current.words.error(error), back=True
                )
            return current.finish(response)

        return endpoint

    return wrap
