"""Write docs/cli.md, the command reference, from the Typer app.

    python scripts/cli_reference.py            # rewrite docs/cli.md
    python scripts/cli_reference.py --check    # exit 1 if docs/cli.md is out of date

Every command's usage line, help text, arguments and options, in English and in Chinese (the
languages ``SIXPLUSTWO_LANG=en|zh`` chooses), read from the command objects the app builds
(``sixplustwo.cli.app:app``), with the help texts translated as the CLI translates them
(``cli/messages.py``, ``cli/compat.py``). It is written as plain Markdown by this script, not
captured from rich's help panels, so that it depends on no terminal width, locale, or version
of rich; tests/test_docs.py regenerates it in memory and compares.
"""

from __future__ import annotations

import argparse
import inspect
import sys
from enum import Enum
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "cli.md"
COMMAND = "python scripts/cli_reference.py"

LANGUAGES = (("en", "English"), ("zh", "中文"))

HEADER = f"""# Command reference

Every command, its arguments and options, as `sixplustwo COMMAND --help` shows them, in
English and in Chinese (`SIXPLUSTWO_LANG=zh`, or a Chinese locale). For what to do with them,
start from the [README](../README.md) and the topic pages in this folder.

This page is generated from the CLI itself: do not edit it, run `{COMMAND}`
(tests/test_docs.py fails when it is out of date).
"""


def _help(text: str | None) -> str:
    return inspect.cleandoc(text) if text else ""


def _default(param: Any) -> str | None:
    """The default worth showing, as text: none for a flag, an absent value or an empty list."""
    if not param.show_default or getattr(param, "is_flag", False):
        return None
    value = param.default
    if value is None or value is False or value == [] or value == ():
        return None
    if isinstance(value, Enum):
        value = value.value
    return str(value)


def _argument_name(param: Any) -> str:
    name = param.metavar if param.metavar is not None else (param.name or "").upper()
    if param.nargs == -1:
        name += "..."
    return name if param.required else f"[{name}]"


def _first_paragraph(text: str | None) -> str:
    return " ".join(_help(text).split("\n\n", 1)[0].split())


def _block(command: Any, path: list[str], help_names: list[str]) -> str:
    """One command's help as plain text: usage, help, arguments, options, subcommands."""
    from sixplustwo.cli import compat
    from sixplustwo.cli.messages import translate

    arguments = [p for p in command.params if type(p).__name__ == "TyperArgument"]
    options = [p for p in command.params if p not in arguments and not p.hidden]
    subcommands = {n: c for n, c in getattr(command, "commands", {}).items() if not c.hidden}
    usage = [" ".join(path), "[OPTIONS]", *(_argument_name(p) for p in arguments)]
    if subcommands:
        usage.append("COMMAND [ARGS]...")
    lines = [translate(compat.USAGE_PREFIX) + " ".join(usage)]
    if command.help:
        lines += ["", _help(command.help)]
    required = translate(compat.RICH_WORDS["REQUIRED_LONG_STRING"])
    default = translate(compat.RICH_WORDS["DEFAULT_STRING"])
    if arguments:
        lines += ["", translate(compat.RICH_WORDS["ARGUMENTS_PANEL_TITLE"]) + ":"]
        for param in arguments:
            name = param.metavar if param.metavar is not None else (param.name or "").upper()
            lines.append(f"  {name}" + (f"  {required}" if param.required else ""))
            if param.help:
                lines += [f"      {line}" for line in _help(param.help).splitlines()]
    lines += ["", translate(compat.RICH_WORDS["OPTIONS_PANEL_TITLE"]) + ":"]
    for param in options:
        head = ", ".join([*param.opts, *param.secondary_opts])
        placeholder = compat.option_placeholder(param, None)
        if placeholder:
            head += f" {placeholder}"
        shown = _default(param)
        if shown is not None:
            head += "  " + default.format(shown)
        if param.required:
            head += f"  {required}"
        lines.append(f"  {head}")
        if param.help:
            lines += [f"      {line}" for line in _help(param.help).splitlines()]
    lines += [f"  {', '.join(help_names)}", f"      {translate(compat.HELP_WORDS[0])}"]
    if subcommands:
        width = max(len(name) for name in subcommands)
        lines += ["", translate(compat.RICH_WORDS["COMMANDS_PANEL_TITLE"]) + ":"]
        for name, sub in subcommands.items():
            lines.append(f"  {name.ljust(width)}  {_first_paragraph(sub.help)}".rstrip())
    return "\n".join(lines)


def _commands(language: str) -> dict[tuple[str, ...], str]:
    """Every command's help text block in ``language``, by command path, in the app's order."""
    import typer.main

    from sixplustwo.cli import compat, messages
    from sixplustwo.cli.app import app

    messages.install(language)
    root = typer.main.get_command(app)  # a fresh command tree: its help texts in English
    compat.localise(root)  # translated in place, as a command run does
    help_names = list(root.context_settings.get("help_option_names", ["--help"]))
    found: dict[tuple[str, ...], str] = {}

    def walk(command: Any, path: list[str]) -> None:
        found[tuple(path)] = _block(command, path, help_names)
        for name, sub in getattr(command, "commands", {}).items():
            if not sub.hidden:
                walk(sub, [*path, name])

    walk(root, [root.name or "sixplustwo"])
    return found


def reference() -> str:
    """The text of docs/cli.md."""
    from sixplustwo.cli import messages

    previous = messages.current_language()
    try:
        blocks = {language: _commands(language) for language, _ in LANGUAGES}
    finally:
        messages.install(previous)
    paths = list(blocks["en"])
    out = [HEADER]
    out.append("Commands:\n")
    for path in paths:
        indent = "  " * max(len(path) - 2, 0)
        title = " ".join(path)
        out.append(f"{indent}- [`{title}`](#{_slug(title)})")
    out.append("")
    for path in paths:
        level = "##" if len(path) <= 2 else "###"
        out.append(f"{level} {' '.join(path)}\n")
        for language, label in LANGUAGES:
            out.append(f"{label}:\n")
            out.append("```text\n" + blocks[language][path] + "\n```\n")
    return "\n".join(out).rstrip("\n") + "\n"


def _slug(title: str) -> str:
    """GitHub's anchor for a heading of plain words (``sixplustwo owner import``)."""
    return "-".join(title.lower().split())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write docs/cli.md from the Typer app.")
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/cli.md differs")
    args = parser.parse_args(argv)
    text = reference()
    current = TARGET.read_text("utf-8") if TARGET.exists() else None
    if args.check:
        if current != text:
            print(f"docs/cli.md is out of date: run {COMMAND}", file=sys.stderr)
            return 1
        return 0
    if current != text:
        TARGET.parent.mkdir(exist_ok=True)
        TARGET.write_text(text, "utf-8")
        print("docs/cli.md written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
