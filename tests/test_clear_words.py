"""Clear words and a possible journey: constraint errors in the user's terms, a closed pipe
ends quietly, phones with letters are refused, every festival is found by its date, journey
dates that have not happened are refused, and no delivery notice after the keys are handed
over."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta

import pytest

from sixplustwo.domain.clock import today_in  # the company's day, as the commands take it
from sixplustwo.domain.errors import InvalidInput
from sixplustwo.domain.phones import normalise_phone


def _add(cli_json, unit: str, *extra: str) -> int:
    return cli_json(
        "owner", "add", "--name", "王伟", "--phone", "13812345678", "--project", "HY1",
        "--unit", unit, *extra,
    )["id"]  # fmt: skip


def test_a_taken_flat_is_named_not_a_constraint(cli, cli_json, project):
    first = _add(cli_json, "1-101")
    second = _add(cli_json, "1-102")
    refused = cli("owner", "edit", second, "--unit", "1-101", ok=False)
    assert refused.exit_code == 1
    assert f"flat HY1 1-101 already belongs to owner {first}" in refused.stderr
    assert "UNIQUE" not in refused.stderr and "constraint" not in refused.stderr


def test_a_closed_pipe_ends_the_command_quietly(tmp_path):
    db = tmp_path / "pipe.db"
    csv = tmp_path / "many.csv"
    rows = "\n".join(f"客户{i},139{i:08d},HY1,{i}-101" for i in range(3000))
    csv.write_text("姓名,手机,项目,房号\n" + rows + "\n", encoding="utf-8")
    run = [sys.executable, "-m", "sixplustwo", "--db", str(db)]
    subprocess.run([*run, "project", "add", "HY1", "--name", "华苑"], check=True)
    subprocess.run([*run, "owner", "import", str(csv)], check=True, capture_output=True)
    # `owner list --limit 0 --format csv | head -1`
    listing = subprocess.Popen(
        [*run, "owner", "list", "--limit", "0", "--format", "csv"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert listing.stdout.readline().startswith(b"id,name")
    listing.stdout.close()
    assert listing.wait(timeout=60) == 0
    assert listing.stderr.read() == b""


@pytest.mark.parametrize("typed", ["1381234abcd", "138-1234-ABCD", "0755 8888 88xx"])
def test_phones_with_letters_are_refused(typed):
    with pytest.raises(InvalidInput, match="letters"):
        normalise_phone(typed)


@pytest.mark.parametrize("day", ["2020-10-01", "2028-10-03"])
def test_mid_autumn_is_greeted_on_national_day(cli, cli_json, project, day):
    _add(cli_json, "1-101", "--signed", "2019-01-05")
    listed = cli_json("due", "--date", day, "--step", "5")
    details = {row.get("detail") or row["title"] for row in listed}
    festival = date.fromisoformat(day)
    from sixplustwo.domain.calendars import festival_days

    assert dict(festival_days(festival.year))["mid-autumn"] == festival
    ids = {row["action_id"] for row in listed}
    assert f"o1:holiday-greeting:{festival.year}-mid-autumn" in ids, (ids, details)


@pytest.mark.parametrize("field", ["--visited", "--subscribed", "--signed", "--delivered"])
def test_journey_dates_that_have_not_happened_are_refused(cli, project, field):
    tomorrow = (today_in(None) + timedelta(days=1)).isoformat()
    refused = cli(
        "owner", "add", "--name", "王伟", "--phone", "13812345678", "--project", "HY1",
        "--unit", "1-101", field, tomorrow, ok=False,
    )  # fmt: skip
    assert refused.exit_code == 1 and "is in the future" in refused.stderr
    # The planned delivery date may be in the future.
    cli("owner", "add", "--name", "王伟", "--phone", "13812345678", "--project", "HY1",
        "--unit", "1-101", "--signed", "2024-01-05", "--delivery-date", "2099-06-30")  # fmt: skip


def test_future_journey_dates_are_refused_on_edit_and_import(cli, cli_json, project, tmp_path):
    owner = _add(cli_json, "1-101", "--signed", "2024-01-05")
    refused = cli("owner", "edit", owner, "--delivered", "2099-01-01", ok=False)
    assert refused.exit_code == 1 and "delivered 2099-01-01 is in the future" in refused.stderr
    path = tmp_path / "ledger.csv"
    path.write_text(
        "姓名,手机,项目,房号,签约日期\n李娜,13900001111,HY1,2-201,2099-01-01\n", "utf-8"
    )
    refused = cli("owner", "import", path, ok=False)
    assert refused.exit_code == 1 and "signed 2099-01-01 is in the future" in refused.stderr


def test_no_delivery_notice_once_the_keys_are_handed_over(cli, cli_json, project):
    # Planned delivery 2024-06-30 (the project's): the notice is listed from 06-10 to 06-20,
    # and overdue for 30 days after; this owner got the keys early, on 06-15.
    early = _add(cli_json, "1-101", "--signed", "2024-01-05")
    waiting = _add(cli_json, "1-102", "--signed", "2024-01-05")
    cli("owner", "edit", early, "--delivered", "2024-06-15")

    def notices(day: str) -> set[int]:
        rows = cli_json("due", "--date", day, "--step", "4")
        return {row["owner_id"] for row in rows if row["rule"] == "delivery-notice"}

    assert notices("2024-06-12") == {early, waiting}  # not handed over yet on 06-12
    assert notices("2024-06-16") == {waiting}
    assert notices("2024-07-05") == {waiting}
    timeline = cli_json("owner", "show", early, "--date", "2024-07-05")["actions"]
    assert "delivery-notice" not in {action["rule"] for action in timeline}


@pytest.mark.parametrize(
    ("statement", "words"),
    [
        ("INSERT INTO owner (project_id, unit, created_at) VALUES (1, '1-101', 'x')",
         "that flat already belongs to another owner"),
        ("INSERT INTO project (code, name, created_at) VALUES ('HY1', 'x', 'x')",
         "a project with that code already exists"),
        ("INSERT INTO event (owner_id, kind, happened_on, recorded_at) VALUES (99, 'k', 'd', 'x')",
         "does not exist"),
    ],
)  # fmt: skip
def test_every_constraint_is_worded_for_the_user(cli, cli_json, project, db_path, statement, words):
    """What slips past the store's own checks (a race with another process) is still said in
    the user's terms, never as SQLite's text."""
    import sqlite3

    from sixplustwo.domain.errors import Conflict
    from sixplustwo.store.database import backend_for

    _add(cli_json, "1-101")
    backend = backend_for(db_path)
    if backend.NAME == "postgres":
        import psycopg

        connection = psycopg.connect(str(db_path), autocommit=True)
    else:
        connection = sqlite3.connect(db_path)
        connection.execute("PRAGMA foreign_keys = ON")
    with pytest.raises(backend.IntegrityError) as raised:
        connection.execute(statement)
    connection.close()
    described = backend.describe_error(raised.value, db_path)
    assert isinstance(described, Conflict) and words in str(described)
    assert "constraint" not in str(described)
