"""Messages at one boundary: errors carry a constant message id and parameters, only
``cli/messages.py`` turns them into words, and every code a screen shows has its label in
``cli/labels.py``."""

from __future__ import annotations

import ast
import importlib
import pickle
import pkgutil
import typing
from pathlib import Path

import pytest

import sixplustwo
from sixplustwo.domain.errors import InvalidInput, SixPlusTwoError

SOURCE = Path(sixplustwo.__file__).parent
# The packages whose errors are messages. The store is being rewritten: add "store" here
# once its raise sites are converted.
SCANNED = ("domain", "io", "cli", "store")


def _modules(package: str) -> list[str]:
    found = pkgutil.walk_packages([str(SOURCE / package)], f"sixplustwo.{package}.")
    return [info.name for info in found]


def _error_names() -> set[str]:
    """The names of SixPlusTwoError and every subclass defined in the scanned packages."""
    for package in SCANNED:
        for module in _modules(package):
            try:
                importlib.import_module(module)
            except ModuleNotFoundError as exc:  # PostgreSQL's driver is an optional extra
                if exc.name != "psycopg":
                    raise
    names, todo = set(), [SixPlusTwoError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return names


def _built_text(node: ast.expr) -> bool:
    """An f-string, ``"…".format(…)``, ``str(…)``, or text joined with + or %."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "format":
            return True
        if isinstance(func, ast.Name) and func.id == "str":
            return True
    return isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod)


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def test_error_messages_are_constant_message_ids():
    """Every error built in the scanned packages (raised or kept, e.g. an import problem)
    takes its message id as a constant: no positional argument is text built on the spot.
    Values go in as named parameters, filled in only when cli/messages.py renders them."""
    errors = _error_names()
    assert {"InvalidInput", "NotFound", "Conflict", "StoreError", "FieldError"} <= errors
    offences = []
    checked = 0
    for package in SCANNED:
        for path in sorted((SOURCE / package).rglob("*.py")):
            tree = ast.parse(path.read_text("utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call) or _called_name(node) not in errors:
                    continue
                checked += 1
                for argument in node.args:
                    if _built_text(argument):
                        where = f"{path.relative_to(SOURCE)}:{node.lineno}"
                        offences.append(f"{where}: {ast.unparse(node)[:80]}")
    assert checked > 50  # the scan sees the raise sites
    assert offences == []


def test_text_renders_nested_errors_and_leaves_braces_in_values_alone():
    from sixplustwo.cli.messages import error_line, text

    inner = InvalidInput("{text!r} is not a date (use {formats})", text="{0} {x}", formats="…")
    outer = InvalidInput("row {row}, column {column}: {reason}", row=3, column="生日", reason=inner)
    assert text(outer) == "row 3, column 生日: '{0} {x}' is not a date (use …)"
    assert text(outer) == str(outer)
    assert error_line(InvalidInput("project {code} exists", code="{code}")) == (
        "sixplustwo: error: project {code} exists"
    )
    assert text("a store problem, already text {x}") == "a store problem, already text {x}"


def test_text_translates_every_message_id_once_at_the_boundary(monkeypatch):
    from sixplustwo.cli import messages
    from sixplustwo.domain.owners import FieldError, owner_record

    class Marked:
        def gettext(self, msgid: str) -> str:
            return f"«{msgid}»"

    monkeypatch.setattr(messages, "_translations", Marked())
    with pytest.raises(FieldError) as raised:
        owner_record({"name": "A", "phone": "12345", "project": "P", "unit": "{u}"}, None)
    error = raised.value
    assert str(error) == "phone: phone '12345' is not a valid phone number"
    # The outer and the nested message ids both pass the translation, and the field's name
    # in the label table (domain/fields.py); the value does not.
    assert messages.text(error) == (
        "««phone (field name)»: «phone '12345' is not a valid phone number»»"
    )


def test_an_error_pickles_whole():
    """A background reader sends its error to the parent pickled: id, parameters, field."""
    from sixplustwo.domain.owners import FieldError

    error = FieldError("birthday", "birthday {day} is in the future", day="2999-01-01")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is FieldError
    assert (copy.msgid, copy.field, str(copy)) == (
        error.msgid,
        "birthday",
        "birthday: birthday 2999-01-01 is in the future",
    )
    assert str(copy.reason) == "birthday 2999-01-01 is in the future"


def test_every_code_the_domain_uses_has_a_label():
    from sixplustwo.cli import labels
    from sixplustwo.domain import actions, playbook, stages
    from sixplustwo.domain.rules import CASE_KINDS
    from sixplustwo.io.report_html import _COLOURS
    from sixplustwo.store.reporting import OUTCOMES

    assert set(typing.get_args(actions.Status)) == set(actions.STATUSES) == set(labels.STATUS)
    assert set(typing.get_args(stages.Stage)) == set(stages.STAGES)
    assert set(labels.STAGE) == {*stages.STAGES, "forgotten"}  # forgotten: erased on request
    assert tuple(labels.STEP) == playbook.STEP_CODES
    assert {rule.step for rule in playbook.default_playbook()} <= set(labels.STEP)
    assert not hasattr(playbook, "STEPS")  # step names live in cli/labels.py only
    assert set(CASE_KINDS) == set(labels.CASE_KIND)
    assert tuple(labels.OUTCOME) == tuple(labels.OUTCOME_HEAD) == OUTCOMES == tuple(_COLOURS)
    assert set(labels.SUBJECT) == set(typing.get_args(playbook.Subject))
    assert set(labels.REFERRAL_STATUS) == {"pending", "confirmed", "settled"}
    assert all(labels.label(kind, code) == word for kind, table in labels.TABLES.items()
               for code, word in table.items())  # fmt: skip


def test_labels_are_looked_up_by_a_known_kind():
    """Every ``label(kind, …)`` call in cli/ and io/ names a kind that cli/labels.py has."""
    from sixplustwo.cli.labels import TABLES

    kinds = set()
    for package in ("cli", "io"):
        for path in (SOURCE / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if isinstance(node, ast.Call) and _called_name(node) == "label" and node.args:
                    first = node.args[0]
                    assert isinstance(first, ast.Constant), f"{path}:{node.lineno}"
                    kinds.add(first.value)
    assert kinds and kinds <= set(TABLES)
