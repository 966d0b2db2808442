"""cli/compat.py replaces a private Typer method: these tests fail loudly when a Typer upgrade
moves, renames or changes what it replaces, or when its results stop matching Typer's own."""

# ruff: noqa: B008  (Typer declares options as argument defaults, as in cli/)

from __future__ import annotations

import inspect
from enum import StrEnum

import pytest
import typer
import typer.core
from typer.testing import CliRunner

import sixplustwo.cli.app  # noqa: F401  (installs the shim, as every command does)
from sixplustwo.cli import compat

UPGRADE = (
    "Typer {found} is outside the range cli/compat.py was checked against ({low} to before "
    "{high}): re-check the shim against this Typer's _TyperParameter.process_value (or drop "
    "it and measure), then widen CHECKED_TYPER and the pin in pyproject.toml."
)


def _version(text: str) -> tuple[int, ...]:
    parts = []
    for part in text.split(".")[:3]:
        digits = "".join(c for c in part if c.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def test_typer_is_in_the_range_the_shim_was_checked_against():
    low, high = compat.CHECKED_TYPER
    found = _version(typer.__version__)
    assert low <= found < high, UPGRADE.format(
        found=typer.__version__, low=".".join(map(str, low)), high=".".join(map(str, high))
    )


def test_typer_keeps_the_layer_the_shim_replaces():
    assert hasattr(typer.core, "_TyperParameter"), (
        "typer.core._TyperParameter is gone: cli/compat.py steps aside and every command pays "
        "for pydantic again (~0.15 s). Port or drop the shim."
    )
    from typer._click.exceptions import MissingParameter  # the shim raises it

    assert MissingParameter
    original = compat.typer_process_value
    assert original is not None, "compat.install() did not find Typer's process_value"
    assert list(inspect.signature(original).parameters) == ["self", "ctx", "value"], (
        f"Typer's process_value is now {inspect.signature(original)}: the shim expects "
        "(self, ctx, value)"
    )
    assert original.__qualname__ == "_TyperParameter.process_value"


def test_the_shim_is_installed():
    assert compat.installed(), "cli/app.py no longer installs cli/compat.py's process_value"
    assert typer.core._TyperParameter.process_value is compat.process_value
    assert compat.install() is True  # a second install keeps Typer's own method as the fallback
    assert compat.typer_process_value is not compat.process_value


def test_the_shim_steps_aside_without_typers_layer(monkeypatch):
    monkeypatch.delattr(typer.core, "_TyperParameter")
    assert compat.install() is False
    assert compat.installed() is False


class Colour(StrEnum):
    red = "red"
    blue = "blue"


def _upper(value: str) -> str:
    return value.upper()


def probe(
    name: str = typer.Argument(..., help="A required argument."),
    text: str = typer.Option("x", "--text"),
    count: int = typer.Option(3, "--count"),
    ranged: int = typer.Option(5, "--ranged", min=1, max=9),
    wait: float = typer.Option(60.0, "--wait", min=0),
    flag: bool = typer.Option(False, "--flag"),
    step: list[str] | None = typer.Option(None, "--step"),
    colour: Colour = typer.Option(Colour.red, "--colour"),
    on: str | None = typer.Option(None, "--date"),
    called: str = typer.Option("c", "--called", callback=_upper),
    needed: str = typer.Option(..., "--needed"),
) -> None:
    typer.echo(repr((name, text, count, ranged, wait, flag, step, colour, on, called, needed)))


# Each parameter of `probe` with the raw values the parser hands over (text, defaults, None).
VALUES = {
    "name": ["张三", "", None],
    "text": ["abc", "", "x", None, 5],
    "count": ["42", "007", "-3", "+4", "4.5", "x", "٣", "", 3, None, True],
    "ranged": ["5", "1", "9", "0", "10", "x", 5, 0, 12, None],
    "wait": ["1.5", "0", "-1", "x", 60.0, 60, -1.0, None],
    "flag": [True, False, None],
    "step": [("1", "2"), ["3"], (), [], None, (1,)],
    "colour": ["red", "blue", "RED", "green", "", Colour.blue, None],
    "on": ["2026-11-22", "", None],
    "called": ["abc", "c", None],
    "needed": ["r", "", None],
}


def _outcome(method, param, ctx, value):
    try:
        result = method(param, ctx, value)
    except Exception as exc:  # both paths must fail alike, with the same message
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        return ("raised", type(exc).__name__, message)
    return ("returned", type(result).__name__, result)


def _params():
    app = typer.Typer(add_completion=False)
    app.command()(probe)
    command = typer.main.get_command(app)
    ctx = command.context_class(command, info_name="probe")
    return ctx, {param.name: param for param in command.params}


def test_every_probe_parameter_is_exercised():
    _, params = _params()
    assert set(params) == set(VALUES)


@pytest.mark.parametrize(
    ("name", "value"), [(name, value) for name, values in VALUES.items() for value in values]
)
def test_the_shim_gives_what_typer_gives(name, value):
    ctx, params = _params()
    param = params[name]
    mine = _outcome(compat.process_value, param, ctx, value)
    typers = _outcome(compat.typer_process_value, param, ctx, value)
    assert mine == typers, f"--{name} {value!r}: shim {mine} but Typer {typers}"


def test_plain_values_take_the_shortcut(monkeypatch):
    """The point of the shim: text, digits, flags, lists of text and enum values never reach
    Typer's pydantic path (if this fails, Typer has changed what a parameter looks like)."""
    ctx, params = _params()
    delegated = []

    def typer_path(param, ctx, value):
        delegated.append((param.name, value))
        return None

    monkeypatch.setattr(compat, "typer_process_value", typer_path)
    for name, value in [
        ("name", "张三"),
        ("text", "abc"),
        ("count", "42"),
        ("count", 3),
        ("ranged", 5),
        ("wait", 60.0),
        ("flag", True),
        ("step", ("1", "2")),
        ("colour", "blue"),
        ("colour", Colour.red),
        ("on", None),
        ("on", "2026-11-22"),
        ("called", "c"),
    ]:
        compat.process_value(params[name], ctx, value)
    assert delegated == []


@pytest.mark.parametrize(
    "args",
    [
        ["n", "--needed", "r"],
        [
            "名",
            "--needed",
            "",
            "--text",
            "t",
            "--count",
            "12",
            "--ranged",
            "9",
            "--wait",
            "0.5",
            "--flag",
            "--step",
            "1",
            "--step",
            "6",
            "--colour",
            "blue",
            "--date",
            "2026-11-22",
            "--called",
            "q",
        ],
        ["n"],
        ["--needed", "r"],
        ["n", "--needed", "r", "--count", "x"],
        ["n", "--needed", "r", "--count", "-2"],
        ["n", "--needed", "r", "--ranged", "10"],
        ["n", "--needed", "r", "--wait", "-1"],
        ["n", "--needed", "r", "--colour", "green"],
    ],
)
def test_a_command_runs_alike_with_and_without_the_shim(args, monkeypatch):
    app = typer.Typer(add_completion=False)
    app.command()(probe)
    runner = CliRunner()
    shimmed = runner.invoke(app, args)
    monkeypatch.setattr(typer.core._TyperParameter, "process_value", compat.typer_process_value)
    plain = runner.invoke(app, args)
    assert (shimmed.exit_code, shimmed.output) == (plain.exit_code, plain.output)
