"""The one place that reaches into Typer's private layer: a faster path for plain values, and
Typer's own words in the user's language.

What it replaces: ``typer.core._TyperParameter.process_value`` (Typer 0.29), which passes every
parameter value through ``RuntimeParam.coerce``, that is a pydantic ``TypeAdapter``. Importing
pydantic and building the first adapter costs ~0.15-0.2 s per command: on ``due`` (the morning
list, budget 0.4 s) and ``export`` (cron) that is a third or more of the run, and those two
commands import nothing else that loads pydantic (tests/test_startup.py).

What it does: values that need no such machinery (absent, already of the parameter's type and
in range, text for a ``list[str]``, ASCII digits for a plain ``int``, one of an enum's values)
are converted here exactly as Typer would; everything else goes to Typer's own
``process_value`` unchanged. Missing-required and callback handling repeat Typer's.

Checked against: Typer 0.29.1 and 0.29.2 (pyproject pins ``typer~=0.29.1``). If Typer no
longer has ``_TyperParameter``, :func:`install` steps aside and Typer's own (slower) coercion
runs; tests/test_typer_compat.py fails loudly on any Typer outside the checked range, on a
changed ``process_value`` signature, and on any value where this path and Typer's disagree.
"""

from __future__ import annotations

import inspect
import re
import sys
from enum import Enum
from typing import Any

from sixplustwo.cli.messages import N_, current_language, translate

#: Typer versions this module was checked against: from the first (inclusive) to the second
#: (exclusive), the range ``typer~=0.29.1`` allows. tests/test_typer_compat.py asserts it.
CHECKED_TYPER = ((0, 29, 1), (0, 30, 0))

#: Typer's own ``process_value``, kept by :func:`install` (``None`` until then, or if Typer's
#: layer is not there).
typer_process_value: Any = None


def process_value(self: Any, ctx: Any, value: Any) -> Any:
    """Replaces ``_TyperParameter.process_value``: same signature, same results."""
    annotation = self.type_descriptor.annotation
    info = self.type_descriptor.parameter_info
    plain = info.parser is None and not (self.multiple or self.nargs != 1)
    if plain and value is None:
        pass
    elif (
        plain
        and type(value) is annotation
        and (info.min is None or value >= info.min)
        and (info.max is None or value <= info.max)
    ):
        pass  # text for a str, or a default given in its own type (and range)
    elif (
        self.multiple
        and annotation == list[str]
        and info.parser is None
        and isinstance(value, list | tuple)
        and all(type(item) is str for item in value)
    ):
        value = list(value)
    elif (
        plain
        and annotation is int
        and type(value) is str
        and value.isascii()
        and value.isdigit()
        and info.min is None
        and info.max is None
    ):
        value = int(value)
    elif (
        plain
        and isinstance(annotation, type)
        and issubclass(annotation, Enum)
        and info.case_sensitive
        and type(value) is str
        and value in annotation._value2member_map_
    ):
        value = annotation(value)
    else:
        return typer_process_value(self, ctx, value)
    if self.required and self.value_is_missing(value):
        from typer._click.exceptions import MissingParameter

        raise MissingParameter(ctx=ctx, param=self)
    if self.callback is not None:
        value = self.callback(ctx, self, value)
    return value


def install() -> bool:
    """Put :func:`process_value` in place of Typer's; ``False`` (and nothing changed) if
    Typer's layer is not where 0.29 keeps it. Installing twice is harmless."""
    global typer_process_value
    try:
        from typer.core import _TyperParameter
    except ImportError:  # a Typer without this layer: its own coercion, only slower
        return False
    if _TyperParameter.process_value is not process_value:
        typer_process_value = _TyperParameter.process_value
        _TyperParameter.process_value = process_value  # type: ignore[method-assign]
    return True


def installed() -> bool:
    """Whether Typer's parameters currently run through :func:`process_value`."""
    try:
        from typer.core import _TyperParameter
    except ImportError:
        return False
    return _TyperParameter.process_value is process_value


