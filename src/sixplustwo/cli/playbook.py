"""``sixplustwo playbook``: the rules in force, and storing a company's own."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from sixplustwo.cli.context import command_line, open_database, open_store, parse_day
from sixplustwo.cli.messages import N_, _
from sixplustwo.cli.options import Format, format_option
from sixplustwo.cli.render import render
from sixplustwo.domain.text import visible_lines


def playbook(
    ctx: typer.Context,
    fmt: str = format_option(
        "table",
        help="table, json, csv, toml (a file to start editing) "
        "or markdown (docs/playbook.md's table).",
    ),
    use: Path | None = typer.Option(
        None, "--use", metavar="FILE.toml", help="Store this playbook: it stays in force."
    ),
    reset: bool = typer.Option(False, "--reset", help="Back to the default playbook."),
    go_live: str | None = typer.Option(
        None,
        "--go-live",
        metavar="DATE",
        help="The day the team started: actions due before it are history, for everyone.",
    ),
    clear_go_live: bool = typer.Option(
        False, "--clear-go-live", help="No go-live day: history counts as before."
    ),
) -> None:
    """The rules in force: step, anchor, window, grace, title."""
    from sixplustwo.cli.labels import chinese
    from sixplustwo.domain.errors import InvalidInput
    from sixplustwo.domain.playbook import (
        default_playbook,
        parse_playbook,
        playbook_markdown,
        playbook_toml,
        template_warnings,
    )
    from sixplustwo.store.audit import PLAYBOOK_SETTING
    from sixplustwo.store.unit import Store

    if fmt not in ("table", "json", "csv", "toml", "markdown"):
        raise typer.BadParameter(
            _("{fmt!r} is not one of table, json, csv, toml, markdown").format(fmt=fmt),
            param_hint="--format",
        )
    if use is not None and reset:
        raise InvalidInput("--use and --reset: choose one")
    if go_live is not None or clear_go_live:
        if go_live is not None and clear_go_live:
            raise InvalidInput("--go-live and --clear-go-live: choose one")
        _set_go_live(ctx, parse_day(go_live, "--go-live"))
        if use is None and not reset:
            return
    if use is not None or reset:
        text = None
        if use is not None:
            if not use.is_file():
                raise InvalidInput("--use {use}: no such file", use=use)
            text = use.read_text("utf-8")
            book = parse_playbook(text, base=default_playbook(), source=str(use))  # refused if bad
            from sixplustwo.cli.messages import warning_line

            for warning in template_warnings(book):
                typer.echo(warning_line(warning), err=True)
        # The default rules while the stored ones are replaced: a stored playbook this release
        # refuses (an old template with {name.__class__}) can still be reset.
        with open_database(ctx, write=True, create=use is not None) as db:
            store = Store(db, default_playbook(), command_line(ctx))
            store.settings.set(PLAYBOOK_SETTING, text)
            if use:
                store.audit.record("playbook", N_("use {file}"), file=use)
            else:
                store.audit.record("playbook", N_("reset to default"))
        if use:
            typer.echo(_("playbook from {file} in force").format(file=use))
        else:
            typer.echo(_("playbook reset to the default in force"))
        return
    with open_store(ctx, write=False) as store:
        book = store.playbook
    if fmt in ("toml", "markdown"):
        text = playbook_toml(book) if fmt == "toml" else playbook_markdown(book)
        typer.echo(visible_lines(text), nl=False)
        return
    rows = [
        {
            "rule": rule.name,
            "step": rule.step,
            "step_name": chinese("step", rule.step),
            "subject": rule.subject,
            "anchor": rule.anchor,
            "opens": str(rule.opens),
            "due": str(rule.due) + (f" (repair {rule.due_repair})" if rule.due_repair else ""),
            "grace": "none" if rule.grace is None else rule.grace,
            "completion": rule.completion,
            "sent_is_done": rule.sent_is_done,
            "title": rule.title,
            "template": rule.template,
            "source": rule.source,
        }
        for rule in book
    ]
    from sixplustwo.cli.labels import ANCHOR, RULE_SUBJECT, code_word
    from sixplustwo.cli.layout import Column

    if fmt == "table":  # the screen in the user's language; JSON and CSV keep the codes
        rows = [
            {
                **row,
                "anchor": code_word(ANCHOR, row["anchor"]),
                "subject": code_word(RULE_SUBJECT, row["subject"]),
                "due": _("{due} (repair {repair})").format(due=rule.due, repair=rule.due_repair)
                if rule.due_repair
                else str(rule.due),
                "grace": _("none") if rule.grace is None else rule.grace,
                "sent": "✓" if row["sent_is_done"] else None,  # JSON and CSV: sent_is_done
            }
            for row, rule in zip(rows, book, strict=True)
        ]
    # One line a rule: its name (what --playbook files and done --rule take), step, title and
    # when it is due whole; then when it opens, from what, the grace, for whom.
    render(
        rows,
        [
            Column("rule", _("Rule"), 10, keep=True),
            Column("step", _("Step"), 10, keep=True),
            Column("title", _("Action"), 10, keep=True),
            Column("due", _("Due"), 7, keep=True),
            Column("opens", _("Opens"), 6),
            Column("anchor", _("Anchor"), 5),
            Column("grace", _("Grace"), 4, right=True),
            Column("subject", _("For"), 3),
            Column("sent", _("Sent is done"), 2),
        ],
        Format(fmt),
        title=_("6+2 playbook (working days)") if book.settings.workdays else _("6+2 playbook"),
    )


def _set_go_live(ctx: typer.Context, day: date | None) -> None:
    """Store the go-live day (None: clear it) and say what it means."""
    from sixplustwo.store.audit import GO_LIVE_SETTING
    from sixplustwo.store.unit import Store

    with open_database(ctx, write=True, create=day is not None) as db:
        from sixplustwo.domain.playbook import default_playbook

        store = Store(db, default_playbook(), command_line(ctx))
        store.settings.set(GO_LIVE_SETTING, day.isoformat() if day else None)
        if day:
            store.audit.record("playbook", N_("go-live {day}"), day=day.isoformat())
        else:
            store.audit.record("playbook", N_("go-live cleared"))
    if day is None:
        typer.echo(_("go-live cleared: every action counts, history too"))
    else:
        typer.echo(
            _(
                "go-live {date}: actions due before it are before go-live, "
                "never listed, exported, sent or counted"
            ).format(date=day.isoformat())
        )
