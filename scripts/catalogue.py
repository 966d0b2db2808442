"""The translator's tool: extract every user-facing string, update the Chinese catalogue,
compile it.

    python scripts/catalogue.py            # extract → .pot, update zh_CN .po, compile .mo
    python scripts/catalogue.py --check    # exit 1: untranslated or fuzzy entries, stale .mo

Then translate the new entries of ``src/sixplustwo/locale/zh_CN/LC_MESSAGES/sixplustwo.po``
(any PO editor, or by hand: fill ``msgstr``, remove ``#, fuzzy`` once checked) and run it
again to compile. Babel does the work (a dev/test dependency; the installed tool reads the
``.mo`` with the standard library's gettext).

What is extracted, from ``src/sixplustwo`` (see :func:`extract_python`):

- ``_("…")``, ``N_("…")`` and ``translate("…")``: UI strings, labels, marked message ids;
- the message id of every error built (``InvalidInput("no owner {id}", id=…)``, the second
  argument of ``FieldError``), so the domain, the store and io need no marker;
- Typer's help texts: every ``help="…"`` and the docstring of every command;
- the page's templates (``web/templates/*.html``): every ``_("…")`` (see :func:`extract_template`).
"""

from __future__ import annotations

import argparse
import ast
import io
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "sixplustwo"
LOCALE = SOURCE / "locale"
DOMAIN = "sixplustwo"
TEMPLATE = LOCALE / f"{DOMAIN}.pot"
#: The catalogues' header dates, fixed: a date that changed on every run would change the
#: compiled .mo each time (git records when the strings changed).
CREATED = datetime(2026, 11, 23, tzinfo=UTC)
LANGUAGES = ("zh_CN",)

#: Calls whose first argument is a string for the catalogue.
KEYWORDS = {"_", "N_", "translate"}
#: The errors (domain/errors.py and its subclasses): a call's argument at this position (the
#: first unless named here) is a message id.
ERRORS = {"SixPlusTwoError", "InvalidInput", "NotFound", "Conflict", "StoreError"}
MSGID_POSITION = {"FieldError": 1, "_KeyError": 1, "not_in_future": 2}


def po_path(locale: str) -> Path:
    return LOCALE / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(locale: str) -> Path:
    return LOCALE / locale / "LC_MESSAGES" / f"{DOMAIN}.mo"


def _error_classes(tree: ast.Module) -> set[str]:
    """The error classes a module defines (subclasses of a known error, by name)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            bases = {b.id for b in node.bases if isinstance(b, ast.Name)}
            if bases & (ERRORS | set(MSGID_POSITION)):
                found.add(node.name)
    return found


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _is_command(node: ast.FunctionDef) -> bool:
    """A Typer command or callback: decorated with ``….command``/``….callback``, or with a
    parameter whose default is a Typer option or argument (commands registered in app.py;
    those with neither are found by :func:`_registered`)."""
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if _name(target) in {"command", "callback"}:
            return True
    for default in [*node.args.defaults, *node.args.kw_defaults]:
        if isinstance(default, ast.Call) and _name(default.func) in {"Option", "Argument"}:
            return True
        if isinstance(default, ast.Name) and default.id.endswith("_OPTION"):
            return True
        if isinstance(default, ast.Call) and _name(default.func) == "format_option":
            return True
    return False


def _text(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.strip():
        return node.value
    return None


def extract_python(fileobj, keywords, comment_tags, options) -> Iterator[tuple]:
    """A Babel extraction method for this project's Python: yields (line, function, message,
    comments)."""
    tree = ast.parse(fileobj.read().decode("utf-8"))
    errors = ERRORS | set(MSGID_POSITION) | _error_classes(tree)
    in_cli = options.get("cli", False)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _name(node.func)
            if name in KEYWORDS and node.args and (message := _text(node.args[0])):
                yield node.lineno, None, message, []
            elif name in errors:
                position = MSGID_POSITION.get(name, 0)
                if len(node.args) > position and (message := _text(node.args[position])):
                    yield node.lineno, None, message, ["error"]
            elif (
                name == "__init__"
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Call)
                and _name(node.func.value.func) == "super"
                and node.args
                and (message := _text(node.args[0]))
            ):
                yield node.lineno, None, message, ["error"]
            if in_cli:
                for keyword in node.keywords:
                    if keyword.arg == "help" and (message := _text(keyword.value)):
                        yield keyword.value.lineno, None, message, ["help"]
        elif (
            in_cli
            and isinstance(node, ast.FunctionDef)
            and (_is_command(node) or node.name in options.get("registered", ()))
        ):
            doc = ast.get_docstring(node, clean=True)
            if doc:
                yield node.lineno, None, doc, ["help"]


# A template's string for the catalogue: ``{{ _("…") }}`` (in double quotes, no escapes).
_TEMPLATE_STRING = re.compile(r'\b_\(\s*"((?:[^"\\]|\\.)*)"\s*\)')


def extract_template(path: Path) -> Iterator[tuple[int, str]]:
    """The page's template strings, by line."""
    text = path.read_text("utf-8")
    for match in _TEMPLATE_STRING.finditer(text):
        yield text.count("\n", 0, match.start()) + 1, match.group(1)


def _registered() -> dict[str, set[str]]:
    """The commands cli/app.py registers as ``app.command("NAME")(module.function)``, by
    module: a command with no option at all (``check``) is known by this alone."""
    found: dict[str, set[str]] = {}
    tree = ast.parse((SOURCE / "cli" / "app.py").read_text("utf-8"))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Call)
            and _name(node.func.func) == "command"
            and node.args
            and isinstance(node.args[0], ast.Attribute)
            and isinstance(node.args[0].value, ast.Name)
        ):
            found.setdefault(node.args[0].value.id, set()).add(node.args[0].attr)
    return found


