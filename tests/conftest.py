from __future__ import annotations

import functools
import json
from collections.abc import Callable

import pytest
import typer.testing
from hypothesis import settings
from typer.testing import CliRunner

from pg import pg_database, pg_empty_database, pg_server  # noqa: F401 (fixtures)
from sixplustwo.cli.app import app

# No per-example deadline: two workers on two cores, a PostgreSQL server beside them, and a
# library's first call loading its data (phonenumbers' metadata) make an example's time say
# nothing about the code; a failing example is a wrong result, not a slow one.
settings.register_profile("sixplustwo", deadline=None)
settings.load_profile("sixplustwo")

# Test modules whose every test runs twice, on SQLite and on PostgreSQL (a throwaway server,
# tests/pg.py; skipped with the reason shown where none can be had). Their tests reach the
# database through ``db_path`` (a file, or the server database's URL) and the CLI.
BOTH_BACKENDS = {
    "test_cli",
    "test_sent_is_done",
    "test_flats",
    "test_merge",
    "test_corrections",
    "test_export",
    "test_export_destinations",
    "test_export_team",
    "test_import",
    "test_import_update",
    "test_first_week",
    "test_go_live",
    "test_checklists",
    "test_referrals",
    "test_satisfaction",
    "test_touchpoints",
    "test_community",
    "test_membership",
    "test_db_copy",
    "test_report",
    "test_screens",
    "test_playbook",
    "test_clear_words",
    "test_due_equivalence",
    "test_owner_definition",
    "test_hostile",
    "test_background_import",
    "test_schema",
    "test_privacy",
    "test_reading_never_creates",
    "test_faults",
    "test_crash",
    "test_exactly_once",
    "test_report_equivalence",
    "test_hostile_text",
    "test_bulk",
    "test_find",
    "test_gateway",
    "test_private_files",
    "test_who",
    "test_calendars",
    "test_report_definitions",
    "test_contention",
    "test_wrong_results_refused",
    "test_ids_and_locks",
    "test_one_lines",
    "test_waits",
    "test_month_of_work",
}
# Tests in those modules that look at the SQLite file itself (its bytes, its pragmas, the
# sqlite3 module on it, a path where a file would be): SQLite only. Their server counterparts
# ask for the server themselves (``pg_server``, ``pg_database``, ``pg_empty_database``) and
# run once.
SQLITE_ONLY = {
    # test_who: drops 0023's columns with sqlite3, as the database was before
    "test_entries_from_before_read_as_the_os_user_they_recorded",
    # builds a database as an old release left it, with sqlite3
    "test_old_export_records_move_to_the_destination_their_format_implies",
    # test_schema: the journal mode is a pragma; a file of other tables, or not SQLite at all
    "test_a_sqlite_database_keeps_a_write_ahead_log",
    "test_a_file_that_is_not_ours_is_refused",
    # test_privacy: the modes of the database file, its -wal/-shm and its export lock file; the
    # default database is a file
    "test_every_file_the_tool_creates_is_private",
    "test_the_default_data_folder_is_private",
    # test_reading_never_creates: folders not made, the default database is a file (the
    # server's twin: test_a_mistyped_server_database_is_not_made)
    "test_a_mistyped_folder_is_not_made_and_the_environment_path_is_not_made",
    "test_the_default_database_follows_the_same_rule",
    # test_faults: files of an older or newer release, a backup file, a damaged file, paths,
    # a small tmpfs; their server twins are the tests beside them that ask for the server
    # (and test_server.py's backup test)
    "test_first_release_database_upgrades_and_keeps_every_row",
    "test_a_database_from_a_newer_release_is_refused_untouched",
    "test_backup_is_a_consistent_private_copy_and_check_reports_one_line",
    "test_check_fails_on_a_damaged_file",
    "test_unusable_paths_get_one_clear_line",
    "test_full_disk_is_one_line_and_changes_nothing",
    "test_read_only_database_is_one_line",
    # test_exactly_once: its server twin runs one format (the formats differ only in their file)
    "test_export_killed_at_every_step_delivers_each_action_once",
    # test_report_equivalence: not about the file, but a fresh database for each of its
    # random examples costs the server ~15 s; the fixed 400-owner scenario runs on both
    "test_sql_report_equals_slow_evaluation_on_random_scenarios",
    # test_hostile_text: 24 inputs refused before anything is written, the same on either
    # backend (the stored hostile text is read back from the server by the module's others)
    "test_owner_add_and_edit_refuse_control_and_bidi_characters",
    # test_gateway: hides psycopg, which the server's fixture needs (no database is opened)
    "test_a_server_url_without_its_driver_says_how_to_install_it",
    # test_private_files: the database file's mode, the export lock file beside it
    "test_an_older_world_readable_database_is_made_private",
    "test_a_planted_symlink_is_never_followed",
    # test_contention: watches SQLite's write lock (BEGIN IMMEDIATE) while an export runs
    "test_a_large_export_holds_the_write_lock_a_fraction_of_a_second",
    # test_clear_words: the command runs on a file of its own (--db), whatever the backend
    "test_a_closed_pipe_ends_the_command_quietly",
    # test_ids_and_locks: the export lock file beside a SQLite file, names of that file (a
    # server's lock is an advisory lock, whatever URL names the database)
    "test_two_paths_to_one_database_share_one_lock",
    "test_a_hard_linked_lock_file_is_refused_and_left_as_it_is",
    "test_a_hard_linked_database_is_refused_by_the_export",
    # test_one_lines: a read-only file system, a full one, a file's leftovers beside it
    "test_reading_commands_work_on_a_read_only_file_system",
    "test_a_read_only_copy_with_commits_in_its_log_reads_them",
    "test_a_failed_backup_leaves_nothing_behind",
    # test_waits: holds SQLite's write lock (BEGIN IMMEDIATE) from a connection of its own
    "test_a_writer_waits_longer_than_the_old_busy_timeout",
}
# Tests in those modules that open no database at all (pure functions, the source text): a
# second run on the server would repeat the first.
NO_DATABASE = {
    # test_calendars
    "test_next_working_day_honours_holidays_and_make_up_days",
    "test_a_year_without_a_published_schedule_counts_weekends_only",
    "test_workdays_setting_moves_due_dates_not_opening_dates",
    "test_festival_days_come_from_the_holiday_and_lunar_calendars",
    "test_spring_festival_greeting_window_and_who_gets_one",
    "test_lunar_birthday_falls_on_the_lunar_date_each_year",
    "test_lunar_birthday_across_a_leap_month",
    "test_lunar_thirtieth_is_kept_on_the_29th_of_a_short_month",
    # test_gateway, test_find, test_hostile_text
    "test_only_the_backend_part_imports_a_database_driver",
    "test_queries_are_written_once_in_named_style_and_converted_for_psycopg",
    "test_many_names_are_read_alike_in_bulk_and_one_by_one",
    "test_rendering_never_evaluates_or_pads",
}
SERVER_FIXTURES = {"pg_server", "pg_database", "pg_empty_database"}


