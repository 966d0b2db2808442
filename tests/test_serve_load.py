"""Many butlers ticking off their lists at once (issue 31.5): the page served by uvicorn on
127.0.0.1 over a SQLite file, each butler in a thread of their own logging in, reading their
list and completing their action at the same moment; nothing is lost, nobody sees an error,
the CLI sees every one. Fifty under -m slow; eight in the default run."""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta

import pytest

pytest.importorskip("uvicorn", reason="the serve extra is not installed")

import httpx

from serve_helpers import PASSWORD, cli, due, served, token
from sixplustwo.store.database import open_database
from sixplustwo.store.users import Users
from sixplustwo.web.app import create_app

HEADER = "姓名,手机,项目,房号,来访日期,认购日期,签约日期,合同交付日期,实际交付日期,生日,管家,推荐人"


def _database(tmp_path, butlers: int) -> str:
    db = str(tmp_path / "load.db")
    assert cli(db, "project", "add", "LD1", "--name", "负载苑").exit_code == 0
    visited = (date.today() - timedelta(days=2)).isoformat()
    rows = [
        f"业主{n},1380000{n:04d},LD1,1-1-{n + 101},{visited},,,,,,管家{n}," for n in range(butlers)
    ]
    csv = tmp_path / "owners.csv"
    csv.write_text("\n".join([HEADER, *rows]) + "\n", "utf-8")
    imported = cli(db, "owner", "import", str(csv))
    assert imported.exit_code == 0, imported.output
    with open_database(db, write=True) as connection:  # as `user add` and `user password`
        users = Users(connection)
        for n in range(butlers):
            users.add(f"b{n}", "butler", f"管家{n}")
            users.set_password(f"b{n}", PASSWORD)
    return db


def _ticked_off_at_once(tmp_path, butlers: int) -> None:
    db = _database(tmp_path, butlers)
    listed = {row["butler"]: row["action_id"] for row in due(db)}
    assert len(listed) == butlers
    started = time.monotonic()
    with served(create_app(db, secret="load")) as base:
        answers = _at_once(base, listed, butlers)
    assert answers == {n: 200 for n in range(butlers)}
    assert time.monotonic() - started < 180
    assert due(db) == []  # every one done, as the CLI sees it
    said = cli(db, "audit", "--format", "json").output
    assert said.count("serve done") == butlers


def _at_once(base: str, listed: dict[str, str], butlers: int) -> dict[int, object]:
    """Each butler logs in and reads their list; then all complete their action together."""
    ready = threading.Barrier(butlers, timeout=120)
    answers: dict[int, object] = {}

    def butler(n: int) -> None:
        try:
            with httpx.Client(base_url=base, timeout=60) as client:
                page = client.get("/login")
                form = {"csrftoken": token(page.text), "name": f"b{n}", "password": PASSWORD}
                client.post("/login", data=form)
                today = client.get("/")
                action_id = listed[f"管家{n}"]
                assert f"/action/{action_id}" in today.text
                ready.wait()
                form = {"csrftoken": token(today.text), "channel": "电话"}
                done = client.post(f"/action/{action_id}/done", data=form)
                answers[n] = done.status_code
        except Exception as exc:  # reported by the caller, with the butler
            answers[n] = exc

    workers = [threading.Thread(target=butler, args=(n,)) for n in range(butlers)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=180)
    return answers


def test_eight_butlers_complete_their_actions_at_once(tmp_path):
    _ticked_off_at_once(tmp_path, 8)


@pytest.mark.slow
def test_fifty_butlers_complete_their_actions_at_once(tmp_path):
    _ticked_off_at_once(tmp_path, 50)