# --- Typer's own words -----------------------------------------------------------------------
#
# What it replaces: Typer 0.29 vendors click (``typer._click``) with its messages as plain
# f-strings, not gettext: "Usage: ", "Show this message and exit.", "No such option: …",
# "Missing argument …", "Invalid value for …". Typer's own layer takes a few through
# ``gettext.gettext`` (``typer.core._``) and keeps the help panels' words in module constants
# of ``typer.rich_utils`` (computed once, at its import). Its placeholders are ``<str>`` and
# ``<bool>``, flags included.
#
# What it does (:func:`localise`, at the start of every command): puts ``translate`` in place
# of ``typer.core._``; sets ``typer.rich_utils``'s words (now, or when rich_utils is imported:
# it is imported only to draw help or an error, never by ``due``); passes the usage prefix,
# the help option's text and every usage error's message through the catalogue (an error's
# English text is matched against :data:`CLICK_MESSAGES`, its parts translated in turn);
# translates the command tree's help texts; and names what an option takes (``TEXT``, ``N``,
# ``table|json|csv``, or the option's ``metavar``: ``DATE``, ``ID``, ``CODE``), nothing for a
# flag, and shows an argument by its name in capitals (``OWNER_ID``); placeholders, the usage
# line's ``[OPTIONS]`` and a number's range (Typer's ``x>=0``) in the user's language.
#
# tests/test_language.py fails when a Typer upgrade moves any of these, or when a usage error
# or a help page shows English under Chinese.

#: ``typer.rich_utils``'s words, by the constant's name: their English text is the msgid.
RICH_WORDS: dict[str, str] = {
    "DEPRECATED_STRING": N_("(deprecated) "),
    "DEFAULT_STRING": N_("[default: {}]"),
    "ENVVAR_STRING": N_("[env var: {}]"),
    "REQUIRED_LONG_STRING": N_("[required]"),
    "ARGUMENTS_PANEL_TITLE": N_("Arguments"),
    "OPTIONS_PANEL_TITLE": N_("Options"),
    "COMMANDS_PANEL_TITLE": N_("Commands"),
    "ERRORS_PANEL_TITLE": N_("Error"),
    "ABORTED_TEXT": N_("Aborted."),
    "RICH_HELP": N_("Try [blue]'{command_path} {help_option}'[/] for help."),
}

#: What ``typer.core`` passes through ``gettext`` (kept here for the catalogue).
TYPER_CORE_WORDS = (
    N_("(dynamic)"),
    N_("Aborted!"),
    N_("default: {default}"),
    N_("required"),
    N_("env var: {var}"),
    N_("Missing command."),
    N_("No such command {name!r}."),
)

#: Help texts Typer and click write themselves.
HELP_WORDS = (
    N_("Show this message and exit."),
    N_("Install completion for the current shell."),
    N_("Show completion for the current shell, to copy it or customize the installation."),
)

#: The usage prefix click writes before a command's usage line.
USAGE_PREFIX = N_("Usage: ")

#: Usage errors as click and Typer word them, most specific first: ``{name}`` matches any
#: text; a part named ``message`` is itself a message, translated in turn.
CLICK_MESSAGES = (
    N_("{message}. Did you mean {suggestions}?"),
    N_("{message} (Possible options: {options})"),
    N_("No such option: {option}"),
    N_("Missing option {hint}. {message}"),
    N_("Missing argument {hint}. {message}"),
    N_("Missing option {hint}."),
    N_("Missing argument {hint}."),
    N_("Choose from:\n\t{choices}"),
    N_("Invalid value for {hint}: {message}"),
    N_("Invalid value: {message}"),
    N_("Value error, {message}"),
    N_("{value} is not one of {choices}."),
    N_("Got unexpected extra argument(s) ({arguments})"),
    N_("Option {option} requires an argument."),
    N_("Option {option} requires {count} arguments."),
    N_("Option {option} does not take a value."),
    N_("Argument {name} takes {count} values."),
    N_("Value {value} is not a valid {kind}."),
    N_("Value must be an iterable."),
    N_("Could not open file {name}: {message}"),
    N_("Input should be a valid integer, unable to parse string as an integer"),
    N_("Input should be a valid integer"),
    N_("Input should be a valid number, unable to parse string as a number"),
    N_("Input should be greater than or equal to {number}"),
    N_("{value} is not in the range {range}."),
)