@functools.cache
def _app_command():
    """The click command tree of the app, built once (Typer builds it anew on every
    ``CliRunner.invoke``: two thirds of a short command's time in the tests), with the help
    texts as built, which a command puts in its language as it runs (``compat.localise``)."""
    command = _build_command(app)
    texts = []

    def walk(node) -> None:
        texts.extend((node, name, getattr(node, name)) for name in ("help", "short_help"))
        texts.extend((param, "help", getattr(param, "help", None)) for param in node.params)
        if hasattr(node, "_help_option"):  # made, and kept, by the first run that shows help
            texts.append((node, "_help_option", None))
        for sub in getattr(node, "commands", {}).values():
            walk(sub)

    walk(command)
    return command, texts


def _cached_command(typer_instance):
    """``typer.testing``'s command builder, for the app: the tree built once, its help texts
    back as built (so that each invocation localises them as a fresh process would)."""
    if typer_instance is not app:
        return _build_command(typer_instance)
    command, texts = _app_command()
    for node, name, value in texts:
        setattr(node, name, value)
    return command


_build_command = typer.testing._get_command
typer.testing._get_command = _cached_command


# Long scenarios whose PostgreSQL run is left to -m slow (their SQLite run stays in the
# default run): the same commands and checks, each taking 8-25 s on the server, where every
# command opens a connection and a transaction of its own.
SLOW_ON_THE_SERVER = {
    "test_a_first_month",  # test_first_week: a month of mornings
    "test_the_whole_supported_range_reports",  # test_one_lines: the first and last days
    "test_import_killed_midway_writes_all_or_nothing",  # test_crash: four kills
    "test_four_writers_and_readers_lose_no_write",  # test_faults
    "test_cron_twice_a_day_sends_every_sms_once_and_the_calendar_whole",  # three orders
    "test_a_month_of_work",  # test_month_of_work: two butlers, cron twice a day
    "test_sql_due_list_equals_pure_evaluation",  # test_due_equivalence: the oracle's dates
    "test_sql_report_equals_slow_evaluation",  # test_report_equivalence: the oracle's periods
}


def pytest_generate_tests(metafunc):
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    name = metafunc.function.__name__
    if (
        "backend" in metafunc.fixturenames
        and module in BOTH_BACKENDS
        and name not in SQLITE_ONLY | NO_DATABASE
        and not SERVER_FIXTURES & set(metafunc.fixturenames)
    ):
        server = "postgres"
        if name in SLOW_ON_THE_SERVER:
            server = pytest.param("postgres", marks=pytest.mark.slow)
        metafunc.parametrize("backend", ["sqlite", server], indirect=True)


@pytest.fixture
def backend(request) -> str:
    """The database the test runs on: "sqlite" unless parametrised (BOTH_BACKENDS)."""
    return getattr(request, "param", "sqlite")


@pytest.fixture(autouse=True)
def db_path(tmp_path, monkeypatch, backend, request):
    """Every test gets its own database through the environment, never the user's own: a
    file, or on PostgreSQL a fresh database's URL (migrated already: ``empty_db`` is then a
    no-op)."""
    monkeypatch.setenv("COLUMNS", "220")  # rich folds narrow tables; tests read whole cells
    on_server = backend == "postgres"
    path = request.getfixturevalue("pg_database") if on_server else tmp_path / "test.db"
    monkeypatch.setenv("SIXPLUSTWO_DB", str(path))
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
def small_disk(tmp_path):
    """An 8 MiB tmpfs (room for a new database's migrations and their journal): a full disk
    or, remounted, a read-only one. Needs root to mount; skipped, saying why, without."""
    import subprocess

    mount_point = tmp_path / "small"
    mount_point.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount_point)],
        capture_output=True,
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {made.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


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


@pytest.fixture
def sqlite_statements(monkeypatch) -> list[str]:
    """Every statement the SQLite backend's connections run from now on, as SQLite expands
    them (for EXPLAIN QUERY PLAN in tests of the planner)."""
    from sixplustwo.store.backends import sqlite as backend

    statements: list[str] = []
    connect = backend.connect

    def tracing(*args, **kwargs):
        connection = connect(*args, **kwargs)
        connection.set_trace_callback(statements.append)
        return connection

    monkeypatch.setattr(backend, "connect", tracing)
    return statements
