"""The pages: log in and out, today's list, an action (call, complete), an owner's timeline
(open a case), and for a manager the report. Each reads and writes through the store as the
logged-in user sees it (``Site.store`` → ``store.scope.Scoped``), in a worker thread."""

from __future__ import annotations

from datetime import date

from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from sixplustwo.domain.errors import InvalidInput, NotFound
from sixplustwo.domain.phones import mask_phone
from sixplustwo.web.i18n import CASE_KIND, CHANNELS, ROLE, STATUS, STEP, action_title
from sixplustwo.web.site import Page, page


def _see_other(path: str) -> Response:
    return RedirectResponse(path, status_code=303)


# -- logging in --------------------------------------------------------------------------


@page(login=False)
async def login_form(current: Page) -> Response:
    if current.user is not None:
        return _see_other("/")
    return current.render("login.html")


@page(login=False)
async def login(current: Page) -> Response:
    site = current.site
    name = current.form.get("name", "").strip()[:80]
    password = current.form.get("password", "")
    address = current.address
    wait = site.throttle.blocked(name, address)
    if wait:
        await run_in_threadpool(_audit, site, name, address, "serve login refused")
        message = current.words._("Too many failed logins: try again in {minutes} minutes.").format(
            minutes=(wait + 59) // 60
        )
        return current.render("login.html", 429, error=message, name=name)
    user = await run_in_threadpool(_check, site, name, password)
    if user is None:
        site.throttle.failed(name, address)
        await run_in_threadpool(_audit, site, name, address, "serve login failed")
        message = current.words._("Wrong name or password.")
        return current.render("login.html", 401, error=message, name=name)
    site.throttle.succeeded(name)
    await run_in_threadpool(_audit, site, user.name, address, "serve login")
    current.user = user
    current.session = site.signer.session(user.id, user.fingerprint)
    return _see_other("/")


def _check(site, name: str, password: str):
    from sixplustwo.store.database import open_database
    from sixplustwo.store.users import Users

    if not name or not password:
        return None
    with open_database(site.db, write=False) as db:
        return Users(db).check_password(name, password)


def _audit(site, who: str, address: str, what: str) -> None:
    """A login, failed or refused, in the audit log under the name tried: a write of its own,
    with nothing to undo (not journaled)."""
    from sixplustwo.store.audit import Audit
    from sixplustwo.store.command import Actor
    from sixplustwo.store.database import open_database
    from sixplustwo.web.site import server_user

    with open_database(site.db, write=True) as db:
        audit = Audit(db, Actor(server_user(), who or "?"))
        if what == "serve login refused":
            audit.record(what, "user {name} from {address}: too many failures", name=who,
                         address=address)  # fmt: skip
        else:
            audit.record(what, "user {name} from {address}", name=who, address=address)


@page()
async def logout(current: Page) -> Response:
    current.session = ""
    return _see_other("/login")


# -- today ------------------------------------------------------------------------------


def _card(words, row, today: date) -> dict:
    action = row.action
    if action.subject == "project":
        owner = row.project_name or row.project
    else:
        owner = row.owner or words._("(erased)")
    return {
        "id": action.action_id,
        "status": action.status,
        "status_word": words.label(STATUS, action.status),
        "late": action.days_overdue(today),
        "due_on": action.due_on,
        "title": action_title(row.title, action.detail),
        "step": action.step,
        "owner": owner,
        "owner_id": row.owner_id,
        "phone": mask_phone(row.phone) if row.phone else "",
        "project": row.project_name,
        "unit": row.unit,
        "butler": row.butler,
    }


@page()
async def today_page(current: Page) -> Response:
    site, user = current.site, current.user
    wanted = current.request.query_params.get("butler") or None
    day = site.today()

    def read():
        with site.store(user, write=False) as scoped:
            rows = scoped.due(day, butler=wanted)
            return rows, scoped.butlers()

    rows, butlers = await run_in_threadpool(read)
    cards = [_card(current.words, row, day) for row in rows]
    return current.render(
        "today.html",
        day=day,
        cards=cards,
        overdue=sum(1 for c in cards if c["status"] == "overdue"),
        butlers=butlers,
        wanted=wanted,
    )


