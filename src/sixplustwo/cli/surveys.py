"""``sixplustwo survey import``: satisfaction survey results (满意度调查)."""

from __future__ import annotations

from pathlib import Path

import typer

from sixplustwo.cli.context import RollBack, open_store, refuse_bad_rows, today
from sixplustwo.cli.messages import _
from sixplustwo.cli.options import FORMAT_OPTION, Format
from sixplustwo.cli.render import emit_json

app = typer.Typer(help="Satisfaction surveys (满意度调查).", no_args_is_help=True)


@app.command("import")
def import_survey(
    ctx: typer.Context,
    file: Path = typer.Argument(
        ...,
        metavar="FILE",
        help="CSV or XLSX: 业主编号 (or 项目 code or name, and 房号), 日期, 评分, 意见.",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check every row, write nothing."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Import a third-party satisfaction survey's results (第三方客户满意度调查): all rows or
    none; each answer becomes a ``survey`` event with its 1–5 score and comment. An answer
    already recorded (same owner, date, score, source, comment) is skipped and counted."""
    from sixplustwo.io.survey_file import SurveyFile

    survey = SurveyFile(file, today())
    try:
        with open_store(ctx, write=True, create=not dry_run) as store:
            result = store.journey.import_survey(survey, today())
            if result.problems or dry_run:
                raise RollBack
    except RollBack:
        pass
    refuse_bad_rows(file, result.problems, result.problem_count)
    imported = 0 if dry_run else result.inserted
    if fmt is Format.json:
        emit_json(
            {
                "rows": result.rows,
                "imported": imported,
                "skipped": result.skipped,
                "dry_run": dry_run,
                "event_ids": [] if dry_run else result.event_ids,
            }
        )
    elif dry_run:
        typer.echo(
            _("{file}: {rows} answers valid (dry run), {skipped} already recorded").format(
                file=file, rows=result.rows, skipped=result.skipped
            )
        )
    else:
        typer.echo(
            _("{file}: {imported} answers imported, {skipped} already recorded").format(
                file=file, imported=result.inserted, skipped=result.skipped
            )
        )
