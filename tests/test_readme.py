"""The README's playbook table is generated from the playbook; this keeps them together."""

from __future__ import annotations

import os
import re
from pathlib import Path

from sixplustwo.domain.playbook import default_playbook, playbook_markdown

README = Path(__file__).parent.parent / "README.md"
_TABLE = re.compile(r"(<!-- playbook-table:start -->\n)(.*?)(<!-- playbook-table:end -->)", re.S)


def test_readme_playbook_table_is_the_playbook():
    text = README.read_text("utf-8")
    generated = playbook_markdown(default_playbook())
    if os.environ.get("SIXPLUSTWO_UPDATE_README"):
        README.write_text(_TABLE.sub(lambda m: m[1] + generated + m[3], text), "utf-8")
        text = README.read_text("utf-8")
    found = _TABLE.search(text)
    assert found, "README lost its playbook-table markers"
    assert found[2] == generated, "README playbook table drifted: SIXPLUSTWO_UPDATE_README=1"
    assert all(f"| {rule.name} |" in found[2] for rule in default_playbook())


def test_quick_start_is_two_commands():
    quick = README.read_text("utf-8").split("## Quick start", 1)[1].split("```", 2)[1]
    commands = [line for line in quick.splitlines()[1:] if line.strip()]
    assert commands == [
        "pip install . && sixplustwo demo",
        'pip install ".[test,postgres]" && python -m pytest -q tests',
    ]
