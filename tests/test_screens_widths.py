"""A wider terminal never shows less than a narrower one (issue 29, point 5): for every width
from 60 to 200 columns, the fields ``due``, ``owner list``, ``owner show`` and ``report``
show at width w + k are a superset of those shown at width w. Also: a project's action names
its project, piped output is never wrapped, and ``owner show``'s timeline reads in the order
it is sorted, in two-line cards too."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len

from sixplustwo.cli import layout
from sixplustwo.cli.layout import Column, plan

LISTINGS = {
    "due": ["due"],
    "due one butler": ["due", "--butler", "李晓"],
    "owner list": ["owner", "list", "--limit", "0"],
    "owner show": ["owner", "show", "1"],
    "report": ["report", "--from", "2024-01-01"],
}


@pytest.fixture(scope="module")
def screens(tmp_path_factory):
    """Each listing's tables as the commands print them: (rows, columns) of every
    print_rows call, read once from a demo database (the layout is a function of them and
    the width)."""
    from typer.testing import CliRunner

    from sixplustwo.cli.app import app

    monkeypatch = pytest.MonkeyPatch()
    database = tmp_path_factory.mktemp("widths") / "demo.db"
    monkeypatch.setenv("SIXPLUSTWO_DB", str(database))
    monkeypatch.setenv("SIXPLUSTWO_LANG", "zh")
    monkeypatch.delenv("COLUMNS", raising=False)
    runner = CliRunner()
    try:
        assert runner.invoke(app, ["--db", str(database), "demo", "-f", "json"]).exit_code == 0
        tables: dict[str, list[tuple[list[dict], list[Column]]]] = {}
        real = layout.print_rows

        for name, args in LISTINGS.items():
            seen: list = []

            def spy(rows, columns, *rest, seen=seen, **kwargs):
                seen.append(([dict(row) for row in rows], list(columns)))
                return real(rows, columns, *rest, **kwargs)

            monkeypatch.setattr(layout, "print_rows", spy)
            result = runner.invoke(app, args)
            assert result.exit_code == 0, result.output
            assert seen and all(rows for rows, _ in seen[:1]), name
            tables[name] = seen
        yield tables
    finally:
        monkeypatch.undo()
        from sixplustwo.cli import messages

        messages.install("en")


@pytest.fixture
def demo(cli, db_path):
    cli("--db", db_path, "demo", "--format", "json")


@pytest.mark.parametrize("listing", list(LISTINGS))
@given(width=st.integers(60, 200), more=st.integers(1, 140))
def test_a_wider_terminal_never_shows_less(screens, listing, width, more):
    wider = min(200, width + more)
    for rows, columns in screens[listing]:
        narrow, wide = plan(rows, columns, width).fields, plan(rows, columns, wider).fields
        assert wide >= narrow, (listing, width, wider, sorted(narrow - wide))


def test_every_width_from_60_to_200_in_turn(screens):
    """The same, exhaustively, width by width (each must show all the previous one did)."""
    for listing, tables in screens.items():
        for rows, columns in tables:
            before = plan(rows, columns, 60).fields
            for width in range(61, 201):
                now = plan(rows, columns, width).fields
                assert now >= before, (listing, width, sorted(before - now))
                before = now
            # Piped (no width): every column with something in it.
            assert plan(rows, columns, None).fields >= before


_columns = st.lists(
    st.tuples(
        st.integers(1, 10),  # priority
        st.sampled_from(["keep", "essential", "plain", "plain", "named"]),
        st.integers(0, 70),  # the widest cell
    ),
    min_size=1,
    max_size=10,
)


@given(shape=_columns, rows=st.integers(1, 4), width=st.integers(60, 200), more=st.integers(1, 60))
def test_any_table_shows_more_as_it_widens(shape, rows, width, more):
    """The rule itself, on tables of any shape: kept, essential, named and plain columns of
    any priority and width."""
    columns = [
        Column(
            f"c{number}",
            f"H{number}",
            priority,
            keep=kind == "keep",
            essential=kind == "essential",
            named=kind == "named",
        )
        for number, (priority, kind, _) in enumerate(shape)
    ]
    table = [
        {f"c{n}": "x" * max(0, size - row) for n, (_, _, size) in enumerate(shape)}
        for row in range(rows)
    ]
    narrow = plan(table, columns, width).fields
    wide = plan(table, columns, width + more).fields
    assert wide >= narrow


@pytest.mark.parametrize("width", [60, 80, 100, 120, 140, 200])
def test_the_screen_shows_what_the_plan_says(cli, cli_json, monkeypatch, chinese, demo, width):
    """What the plan counts as shown is on the screen: each shown field's value of the
    first action is there, and every line fits the width."""
    monkeypatch.setenv("COLUMNS", str(width))
    actions = cli_json("due")
    out = cli("due").stdout
    lines = out.splitlines()
    assert all(cell_len(line) <= width for line in lines), max(lines, key=cell_len)
    first = next(a for a in actions if a["phone"] and a["unit"] and a["butler"])
    card = next(n for n, line in enumerate(lines) if first["action_id"] in line)
    near = "\n".join(lines[max(0, card - 1) : card + 2])
    for key in ("title", "owner", "action_id"):
        assert first[key] in near
    shown_more = width >= 80  # from 80 columns on, the card or the line has room for them
    if shown_more:
        for key in ("phone", "unit", "butler", "project_name"):
            assert first[key] in near, (key, width, near)


def test_a_projects_action_names_its_project(cli, cli_json, monkeypatch, chinese, demo):
    projects = [a for a in cli_json("due") if a["subject"] == "project"]
    assert projects
    for width in (80, 100, 120, 140):
        monkeypatch.setenv("COLUMNS", str(width))
        out = cli("due").stdout
        assert "（项目）" not in out
        for action in projects:
            # The title and the project's name on one line (cards: the first).
            assert any(
                action["title"] in line and action["project_name"] in line
                for line in out.splitlines()
            ), (width, action)


def test_piped_output_is_never_wrapped(cli, cli_json, monkeypatch, chinese, demo):
    """No COLUMNS, no terminal: owner show's header is one line however long it is (the
    demo has members whose header is over 80 columns: it wrapped as ``会员:⏎蓝卡``)."""
    monkeypatch.delenv("COLUMNS")
    members = [o for o in cli_json("owner", "list", "--limit", "0") if o["membership"]]
    assert members
    longest = 0
    for owner in members:
        lines = cli("owner", "show", str(owner["id"])).stdout.splitlines()
        header = lines[0]
        assert header.startswith(owner["name"]) and header.endswith(owner["membership"]), header
        assert not lines[1].startswith(owner["membership"])
        longest = max(longest, cell_len(header))
    assert longest > 80


def test_the_timeline_reads_in_its_order_in_cards(cli, cli_json, monkeypatch, chinese, demo):
    """At 80 columns (cards) every timeline row begins with its opening day, in order."""
    timeline = cli_json("owner", "show", "1")["actions"]
    monkeypatch.setenv("COLUMNS", "80")
    lines = cli("owner", "show", "1").stdout.splitlines()
    start = lines.index("6+2 时间线") + 1
    first_days = [
        line.split()[0] for line in lines[start:] if line[:4].isdigit() and line[4] == "-"
    ][: len(timeline)]
    assert first_days == [a["opens_on"] for a in timeline]
    assert first_days == sorted(first_days)