def extract():
    """The template catalogue: every string of ``src/sixplustwo``, by file and line."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_file

    catalog = Catalog(
        project="sixplustwo",
        copyright_holder="the sixplustwo authors",
        msgid_bugs_address="",
        charset="utf-8",
        creation_date=CREATED,
        revision_date=CREATED,
    )
    registered = _registered()
    for path in sorted(SOURCE.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        options = {"cli": path.parent.name == "cli", "registered": registered.get(path.stem, ())}
        for line, message, comments, context in extract_from_file(
            extract_python, path, options=options
        ):
            catalog.add(message, None, [(relative, line)], auto_comments=comments, context=context)
    for path in sorted((SOURCE / "web" / "templates").glob("*.html")):
        relative = path.relative_to(ROOT).as_posix()
        for line, message in extract_template(path):
            catalog.add(message, None, [(relative, line)])
    return catalog


def _po_bytes(catalog) -> bytes:
    from babel.messages.pofile import write_po

    buffer = io.BytesIO()
    # Files without line numbers: a line moved in the code does not change the catalogues.
    write_po(buffer, catalog, width=100, sort_output=False, include_lineno=False)
    return buffer.getvalue()


def mo_bytes(catalog) -> bytes:
    """The compiled catalogue (fuzzy entries left out: they show in English)."""
    from babel.messages.mofile import write_mo

    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def compiled(path: Path) -> dict:
    """What a compiled catalogue says, as the installed tool reads it (the standard library's
    gettext): each msgid (with its context, ``ctxt\x04id``; a plural's ``(id, n)``) and its
    translation, and its plural forms. Not its bytes: the header names the Babel that wrote
    it, and another Babel may lay out the same translations differently."""
    import gettext

    with path.open("rb") as file:
        translations = gettext.GNUTranslations(file)
    said = {key: text for key, text in translations._catalog.items() if key != ""}
    return {"messages": said, "plural-forms": translations._info.get("plural-forms")}


def expected(catalog) -> dict:
    """What the .po's translations compile to: every translated entry that is not fuzzy
    (fuzzy ones are left out and show in English), and the catalogue's plural forms."""
    said: dict = {}
    for message in catalog:
        if not message.id or message.fuzzy or not message.string:
            continue
        prefix = f"{message.context}\x04" if message.context else ""
        if isinstance(message.id, (list, tuple)):
            for n, text in enumerate(message.string):
                said[(prefix + message.id[0], n)] = text
        else:
            said[prefix + message.id] = message.string
    return {"messages": said, "plural-forms": catalog.plural_forms}


def stale(locale: str, catalog) -> list[str]:
    """How the committed .mo differs from what the .po says: missing, extra or other
    translations, other plural forms (empty: up to date)."""
    have, want = compiled(mo_path(locale)), expected(catalog)
    found = [f"not compiled: {key!r}" for key in want["messages"] if key not in have["messages"]]
    found += [
        f"no longer in the .po: {key!r}" for key in have["messages"] if key not in want["messages"]
    ]
    found += [
        f"other translation: {key!r}"
        for key, text in want["messages"].items()
        if key in have["messages"] and have["messages"][key] != text
    ]
    if have["plural-forms"] != want["plural-forms"]:
        found.append(f"plural forms {have['plural-forms']!r}, not {want['plural-forms']!r}")
    return found


def read(locale: str):
    from babel.messages.pofile import read_po

    with po_path(locale).open("rb") as file:
        return read_po(file, locale=locale, domain=DOMAIN)


def problems(catalog) -> list[str]:
    """Entries that would show in English: no translation, or a fuzzy one."""
    found = []
    for message in catalog:
        if not message.id:
            continue
        if message.fuzzy:
            found.append(f"fuzzy: {message.id!r}")
        elif not message.string:
            found.append(f"untranslated: {message.id!r}")
    return found


def update() -> None:
    """Extract, write the template, merge it into each language's catalogue, compile."""
    from babel.messages.catalog import Catalog

    template = extract()
    TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
    TEMPLATE.write_bytes(_po_bytes(template))
    for locale in LANGUAGES:
        path = po_path(locale)
        if path.exists():
            catalog = read(locale)
        else:
            catalog = Catalog(locale=locale, domain=DOMAIN, project="sixplustwo")
        catalog.update(template, update_header_comment=False)
        catalog.revision_date = CREATED
        catalog.last_translator = "the sixplustwo team"
        catalog.language_team = "Chinese (Simplified)"
        catalog.obsolete.clear()  # removed strings go: the history is in git
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_po_bytes(catalog))
        mo_path(locale).write_bytes(mo_bytes(read(locale)))
        left = problems(read(locale))
        print(f"{path.relative_to(ROOT)}: {len(catalog)} messages, {len(left)} to translate")
        for problem in left:
            print("  " + problem)


def check() -> int:
    failed = 0
    for locale in LANGUAGES:
        catalog = read(locale)
        extracted = {message.id for message in extract() if message.id}
        missing = sorted(extracted - {message.id for message in catalog if message.id})
        for line in [*problems(catalog), *(f"not in the catalogue: {m!r}" for m in missing)]:
            print(f"{locale}: {line}")
            failed = 1
        if stale(locale, catalog):
            print(f"{mo_path(locale).relative_to(ROOT)} is out of date: run without --check")
            failed = 1
    return failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check, write nothing")
    if parser.parse_args().check:
        return check()
    update()
    return 0


if __name__ == "__main__":
    sys.exit(main())
