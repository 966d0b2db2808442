"""What a command imports at start: `--help`, the morning list and the cron export pay only
for what they use
(issue 4: SQLAlchemy, SQLModel and pydantic cost ~0.5 s; the list's budget is 1.5 s; the ORM
is gone since, and the test keeps it and pydantic out)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

# Typer itself prints help with rich, so only the list's own path is held to leaving it out.
# Babel makes the message catalogues; the installed tool reads them with gettext.
# httpx (the notify extra) is imported only when a message is sent.
DATABASE_AND_FILES = {
    "sqlalchemy", "sqlmodel", "pydantic", "openpyxl", "icalendar", "babel", "httpx", "httpcore",
}  # fmt: skip
# The page's extra (`sixplustwo[serve]`): only `serve` and `user password` load any of it.
SERVE = {"starlette", "jinja2", "uvicorn", "argon2", "itsdangerous", "multipart",
         "python_multipart", "anyio"}  # fmt: skip
# The app, not the script's main: after a large list, main ends the process at once.
_PROBE = """
import sys
from sixplustwo.cli.app import app
sys.argv = ["sixplustwo", *sys.argv[1:]]
try:
    app()
except SystemExit as exit:
    code = exit.code or 0
else:
    code = 0
loaded = sorted({name.split(".")[0] for name in sys.modules})
sys.stderr.write("LOADED " + " ".join(loaded) + "\\n")
sys.exit(code)
"""


def _loaded(args: list[str], env: dict[str, str]) -> set[str]:
    run = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, env=env, timeout=120
    )
    assert run.returncode == 0, run.stderr
    line = next(x for x in run.stderr.splitlines() if x.startswith("LOADED "))
    return set(line.split()[1:])


@pytest.fixture()
def env(tmp_path) -> dict[str, str]:
    database = tmp_path / "startup.db"
    environment = {**os.environ, "SIXPLUSTWO_DB": str(database), "COLUMNS": "200"}
    subprocess.run(
        [sys.executable, "-m", "sixplustwo", "--db", str(database), "demo", "--format", "json"],
        env=environment,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return environment


@pytest.mark.parametrize("language", ["en", "zh"])
def test_help_imports_nothing_heavy(env, language):
    loaded = _loaded(["--help"], {**env, "SIXPLUSTWO_LANG": language})
    assert not loaded & (DATABASE_AND_FILES | SERVE)


def test_notify_help_and_status_import_no_http_client(env):
    for args in (["notify", "--help"], ["notify", "butlers", "--help"], ["notify", "status"]):
        assert not _loaded(args, env) & DATABASE_AND_FILES


@pytest.mark.parametrize(
    "args",
    [
        ["due", "--date", "2026-11-22", "--format", "json"],
        ["due", "--date", "2026-11-22", "--butler", "王管家", "--step", "1", "-f", "json"],
        ["export", "--date", "2026-11-22", "--format", "csv", "--out", "-", "--new-only"],
    ],
)
@pytest.mark.parametrize("language", ["en", "zh"])  # the Chinese catalogue costs no import
def test_morning_list_and_export_skip_the_orm_and_pydantic(env, args, language):
    loaded = _loaded(args, {**env, "SIXPLUSTWO_LANG": language})
    assert not loaded & (DATABASE_AND_FILES | SERVE | {"rich", "phonenumbers"})
