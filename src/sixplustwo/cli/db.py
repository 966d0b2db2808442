"""``sixplustwo db``: the database itself, moved between a SQLite file and a PostgreSQL server."""

from __future__ import annotations

import typer

from sixplustwo.cli.context import db_option
from sixplustwo.cli.options import FORMAT_OPTION, Format

app = typer.Typer(
    help="The database itself: copy it to a server or a file; offices' roles on a server.",
    no_args_is_help=True,
)


@app.command("copy")
def copy(
    ctx: typer.Context,
    to: str = typer.Option(
        ...,
        "--to",
        metavar="URL|FILE",
        help="An empty database to copy into: postgresql://user@host:5432/dbname, or a file.",
    ),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Copy the whole database (--db) into an empty one, in one transaction on the target;
    then compare the tables' row counts and check both (exit 1 if they differ)."""
    from sixplustwo.cli.messages import _, text
    from sixplustwo.cli.render import emit_json
    from sixplustwo.store.copying import copy_database

    result = copy_database(db_option(ctx), to)
    if fmt is Format.json:
        emit_json(
            {
                "ok": result.ok,
                "tables": {t: {"source": a, "target": b} for t, (a, b) in result.counts.items()},
                "source_check": text(result.source_check[1]),
                "target_check": text(result.target_check[1]),
            }
        )
    else:
        for table, (source, target) in result.counts.items():
            mark = "" if source == target else _("  (differs)")
            typer.echo(
                _("{table}: {source} rows copied, {target} in the target").format(
                    table=table, source=source, target=target
                )
                + mark
            )
        typer.echo(_("source: {line}").format(line=text(result.source_check[1])))
        typer.echo(_("target: {line}").format(line=text(result.target_check[1])))
    if not result.ok:
        raise typer.Exit(1)


role_app = typer.Typer(
    help="Office roles on a PostgreSQL server: each office sees only its projects.",
    no_args_is_help=True,
)
app.add_typer(role_app, name="role")


def _on_a_server(ctx: typer.Context) -> None:
    from sixplustwo.domain.errors import StoreError
    from sixplustwo.store.database import backend_for, resolve_target

    target, _ = resolve_target(db_option(ctx))
    if backend_for(target).NAME != "postgres":
        raise StoreError(
            "db role needs a PostgreSQL server (--db postgresql://…): a database file serves "
            "one office"
        )


@role_app.command("add")
def role_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", help="The office's login role."),
    projects: str = typer.Option(
        ..., "--projects", metavar="CODE[,CODE…]", help="The projects the office sees."
    ),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the role's password from the first line of stdin."
    ),
) -> None:
    """Make (or change) an office's login role, seeing only these projects (run with an
    administrator's URL)."""
    import sys

    from sixplustwo.cli.messages import _
    from sixplustwo.domain.errors import InvalidInput
    from sixplustwo.store.database import open_database
    from sixplustwo.store.offices import add_role

    _on_a_server(ctx)
    codes = [code.strip() for code in projects.split(",") if code.strip()]
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise InvalidInput("--password-stdin: the first line of stdin is empty")
    with open_database(db_option(ctx), write=True) as db:
        verifier = None
        if password is not None:
            verifier = db.connection.pgconn.encrypt_password(
                password.encode(), name.encode(), b"scram-sha-256"
            ).decode()
        add_role(db.connection, db.where, name, codes, verifier)
    typer.echo(_("role {name} sees projects {codes}").format(name=name, codes=",".join(codes)))


@role_app.command("list")
def role_list(ctx: typer.Context, fmt: Format = FORMAT_OPTION) -> None:
    """The office roles and the projects each sees."""
    from sixplustwo.cli.messages import _
    from sixplustwo.cli.render import render
    from sixplustwo.store.database import open_database
    from sixplustwo.store.offices import list_roles

    _on_a_server(ctx)
    with open_database(db_option(ctx), write=False) as db:
        rows = [
            {"role": name, "projects": ",".join(codes), "login": login}
            for name, codes, login in list_roles(db.connection)
        ]
    if fmt is not Format.table:
        render(rows, [], fmt)
        return
    from sixplustwo.cli.layout import Column

    render(
        rows,
        [
            Column("role", _("Role"), 6, keep=True),
            Column("projects", _("Projects"), 8, keep=True),
            Column("login", _("Login"), 5),
        ],
        fmt,
        empty=_("no office roles: every role sees every project"),
    )


@role_app.command("drop")
def role_drop(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", help="The office's login role."),
) -> None:
    """Drop an office's role (its projects' data stays)."""
    from sixplustwo.cli.messages import _
    from sixplustwo.domain.errors import NotFound
    from sixplustwo.store.database import open_database
    from sixplustwo.store.offices import drop_role

    _on_a_server(ctx)
    with open_database(db_option(ctx), write=True) as db:
        if not drop_role(db.connection, db.where, name):
            raise NotFound("no office role {name}", name=name)
    typer.echo(_("role {name} dropped").format(name=name))
