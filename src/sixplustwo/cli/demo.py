"""``sixplustwo demo``: a sample database, then today's due list."""

from __future__ import annotations

import tempfile
from pathlib import Path

import typer

from sixplustwo.cli.context import today
from sixplustwo.cli.options import FORMAT_OPTION, Format


def demo(
    ctx: typer.Context,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Load the sample customers into a scratch database and show today's due list."""
    from sixplustwo.cli.context import open_store
    from sixplustwo.cli.due import due
    from sixplustwo.domain.errors import InvalidInput
    from sixplustwo.io.samples import Sample

    root = ctx.find_root()
    given = (root.obj or {}).get("db")
    if given:
        path = Path(given)
        if path.exists() and path.stat().st_size > 0:
            raise InvalidInput(
                "{path} already exists: demo loads only into a new database", path=path
            )
    else:
        path = Path(tempfile.mkdtemp(prefix="sixplustwo-demo-")) / "demo.db"
        root.obj = {**(root.obj or {}), "db": str(path)}
    day = today()
    sample = Sample(day)
    with open_store(ctx, write=True, create=True) as store:
        for code, name, city, delivery, opening in sample.projects():
            store.projects.add(code, name, delivery, city, opening)
        for code, kind, on in sample.milestones():
            store.projects.add_milestone(code, kind, on, None, today=day)
        ids = [store.owners.add(record).id for record in sample.owners()]
        for item in sample.events():
            store.journey.add_event(
                ids[item["owner_row"] - 1],
                item["kind"],
                item["on"],
                note=item["note"],
                channel=item["channel"],
                score=item["score"],
                today=day,
            )
        for item in sample.cases():
            case = store.cases.open(
                ids[item["owner_row"] - 1], item["kind"], item["note"], item["opened"], day
            )
            if item["resolved"] is not None:
                store.cases.resolve(case.id, item["resolved"], "已处理", today=day)
    from sixplustwo.cli.messages import _

    typer.echo(
        _("Demo database with {count} sample customers: {path}").format(count=len(ids), path=path),
        err=True,
    )
    typer.echo(
        _("Try: sixplustwo --db {path} owner show {id}").format(path=path, id=ids[0]), err=True
    )
    due(ctx, on=None, project=[], butler=None, step=[], workdays=False, membership=None, fmt=fmt)
