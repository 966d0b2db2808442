"""A throwaway PostgreSQL server for the tests that run on both backends.

Started once per test session from the PostgreSQL binaries on the machine (Debian's
``postgresql`` package: /usr/lib/postgresql/N/bin, or ``$SIXPLUSTWO_PG_BIN``): ``initdb`` into
a temporary directory, ``pg_ctl start`` on a free local port with its socket in that directory,
stopped and removed at the end of the session (also when it fails). PostgreSQL refuses to run
as root: as root, the cluster belongs to the ``postgres`` user and is run through ``runuser``.
Each test gets a fresh database, copied from a template with the schema already migrated.

Where no binaries (or no psycopg) can be had, the tests that need the server are skipped, with
that reason in pytest's summary (``-rs``).
"""

from __future__ import annotations

import concurrent.futures
import glob
import itertools
import os
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

TEMPLATE = "sixplustwo_template"
_counter = itertools.count()


def _binaries() -> Path | None:
    given = os.environ.get("SIXPLUSTWO_PG_BIN")
    candidates = [given] if given else sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for folder in candidates:
        if folder and (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).parent
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, bin_dir: Path):
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="sixplustwo-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.user = None
        self.as_root = hasattr(os, "geteuid") and os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
        self.started = False
        self._dropper: concurrent.futures.ThreadPoolExecutor | None = None

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=False)

    def start(self) -> None:
        done = self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                         "-E", "UTF8", "--locale=C")  # fmt: skip
        if done.returncode:
            raise RuntimeError(f"initdb failed: {done.stderr.strip()[-500:]}")
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses='' -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        done = self._run("pg_ctl", "-D", str(self.data), "-o", options, "-w", "-t", "60",
                         "-l", str(self.root / "log"), "start")  # fmt: skip
        if done.returncode:
            log = (self.root / "log").read_text(errors="replace")[-1000:]
            raise RuntimeError(f"pg_ctl start failed: {done.stderr.strip()} {log}")
        self.started = True

    def stop(self) -> None:
        if self._dropper is not None:
            self._dropper.shutdown(wait=True, cancel_futures=True)
        if self.started:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql://postgres@/{database}?host={self.root}&port={self.port}"

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(sql)

    def make_template(self) -> None:
        from sixplustwo.store.database import open_database

        self.admin(f"CREATE DATABASE {TEMPLATE}")
        with open_database(self.url(TEMPLATE), write=True, create=True):
            pass

    def fresh_database(self, *, migrated: bool = True) -> str:
        name = f"t{os.getpid()}_{next(_counter)}"
        template = TEMPLATE if migrated else "template0"
        # FILE_COPY: a small template is copied in ~60% of WAL_LOG's time (a checkpoint, cheap
        # with fsync off, instead of writing every page to the WAL).
        self.admin(f"CREATE DATABASE {name} TEMPLATE {template} STRATEGY FILE_COPY")
        return name

    def drop_database(self, name: str) -> None:
        """Dropped in the background: the next test need not wait for a finished one's files
        to go (each test's database has a name of its own)."""
        if self._dropper is None:
            self._dropper = concurrent.futures.ThreadPoolExecutor(1, "pg-drop")
        self._dropper.submit(self.admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _why_not() -> str | None:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return 'psycopg is not installed (pip install "sixplustwo[postgres]")'
    if _binaries() is None:
        return "no PostgreSQL binaries (initdb, pg_ctl): install Debian's postgresql package"
    return None


def _stop_on_sigterm() -> None:
    """A run stopped by SIGTERM (a CI timeout) still stops its server: as an exception, so that
    the session's teardown runs."""
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:

        def stop(signum, frame):
            raise SystemExit(f"stopped by signal {signum}")

        signal.signal(signal.SIGTERM, stop)


@pytest.fixture(scope="session")
def pg_server():
    """The session's PostgreSQL server, or a skip saying why there is none."""
    reason = _why_not()
    if reason:
        pytest.skip(f"PostgreSQL tests skipped: {reason}")
    server = Server(_binaries())
    _stop_on_sigterm()
    try:
        server.start()
        server.make_template()
    except Exception as exc:
        server.stop()
        pytest.skip(f"PostgreSQL tests skipped: the test server did not start ({exc})")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_database(pg_server):
    """A fresh, migrated database on the test server: its URL."""
    name = pg_server.fresh_database()
    try:
        yield pg_server.url(name)
    finally:
        pg_server.drop_database(name)


@pytest.fixture
def pg_empty_database(pg_server):
    """A fresh database with nothing in it (no schema): its URL."""
    name = pg_server.fresh_database(migrated=False)
    try:
        yield pg_server.url(name)
    finally:
        pg_server.drop_database(name)