# -- an action -------------------------------------------------------------------------


def _action_values(current: Page, shown, day: date) -> dict:
    from sixplustwo.domain.playbook import STEP_MINDSETS

    words = current.words
    action, rule, view = shown.action, shown.rule, shown.view
    recorded = {r.item: r for r in shown.recorded}
    owner = None
    events = cases = []
    if view is not None:
        owner = {
            "id": view.owner.id,
            "name": view.owner.name or words._("(erased)"),
            "phone": mask_phone(view.owner.phone),
            "has_phone": bool(view.owner.phone),
            "project": view.project.name,
            "unit": view.owner.unit,
            "butler": view.owner.butler,
        }
        events = list(reversed(view.events[-5:]))
        cases = [c for c in view.cases if c.resolved_on is None]
    return {
        "action": {
            "id": action.action_id,
            "title": action_title(rule.title, action.detail),
            "status": action.status,
            "status_word": words.label(STATUS, action.status),
            "late": action.days_overdue(day),
            "due_on": action.due_on,
            "done": action.status == "done",
        },
        "step": rule.step,
        "step_word": words.label(STEP, rule.step),
        "mindset": STEP_MINDSETS.get(rule.step, ""),
        "talking_points": list(rule.talking_points),
        "checklist": [
            {"number": n, "item": item, "result": recorded.get(item)}
            for n, item in enumerate(rule.checklist, start=1)
        ],
        "owner": owner,
        "events": events,
        "cases": cases,
        "channels": CHANNELS,
        "case_kind": lambda kind: words.label(CASE_KIND, kind),
    }


@page()
async def action_page(current: Page) -> Response:
    site, user = current.site, current.user
    action_id = current.request.path_params["action_id"]
    day = site.today()

    def read():
        with site.store(user, write=False) as scoped:
            shown = scoped.action(action_id, day)
            titles = {r.name: r.title for r in scoped.store.playbook}
            return shown, titles

    shown, titles = await run_in_threadpool(read)
    values = _action_values(current, shown, day)
    values["titles"] = titles
    return current.render("action.html", **values)


@page()
async def call(current: Page) -> Response:
    """The call button: the full number, written to the audit log, and a ``tel:`` link."""
    site, user = current.site, current.user
    action_id = current.request.path_params["action_id"]
    day = site.today()

    def reveal():
        with site.store(user, write=True, said=("reveal", action_id)) as scoped:
            shown = scoped.action(action_id, day)
            if shown.view is None:
                raise NotFound("no phone")
            phone = scoped.reveal_phone(shown.view.owner.id, "serve reveal")
            return shown, phone

    shown, phone = await run_in_threadpool(reveal)
    if not phone:
        raise NotFound("no phone")
    owner = shown.view.owner
    return current.render(
        "call.html",
        action_id=shown.action.action_id,
        owner=owner.name or current.words._("(erased)"),
        phone=phone,
        tel="tel:" + "".join(ch for ch in phone if ch.isdigit() or ch == "+"),
    )


def _checklist(form: dict[str, str], count: int) -> list[tuple[str, bool, str | None]]:
    answers = []
    for number in range(1, count + 1):
        answer = form.get(f"item{number}", "")
        note = form.get(f"problem{number}", "").strip() or None
        if answer == "ok":
            answers.append((str(number), True, None))
        elif answer == "problem" or note:
            answers.append((str(number), False, note))
    return answers


