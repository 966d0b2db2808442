from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from typer.testing import CliRunner

from sixplustwo.cli.app import app


@pytest.fixture(autouse=True)
def db_path(tmp_path, monkeypatch):
    """Every test gets its own database through the environment, never the user's own."""
    path = tmp_path / "test.db"
    monkeypatch.setenv("SIXPLUSTWO_DB", str(path))
    monkeypatch.setenv("COLUMNS", "220")  # rich folds narrow tables; tests read whole cells
    return path


@pytest.fixture(autouse=True)
def language(monkeypatch):
    """The suite's language is English, the source language, whatever the machine's locale:
    messages are asserted as the code writes them (``_("…")``, error ids). A test that reads
    a screen as a Chinese butler team does asks for the ``chinese`` fixture; tests/
    test_language.py checks that every message has its Chinese translation."""
    from sixplustwo.cli import messages

    monkeypatch.setenv("SIXPLUSTWO_LANG", "en")
    yield
    messages.install("en")  # the catalogue a command installed goes with its test


@pytest.fixture
def chinese(monkeypatch):
    """The interface in Chinese (SIXPLUSTWO_LANG=zh), as the butler teams read it."""
    monkeypatch.setenv("SIXPLUSTWO_LANG", "zh")


@pytest.fixture
def empty_db(db_path):
    """An empty database at ``db_path``, for tests that begin with a reading command (which
    never creates one)."""
    from sixplustwo.store.database import open_database

    with open_database(db_path, write=True, create=True):
        pass
    return db_path


@pytest.fixture
def cli() -> Callable:
    runner = CliRunner()

    def run(*args: str, input: str | None = None, ok: bool = True):
        result = runner.invoke(app, [str(a) for a in args], input=input)
        if ok and result.exit_code != 0:
            raise AssertionError(
                f"{args} exited {result.exit_code}\nstdout: {result.stdout}\n"
                f"stderr: {result.stderr}\n{result.exception!r}"
            )
        return result

    return run


@pytest.fixture
def cli_json(cli) -> Callable:
    def run(*args: str):
        return json.loads(cli(*args, "--format", "json").stdout)

    return run


@pytest.fixture
def project(cli) -> str:
    cli("project", "add", "HY1", "--name", "华苑一期", "--delivery-date", "2024-06-30")
    return "HY1"
