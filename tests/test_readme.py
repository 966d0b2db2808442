"""The README's Quick start is two commands: the demo, and the tests.

Its generated tables moved into docs/ with their topics: tests/test_docs.py checks them, the
links and the README's length."""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).parent.parent / "README.md"


def test_quick_start_is_two_commands():
    quick = README.read_text("utf-8").split("## Quick start", 1)[1].split("```", 2)[1]
    commands = [line for line in quick.splitlines()[1:] if line.strip()]
    assert commands == [
        "pip install . && sixplustwo demo",
        'pip install ".[test,postgres]" && python -m pytest -q tests',
    ]
