"""Shared by the page's tests: a demo database with two butlers and a manager, and a client
that logs in and posts forms as a browser does."""

from __future__ import annotations

import json
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from typer.testing import CliRunner

from sixplustwo.cli.app import app
from sixplustwo.store import users

# Cheap hashes for the tests (as Django's tests swap in a fast hasher); the real parameters
# are checked by test_serve.py's test_passwords_are_argon2id_hashes.
users.HASHING.update(time_cost=1, memory_cost=1024, parallelism=1)

PASSWORD = "correct horse 42"
# The demo's butlers (samples/owners.csv): each a user seeing only their own owners.
BUTLER_A, BUTLER_B = "李晓", "王磊"
USERS = {"lixiao": ("butler", BUTLER_A), "wanglei": ("butler", BUTLER_B), "boss": ("manager", None)}


def cli(db: str, *args: str, input: str | None = None):
    result = CliRunner().invoke(app, ["--db", db, *args], input=input)
    return result


def make_site_database(path: str) -> str:
    """The demo's owners, projects, events and cases, and the three users."""
    result = cli(path, "demo", "--format", "json")
    assert result.exit_code == 0, result.output
    for name, (role, butler) in USERS.items():
        args = ["user", "add", name, "--role", role] + (["--butler", butler] if butler else [])
        assert cli(path, *args).exit_code == 0
        done = cli(path, "user", "password", name, "--password-stdin", input=PASSWORD + "\n")
        assert done.exit_code == 0, done.output
    return path


def copy_database(source: str, target: str) -> str:
    shutil.copyfile(source, target)
    return target


def due(db: str, butler: str | None = None) -> list[dict]:
    args = ["due", "--format", "json"] + (["--butler", butler] if butler else [])
    result = cli(db, *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


_TOKEN = re.compile(r'name="csrftoken" value="([^"]+)"')


def token(html: str) -> str:
    return _TOKEN.search(html).group(1)


def login(client, name: str, password: str = PASSWORD, **headers):
    page = client.get("/login", headers=headers)
    return client.post(
        "/login",
        data={"csrftoken": token(page.text), "name": name, "password": password},
        headers=headers,
        follow_redirects=False,
    )


def post(client, path: str, data: dict | None = None, **kwargs):
    """A form posted with the client's CSRF token, as the page's own forms send it."""
    page = client.get("/login")
    return client.post(path, data={"csrftoken": token(page.text), **(data or {})}, **kwargs)


@contextmanager
def served(app) -> Iterator[str]:
    """``app`` served by uvicorn on 127.0.0.1 (a free port) in a thread: its base URL."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            proxy_headers=False)  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
