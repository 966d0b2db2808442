"""The README and docs/ stay true: the generated parts (the command reference, the playbook's
table, the accepted import headers) are what the code says, every relative link and anchor
leads somewhere, and the README stays a front door (at most 300 lines, a link to each page).

``SIXPLUSTWO_UPDATE_DOCS=1 python -m pytest -q tests/test_docs.py`` rewrites the generated
parts; ``python scripts/cli_reference.py`` rewrites docs/cli.md alone."""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

import pytest

from sixplustwo.domain.fields import headers_markdown
from sixplustwo.domain.playbook import default_playbook, playbook_markdown

ROOT = Path(__file__).parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
UPDATE = "SIXPLUSTWO_UPDATE_DOCS"


def _pages() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


def _generated(path: Path, marker: str, generated: str) -> str:
    """The text between ``<!-- marker:start -->`` and ``<!-- marker:end -->`` in ``path``,
    after writing ``generated`` there when asked to (``SIXPLUSTWO_UPDATE_DOCS=1``)."""
    pattern = re.compile(rf"(<!-- {marker}:start -->\n)(.*?)(<!-- {marker}:end -->)", re.S)
    text = path.read_text("utf-8")
    if os.environ.get(UPDATE):
        path.write_text(pattern.sub(lambda m: m[1] + generated + m[3], text), "utf-8")
        text = path.read_text("utf-8")
    found = pattern.search(text)
    assert found, f"{path.relative_to(ROOT)} lost its {marker} markers"
    return found[2]


def test_playbook_table_is_the_playbook():
    table = _generated(
        DOCS / "playbook.md", "playbook-table", playbook_markdown(default_playbook())
    )
    assert table == playbook_markdown(default_playbook()), f"playbook table drifted: {UPDATE}=1"
    assert all(f"| {rule.name} |" in table for rule in default_playbook())


def test_import_headers_table_is_what_the_import_reads():
    table = _generated(DOCS / "importing.md", "import-headers", headers_markdown())
    assert table == headers_markdown(), f"import headers drifted: {UPDATE}=1"
    assert "| 交付 | 实际交付日期, 实际交房日期, 交房日期, 收楼日期, delivered |" in table


def _cli_reference():
    spec = importlib.util.spec_from_file_location(
        "cli_reference", ROOT / "scripts" / "cli_reference.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_reference_is_up_to_date():
    script = _cli_reference()
    generated = script.reference()
    if os.environ.get(UPDATE):
        script.TARGET.write_text(generated, "utf-8")
    current = script.TARGET.read_text("utf-8")
    assert current == generated, f"docs/cli.md is out of date: run {script.COMMAND}"


def test_cli_reference_has_every_command_in_both_languages():
    text = (DOCS / "cli.md").read_text("utf-8")
    for heading in ("## sixplustwo due", "### sixplustwo owner import", "### sixplustwo db copy"):
        assert f"\n{heading}\n" in text
    assert "Usage: sixplustwo owner import [OPTIONS] FILE" in text
    assert "用法：sixplustwo owner import [OPTIONS] FILE" in text
    assert text.count("```text\n") == 2 * len(re.findall(r"^#{2,3} sixplustwo", text, re.M))


def test_cli_reference_depends_on_no_terminal_or_locale(monkeypatch):
    script = _cli_reference()
    expected = script.reference()
    monkeypatch.setenv("COLUMNS", "40")
    monkeypatch.setenv("SIXPLUSTWO_LANG", "zh")
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert script.reference() == expected


# --- links ----------------------------------------------------------------------------------

_FENCE = re.compile(r"^(```|~~~)")
_CODE_SPAN = re.compile(r"`+[^`\n]*`+")
_LINK = re.compile(r"\[([^\]\n]*)\]\(([^)\s]+)\)")


def _prose(text: str) -> list[str]:
    """The lines outside fenced code blocks."""
    lines, fenced = [], False
    for line in text.splitlines():
        if _FENCE.match(line.strip()):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(line)
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped (letters, digits, ``_``,
    ``-`` and spaces stay, CJK included), spaces as ``-``."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link: its text
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading's anchor in ``path``, a repeated one numbered as GitHub numbers it."""
    found: set[str] = set()
    counts: dict[str, int] = {}
    for line in _prose(path.read_text("utf-8")):
        heading = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if heading:
            base = slug(heading[1])
            n = counts.get(base, 0)
            counts[base] = n + 1
            found.add(base if n == 0 else f"{base}-{n}")
    return found


def links(path: Path) -> list[str]:
    """Every Markdown link target in ``path``'s prose (not in code)."""
    found = []
    for line in _prose(path.read_text("utf-8")):
        found += [target for _, target in _LINK.findall(_CODE_SPAN.sub("", line))]
    return found


def test_slug_follows_github():
    assert slug("A shared server (PostgreSQL)") == "a-shared-server-postgresql"
    assert slug("Recording what was done: `done`") == "recording-what-was-done-done"
    assert slug("The 07:00 cron job") == "the-0700-cron-job"
    assert slug("Greetings, working days, referrals") == "greetings-working-days-referrals"
    assert slug("sixplustwo owner import") == "sixplustwo-owner-import"


@pytest.mark.parametrize("page", _pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_links_lead_somewhere(page):
    broken = []
    for target in links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto: …: not checked here
            continue
        file, _, anchor = target.partition("#")
        destination = (page.parent / file).resolve() if file else page
        if not destination.exists():
            broken.append(f"{target}: no such file")
        elif anchor and destination.suffix == ".md" and anchor not in anchors(destination):
            broken.append(f"{target}: no heading with that anchor")
    assert not broken, f"{page.relative_to(ROOT)}: " + "; ".join(broken)


def test_links_are_checked():
    """The checker sees links, anchors and code as GitHub does."""
    readme = links(README)
    assert "docs/importing.md" in readme
    assert "docs/development.md#running-the-tests" in readme
    assert "the-0700-cron-job" in anchors(README)
    assert "sixplustwo-owner-import" in anchors(DOCS / "cli.md")


# --- the README -----------------------------------------------------------------------------


def test_readme_is_a_front_door():
    lines = README.read_text("utf-8").splitlines()
    assert len(lines) <= 300, f"README.md has {len(lines)} lines: move a topic into docs/"


def test_readme_links_every_docs_page():
    linked = {target.partition("#")[0] for target in links(README)}
    missing = [p.name for p in sorted(DOCS.glob("*.md")) if f"docs/{p.name}" not in linked]
    assert not missing, f"README.md links no docs page named {missing}"


def _cron_block(path: Path) -> str:
    section = path.read_text("utf-8").split("## The 07:00 cron job", 1)[1]
    return section.split("```crontab", 1)[1].split("```", 1)[0]


def test_the_cron_lines_are_the_same_in_the_readme_and_the_docs():
    """tests/test_export_destinations.py runs the README's lines; the docs show the same."""
    assert _cron_block(DOCS / "cron-and-exports.md") == _cron_block(README)
