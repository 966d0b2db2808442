"""A large file is read in a second process: the same rows, the same problems, one-line
errors, and a child that stops with its parent."""

from __future__ import annotations

import time

import pytest

from dbsql import erase, sql
from sixplustwo.domain.errors import InvalidInput
from sixplustwo.io.background import BackgroundRows, can_fork

pytestmark = pytest.mark.skipif(not can_fork(), reason="no fork on this platform")

HEADER = "姓名,手机,项目,房号,签约日期,实际交付日期,生日,管家,推荐人\n"


def _table(db_path) -> list[tuple]:
    return sql(
        db_path,
        "SELECT id, project_id, unit, name, phone, signed_on, delivered_on, birthday, "
        "birthday_md, butler, referred_by FROM owner ORDER BY id",
    )


def _rows(count: int) -> str:
    return "".join(
        f"客户{i},139{i:08d},HY1,{i}-101,2023-0{1 + i % 9}-1{i % 10},"
        f"{'2024-06-30' if i % 3 else ''},{'1980-02-29' if i % 7 == 0 else ''},"
        f"管家{i % 4},{'o1' if i % 11 == 5 else ''}\n"
        for i in range(count)
    )


@pytest.mark.parametrize("bad", [False, True])
def test_background_and_inline_imports_write_and_refuse_the_same(
    cli, project, tmp_path, db_path, monkeypatch, bad
):
    from sixplustwo.cli import owners_import

    body = HEADER + _rows(400)
    if bad:
        body += "坏行,12345,HY1,x-1,,,,,\n客户3,13900000003,HY1,3-101,,,,,\n"
    path = tmp_path / "owners.csv"
    path.write_text(body, encoding="utf-8")
    outcomes = []
    for threshold in (10**9, 1):  # inline, then in the background
        monkeypatch.setattr(owners_import, "_BACKGROUND_FROM_ROWS", threshold)
        result = cli("owner", "import", path, ok=False)
        outcomes.append((result.exit_code, result.stdout, result.stderr, _table(db_path)))
        if not bad:
            cli("owner", "import", path, "--update")  # back to the same rows, same ids
            assert _table(db_path) == outcomes[-1][3]
            erase(db_path)
            cli("project", "add", "HY1", "--name", "华苑一期", "--delivery-date", "2024-06-30")
    assert outcomes[0] == outcomes[1]
    if bad:
        assert outcomes[1][0] == 1
        assert "row 402, column 手机" in outcomes[1][2]
        assert "row 403, unit: flat HY1 3-101 is also on row 5" in outcomes[1][2]
    else:
        assert len(outcomes[1][3]) == 400


def _failing(after: int, error: Exception):
    yield from range(after)
    raise error


@pytest.mark.parametrize(
    "error, message",
    [
        (InvalidInput("row 9: broken"), "owners.csv: row 9: broken"),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad byte"), "owners.csv: UnicodeDecodeError"),
    ],
)
def test_a_failure_while_reading_is_one_error_in_the_parent(error, message):
    with BackgroundRows(_failing(12_000, error), "owners.csv") as rows:
        seen = []
        with pytest.raises(InvalidInput) as raised:
            for item in rows:
                seen.append(item)
    assert seen == list(range(10_000))  # whole batches arrive before the failure
    assert str(raised.value).startswith(message)


def test_leaving_early_stops_the_child():
    def endless():
        number = 0
        while True:
            yield number
            number += 1

    started = time.monotonic()
    with BackgroundRows(endless(), "endless") as rows:
        first = next(iter(rows))
        child = rows._child
    assert first == 0
    assert not child.is_alive()
    assert time.monotonic() - started < 10


def test_the_child_reads_ahead_of_a_slow_writer_and_leaves_no_thread():
    """Batches are taken off the pipe while the writer is busy (the bulk import inserts a
    window of 50,000 rows at a time): the child is not held at one batch ahead. Leaving early,
    with the queue full, stops the child and the thread that took its batches."""
    import threading

    def endless():
        number = 0
        while True:
            yield number
            number += 1

    with BackgroundRows(endless(), "endless") as rows:
        items = iter(rows)
        assert next(items) == 0
        deadline = time.monotonic() + 10
        while not rows._arrived.full() and time.monotonic() < deadline:
            time.sleep(0.05)  # the writer is busy; the reader goes on
        assert rows._arrived.full()  # many batches ahead, not one
        taker = rows._taker
    assert taker is not None and not taker.is_alive()
    assert not any(thread.name == "sixplustwo-taker" for thread in threading.enumerate())


def test_batches_cross_the_pipe_by_marshal_and_problems_by_pickle():
    """Rows of plain values go by marshal (the faster), a batch holding a problem by pickle;
    each comes back as it went, shared strings and all."""
    from sixplustwo.io.background import _dumps, _loads

    day = "2024-03-05"
    rows = [(2, (1, "1-101", "王伟", "13812345678", day, None, True, 7)), (3, (1, "1-102", day))]
    plain = _dumps(rows)
    assert plain[:1] == b"m" and _loads(plain) == rows
    problem = InvalidInput("row {row}, project: unknown project {code!r}", row=4, code="X")
    mixed = _dumps([*rows, (4, problem)])
    assert mixed[:1] == b"p"
    back = _loads(mixed)
    assert back[:2] == rows and str(back[2][1]) == str(problem)


def test_a_real_files_rows_cross_by_marshal(tmp_path):
    """Rows as the bulk import lays them out (insert_rows over a file's values: dates as
    text, flags, search keys) all go by marshal: nothing in them sends a batch to pickle."""
    from datetime import date

    from sixplustwo.io.background import _dumps, _loads
    from sixplustwo.io.importing import OwnerFile
    from sixplustwo.store.bulk import insert_rows

    path = tmp_path / "owners.csv"
    path.write_text(
        "姓名,手机,项目,房号,来访日期,签约日期,生日,管家\n"
        "王伟,138 1234 5678,HY1,3幢1单元1201室,2024/3/5,2024-04-01,1980-02-29,陈静\n"
        "Zoë Li,+86 13900001111,HY1,A-0501,2024-03-06,,,\n",
        encoding="utf-8",
    )
    rows = list(insert_rows(OwnerFile(path, date(2026, 11, 22)).values(), {"HY1": (1, "HY1")}))
    assert all(type(row) is tuple for _, row in rows)
    data = _dumps(rows)
    assert data[:1] == b"m" and _loads(data) == rows


@pytest.mark.skipif(
    not can_fork(), reason="the reader runs in a forked child only where fork exists"
)
def test_the_pipe_holds_a_whole_batch():
    """On Linux the pipe from the reader is widened to hold a whole batch of rows as a
    million-row import sends them, so the reading thread takes each in one read."""
    import sys

    if not sys.platform.startswith("linux"):
        pytest.skip("pipe sizes are Linux's (F_SETPIPE_SZ)")
    import fcntl

    from sixplustwo.io.background import _BATCH, _dumps

    batch = [
        (n, (1, f"{n}-1-101", "王伟", f"139{n:08d}", "2024-03-05", None, True))
        for n in range(_BATCH)
    ]
    with BackgroundRows(iter([]), "x") as rows:
        size = fcntl.fcntl(rows._receiver.fileno(), fcntl.F_GETPIPE_SZ)
    assert size >= len(_dumps(batch))