def _score(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise InvalidInput("--score {score} is not a number 1-5", score=text)
    return int(text)


@page()
async def complete(current: Page) -> Response:
    site, user, form = current.site, current.user, current.form
    action_id = current.request.path_params["action_id"]
    day = site.today()
    channel = form.get("channel", "").strip() or None
    note = form.get("note", "").strip() or None
    score = _score(form.get("score", ""))

    def write():
        with site.store(user, write=True, said=("done", action_id)) as scoped:
            shown = scoped.action(action_id, day)
            checklist = _checklist(form, len(shown.rule.checklist))
            _, opened = scoped.complete(
                action_id, day, note=note, channel=channel, score=score, checklist=checklist,
                today=day, via="serve done",
            )  # fmt: skip
            owner_id = shown.view.owner.id if shown.view is not None else None
            return shown, opened, owner_id

    shown, opened, owner_id = await run_in_threadpool(write)
    return current.render(
        "done.html",
        title=action_title(shown.rule.title, shown.action.detail),
        day=day,
        opened=opened,
        owner_id=owner_id,
    )


# -- an owner ---------------------------------------------------------------------------


@page()
async def owner_page(current: Page) -> Response:
    site, user = current.site, current.user
    owner_id = current.request.path_params["owner_id"]
    day = site.today()

    def read():
        with site.store(user, write=False) as scoped:
            view = scoped.owner_view(owner_id, day)
            titles = {r.name: r.title for r in scoped.store.playbook}
            return view, titles

    view, titles = await run_in_threadpool(read)
    words = current.words
    listed = [
        {
            "id": a.action_id,
            "title": action_title(titles.get(a.rule, a.rule), a.detail),
            "status_word": words.label(STATUS, a.status),
            "status": a.status,
            "due_on": a.due_on,
        }
        for a in view.actions
        if a.status in ("open", "overdue")
    ]
    return current.render(
        "owner.html",
        owner=view.owner,
        name=view.owner.name or words._("(erased)"),
        phone=mask_phone(view.owner.phone),
        project=view.project.name,
        actions=listed,
        events=list(reversed(view.events)),
        cases=list(reversed(view.cases)),
        titles=titles,
        case_kind=lambda kind: words.label(CASE_KIND, kind),
        kinds=[(code, words.label(CASE_KIND, code)) for code in CASE_KIND],
        opened=current.request.query_params.get("opened"),
    )


@page()
async def open_case(current: Page) -> Response:
    site, user, form = current.site, current.user, current.form
    owner_id = current.request.path_params["owner_id"]
    kind = form.get("kind", "")
    if kind not in CASE_KIND:
        raise InvalidInput("--kind {kind}: complaint or repair", kind=kind)
    note = form.get("note", "")
    day = site.today()

    def write():
        with site.store(user, write=True, said=("case open", str(owner_id))) as scoped:
            return scoped.open_case(owner_id, kind, note, day, day).id

    case_id = await run_in_threadpool(write)
    return _see_other(f"/owner/{owner_id}?opened={case_id}")


# -- a manager's report ----------------------------------------------------------------


@page(manager=True)
async def report_page(current: Page) -> Response:
    from starlette.responses import HTMLResponse

    from sixplustwo.web.report import report

    html = await run_in_threadpool(report, current.site, current.user)
    # The report's own page (as `report --html` writes it): its styles are inline, and it has
    # no script either.
    policy = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
              "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")  # fmt: skip
    return HTMLResponse(html, headers={"Content-Security-Policy": policy})


def _role_word(words, role: str) -> str:
    return words.label(ROLE, role)


ROUTES = [
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/", today_page, methods=["GET"]),
    Route("/action/{action_id}", action_page, methods=["GET"]),
    Route("/action/{action_id}/call", call, methods=["POST"]),
    Route("/action/{action_id}/done", complete, methods=["POST"]),
    Route("/owner/{owner_id:int}", owner_page, methods=["GET"]),
    Route("/owner/{owner_id:int}/case", open_case, methods=["POST"]),
    Route("/report", report_page, methods=["GET"]),
]
