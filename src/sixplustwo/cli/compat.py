"""The one place that reaches into Typer's private layer: a faster path for plain values.

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

from enum import Enum
from typing import Any

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