_PATTERNS: list[tuple[str, re.Pattern[str]]] = []


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
    )
    return re.compile(regex, re.DOTALL)


def click_words(message: str) -> str:
    """A usage error's English text in the user's language: the first of
    :data:`CLICK_MESSAGES` that matches it whole, translated, its ``message`` part translated
    in turn; text that matches none (the command's own, already translated) as it is."""
    if not _PATTERNS:
        _PATTERNS.extend((template, _pattern(template)) for template in CLICK_MESSAGES)
    for template, pattern in _PATTERNS:
        found = pattern.fullmatch(message)
        if found:
            parts = found.groupdict()
            if "message" in parts:
                parts["message"] = click_words(parts["message"])
            return translate(template).format(**parts)
    return message


#: The placeholders shown for what an option takes, by Typer's own (``<str>`` …).
PLACEHOLDERS = {
    "str": "TEXT",
    "int": "N",
    "float": "NUMBER",
    "list[str]": "TEXT",
    "int range": "N",
    "float range": "NUMBER",
}

#: Every placeholder the help shows (an option's ``metavar``, an argument's name, the usage
#: line's words), for the catalogue: under Chinese ``--signed 日期``, not ``--signed DATE``
#: (issue 28). A new ``metavar=`` belongs here; tests/test_one_language.py names one missing.
METAVARS = (
    N_("[OPTIONS]"),
    N_("COMMAND [ARGS]..."),
    N_("TEXT"),
    N_("N"),
    N_("NUMBER"),
    N_("'ITEM NOTE'"),
    N_("ACTION_ID"),
    N_("CASE_ID"),
    N_("CHANNEL"),
    N_("CITY"),
    N_("CODE"),
    N_("CODE[,CODE…]"),
    N_("DATE"),
    N_("EVENT_ID"),
    N_("FIELD"),
    N_("FILE"),
    N_("FILE.toml"),
    N_("ID"),
    N_("ITEM"),
    N_("KEEP"),
    N_("KIND"),
    N_("NAME"),
    N_("OCTAL"),
    N_("OTHER"),
    N_("OWNER"),
    N_("OWNER_ID"),
    N_("PATH"),
    N_("PATH|URL"),
    N_("PATTERN"),
    N_("PHONE"),
    N_("RULE"),
    N_("SECONDS"),
    N_("STAGE"),
    N_("STEP"),
    N_("TAG"),
    N_("TIER"),
    N_("UNIT"),
    N_("URL|FILE"),
    N_("USER"),
    N_("ADDR"),  # serve --host, --trust-proxy
    N_("PORT"),  # serve --port
    N_("ROLE"),  # user add --role
    N_("yes|no"),
)

#: A number option's range in the help (Typer writes ``x>=0``): in words, translated.
RANGE_WORDS = (N_("at least {min}"), N_("at most {max}"), N_("{min} to {max}"))


def number_range(low: Any, high: Any) -> str | None:
    """Replaces ``_TyperParameter._get_number_range_help_str``: Typer's ``x>=0`` in English,
    the range in words in another language (``≥ 0`` reads as code to a butler)."""
    from typer._display import describe_number_range

    if current_language() == "en" or (low is None and high is None):
        return describe_number_range(low, high)
    if high is None:
        return translate(RANGE_WORDS[0]).format(min=low)
    if low is None:
        return translate(RANGE_WORDS[1]).format(max=high)
    return translate(RANGE_WORDS[2]).format(min=low, max=high)


def option_placeholder(self: Any, ctx: Any) -> str | None:
    """Replaces ``TyperOption.display_type_rich``: the option's ``metavar`` if it has one,
    nothing for a flag, the choices (``table|json|csv``) or a word for the type (``TEXT``,
    ``N``) otherwise, never ``<str>`` or ``<bool>``."""
    if self.metavar is not None:
        return translate(self.metavar)
    if self.is_flag or self.count:
        return None
    shown = self.display_type(ctx).strip("<>")
    return translate(PLACEHOLDERS.get(shown, shown.upper() if "|" not in shown else shown))


