"""Hostile and odd input: refused with one line or taken exactly, never a traceback."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sixplustwo.domain.dates import parse_date
from sixplustwo.domain.errors import InvalidInput
from sixplustwo.domain.phones import mask_phone, normalise_phone


@given(st.text(max_size=40))
def test_date_parser_returns_a_date_or_a_named_refusal(text):
    try:
        parsed = parse_date(text, what="生日")
    except InvalidInput as exc:
        assert str(exc).startswith("生日:") and "\n" not in str(exc)
    else:
        assert 1 <= parsed.month <= 12


@given(st.text(max_size=30))
def test_phone_validation_normalises_or_refuses(text):
    try:
        phone = normalise_phone(text)
    except InvalidInput as exc:
        assert "\n" not in str(exc)
    else:
        assert (phone.isdigit() and len(phone) == 11) or phone.startswith("+")
        assert "*" in mask_phone(phone)


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_every_mainland_mobile_is_accepted_and_masked(phone):
    assert normalise_phone(phone) == phone
    assert mask_phone(phone) == phone[:3] + "****" + phone[-4:]


_CELL = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(_CELL, _CELL, _CELL, _CELL), min_size=1, max_size=5))
def test_importer_takes_a_file_whole_or_refuses_it_in_lines(cli, project, tmp_path, db_path, rows):
    path = tmp_path / "fuzz.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["name", "phone", "unit", "signed", "project"])
    for name, phone, unit, signed in rows:
        writer.writerow([name, phone, unit, signed, "HY1"])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    with sqlite3.connect(db_path) as connection:
        before = connection.execute("SELECT COUNT(*) FROM owner").fetchone()[0]
    result = cli("owner", "import", path, ok=False)
    assert result.exit_code in (0, 1)
    assert "Traceback" not in result.stderr + result.stdout
    with sqlite3.connect(db_path) as connection:
        after = connection.execute("SELECT COUNT(*) FROM owner").fetchone()[0]
    if result.exit_code == 1:
        assert after == before
        assert result.stderr.strip().splitlines()[-1].startswith("sixplustwo: error:")
    else:
        assert after == before + len(rows)  # every row carries the project: none is blank


# Odd but allowed: a name is one line (control characters are refused, test_hostile_text.py)
# of at most 100 characters.
ODD_NAMES = [
    '王"伟",第二个',
    "😀李娜",
    "Robert'); DROP TABLE owner;--",
    "=1+2",
    "长" * 100,
    "[red]红[/red]",
]
# Notes may hold newlines and tabs, up to 2,000 characters.
ODD_NOTES = [*ODD_NAMES, '王"伟",\n第二行\t列', "长" * 2000]


def test_odd_names_round_trip_through_import_due_and_exports(cli, cli_json, project, tmp_path):
    from icalendar import Calendar

    path = tmp_path / "odd.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["name", "phone", "project", "unit", "visited"])
    for index, name in enumerate(ODD_NAMES):
        writer.writerow([name, f"1380000{index:04d}", "HY1", f"U{index}", "2024-06-09"])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    cli("owner", "import", path)
    due = cli_json("due", "--date", "2024-06-10")
    assert sorted(r["owner"] for r in due if r["owner"]) == sorted(ODD_NAMES)
    table = cli("due", "--date", "2024-06-10").stdout
    assert "[red]红[/red]" in table
    exported = json.loads(
        cli("export", "--date", "2024-06-10", "--format", "json", "--out", "-").stdout
    )
    assert sorted(r["owner"] for r in exported) == sorted(ODD_NAMES)
    csv_path = tmp_path / "sms.csv"
    cli("export", "--date", "2024-06-10", "--format", "csv", "--out", csv_path)
    names = [row["owner"] for row in csv.DictReader(io.StringIO(csv_path.read_text("utf-8-sig")))]
    assert sorted(n.removeprefix("'") if n == "'=1+2" else n for n in names) == sorted(ODD_NAMES)
    assert "'=1+2" in names  # neutralised for spreadsheets
    ics_path = tmp_path / "team.ics"
    cli("export", "--date", "2024-06-10", "--format", "ics", "--out", ics_path)
    summaries = " ".join(
        str(e["SUMMARY"]) for e in Calendar.from_ical(ics_path.read_bytes()).walk("VEVENT")
    )
    for name in ODD_NAMES:
        assert name in summaries
    assert cli_json("owner", "list")[0]["name"] == ODD_NAMES[0]


_XLSX_CELL = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(min_codepoint=32, blacklist_categories=("Cs",)), max_size=10),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.datetimes(min_value=datetime(1900, 3, 1)),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.lists(_XLSX_CELL, min_size=6, max_size=6), min_size=1, max_size=4))
def test_xlsx_importer_never_tracebacks_or_half_writes(cli, project, tmp_path, db_path, rows):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "手机", "房号", "签约日期", "生日", "项目"])
    for row in rows:
        sheet.append([*row[:5], "HY1"])
    path = tmp_path / "fuzz.xlsx"
    workbook.save(path)
    with sqlite3.connect(db_path) as connection:
        before = connection.execute("SELECT COUNT(*) FROM owner").fetchone()[0]
    result = cli("owner", "import", path, ok=False)
    assert result.exit_code in (0, 1), result.exception
    assert "Traceback" not in result.stderr + result.stdout
    with sqlite3.connect(db_path) as connection:
        after = connection.execute("SELECT COUNT(*) FROM owner").fetchone()[0]
    assert after == before if result.exit_code else after == before + len(rows)


def test_odd_notes_round_trip_through_events_and_cases(cli, cli_json, project):
    owner_id = cli_json("owner", "add", "--name", "王伟", "--phone", "13812345678", "--project",
                        "HY1", "--unit", "1-101", "--signed", "2024-01-01")["id"]  # fmt: skip
    for index, note in enumerate(ODD_NOTES):
        cli("event", "add", owner_id, "call", "--date", f"2024-02-{index + 1:02d}", "--note", note)
    case_id = cli_json("case", "open", owner_id, "--kind", "complaint", "--note", ODD_NOTES[-2],
                       "--date", "2024-03-01")["id"]  # fmt: skip
    shown = cli_json("owner", "show", owner_id)
    assert [e["note"] for e in shown["events"]] == ODD_NOTES
    assert [c["note"] for c in shown["cases"] if c["id"] == case_id] == [ODD_NOTES[-2]]
    assert cli_json("case", "list")[0]["note"] == ODD_NOTES[-2]
