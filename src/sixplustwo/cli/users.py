"""``sixplustwo user …``: who may log in to the butlers' page (``sixplustwo serve``)."""

from __future__ import annotations

import typer

from sixplustwo.cli.context import open_database
from sixplustwo.cli.messages import N_, _
from sixplustwo.cli.options import FORMAT_OPTION, Format
from sixplustwo.cli.render import render

ROLE_WORDS = {"butler": N_("butler"), "manager": N_("manager")}
ROLE_CODES = {"管家": "butler", "经理": "manager"}  # --role in Chinese

app = typer.Typer(help="Who may log in to the butlers' page (sixplustwo serve).",
                  no_args_is_help=True)  # fmt: skip


@app.command("add")
def add(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", help="The name they log in with."),
    role: str = typer.Option(..., "--role", metavar="ROLE", help="butler or manager."),
    butler: str | None = typer.Option(
        None,
        "--butler",
        metavar="NAME",
        help="A butler's name on the owners (default: NAME): they see only those owners.",
    ),
) -> None:
    """Add a user; then give them a password with `user password NAME`."""
    from sixplustwo.store.users import Users

    role = ROLE_CODES.get(role.strip(), role.strip())  # 管家, 经理: the codes
    with open_database(ctx, write=True, create=True) as db:
        user = Users(db).add(name, role, butler)
    typer.echo(
        _("user {name} added ({role}); set a password: sixplustwo user password {name}").format(
            name=user.name, role=_(ROLE_WORDS[user.role])
        )
    )


@app.command("password")
def password(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", help="The user."),
    stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from one line of standard input."
    ),
) -> None:
    """Set a user's password (asked twice on the terminal; never an argument). A disabled
    user may log in again."""
    import sys

    from sixplustwo.domain.errors import InvalidInput
    from sixplustwo.store.users import Users, hash_password

    if stdin:
        given = sys.stdin.readline().rstrip("\r\n")
    else:
        import getpass

        if not sys.stdin.isatty():
            raise InvalidInput("no terminal to ask the password on: use --password-stdin")
        given = getpass.getpass(_("Password: "))
        if getpass.getpass(_("Again: ")) != given:
            raise InvalidInput("the two passwords differ; nothing changed")
    hash_password(given)  # too short or too long: refused before the database is opened
    with open_database(ctx, write=True) as db:
        Users(db).set_password(name, given)
    typer.echo(_("password set for {name}").format(name=name))


@app.command("list")
def list_users(ctx: typer.Context, fmt: Format = FORMAT_OPTION) -> None:
    """The users: name, role, the butler they see, whether they may log in."""
    from sixplustwo.store.users import Users

    with open_database(ctx, write=False) as db:
        users = Users(db).list()
    rows = [
        {
            "name": u.name,
            "role": u.role,
            "butler": u.butler,
            "password": u.password_hash is not None,
            "disabled": u.disabled,
        }
        for u in users
    ]
    if fmt is not Format.table:
        render(rows, [], fmt)
        return
    yes, no = _("yes"), _("no")
    shown = [
        {**row, "role": _(ROLE_WORDS[row["role"]]), "butler": row["butler"] or "—",
         "password": yes if row["password"] else no, "disabled": yes if row["disabled"] else no}
        for row in rows
    ]  # fmt: skip
    columns = [("name", _("Name")), ("role", _("Role")), ("butler", _("Butler")),
               ("password", _("Password set")), ("disabled", _("Disabled"))]  # fmt: skip
    render(shown, columns, fmt, empty=_("no users yet: sixplustwo user add NAME --role butler"))


@app.command("disable")
def disable(
    ctx: typer.Context, name: str = typer.Argument(..., metavar="NAME", help="The user.")
) -> None:
    """Stop a user logging in (their sessions end at once); `user password` lets them in
    again."""
    from sixplustwo.store.users import Users

    with open_database(ctx, write=True) as db:
        Users(db).disable(name)
    typer.echo(_("user {name} disabled").format(name=name))