def _range_help(self: Any) -> str | None:
    """Replaces ``_get_number_range_help_str`` (Typer's, for options and arguments)."""
    if getattr(self, "count", False) and self.min == 0 and self.max is None:
        return None
    return number_range(self.min, self.max)


def _argument_name(self: Any) -> str:
    """Replaces ``TyperArgument.display_name_raw``: the metavar, else the name in capitals,
    in the user's language."""
    return translate(self.metavar if self.metavar is not None else (self.name or "").upper())


def _translated_format_message(original: Any) -> Any:
    def format_message(self: Any) -> str:
        return click_words(original(self))

    format_message.original = original  # type: ignore[attr-defined]
    return format_message


def _set_rich_words(module: Any) -> None:
    for name, msgid in RICH_WORDS.items():
        setattr(module, name, translate(msgid))


class _RichWordsOnImport:
    """A meta path finder that sets ``typer.rich_utils``'s words right after its import
    (which costs rich's import, so it is never forced)."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname != "typer.rich_utils":
            return None
        from importlib.machinery import PathFinder

        spec = PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        exec_module = spec.loader.exec_module

        def exec_and_translate(module: Any) -> None:
            exec_module(module)
            _set_rich_words(module)

        spec.loader.exec_module = exec_and_translate  # type: ignore[method-assign]
        return spec


_RICH_HOOK = _RichWordsOnImport()
_words_installed = False


def install_words() -> None:
    """Put the patches for Typer's words in place (once)."""
    global _words_installed
    if _words_installed:
        return
    import typer.core
    from typer._click import decorators, exceptions, formatting
    from typer.exceptions import TyperException

    typer.core._ = translate  # type: ignore[attr-defined]
    typer.core.TyperOption.display_type_rich = option_placeholder  # type: ignore[method-assign]
    typer.core.TyperArgument.display_type_rich = lambda self, ctx: None  # type: ignore
    typer.core.TyperArgument.display_name_raw = property(_argument_name)  # type: ignore
    typer.core.TyperArgument._get_number_range_help_str = _range_help  # type: ignore
    typer.core.TyperOption._get_number_range_help_str = _range_help  # type: ignore
    for cls in (
        TyperException,
        exceptions.BadParameter,
        exceptions.MissingParameter,
        exceptions.NoSuchOption,
        exceptions.FileError,
    ):
        cls.format_message = _translated_format_message(cls.__dict__["format_message"])
    write_usage = formatting.HelpFormatter.write_usage

    def translated_usage(self: Any, prog: str, args: str = "", prefix: str | None = None):
        return write_usage(self, prog, args, translate(USAGE_PREFIX) if prefix is None else prefix)

    formatting.HelpFormatter.write_usage = translated_usage  # type: ignore[method-assign]
    help_option = decorators.help_option

    def translated_help_option(param_decls: list[str]) -> Any:
        decorate = help_option(param_decls)

        def add(command: Any) -> Any:
            command = decorate(command)
            command.params[-1].help = translate(command.params[-1].help)
            return command

        return add

    decorators.help_option = translated_help_option
    sys.meta_path.insert(0, _RICH_HOOK)
    _words_installed = True


def localise(command: Any) -> None:
    """Typer's words and the command tree's help texts in the installed language: called
    once a command runs, after ``messages.install``."""
    install_words()
    rich_utils = sys.modules.get("typer.rich_utils")
    if rich_utils is not None:
        _set_rich_words(rich_utils)
    _translate_help(command)


def _translate_help(command: Any) -> None:
    command.options_metavar = translate(METAVARS[0])
    if hasattr(command, "subcommand_metavar"):
        command.subcommand_metavar = translate(METAVARS[1])
    if command.help:
        command.help = translate(inspect.cleandoc(command.help))
    if command.short_help:
        command.short_help = translate(command.short_help)
    for param in command.params:
        if getattr(param, "help", None):
            param.help = translate(param.help)
    for sub in getattr(command, "commands", {}).values():
        _translate_help(sub)
