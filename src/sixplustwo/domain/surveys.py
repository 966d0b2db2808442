"""Survey input: one answer of a satisfaction survey (third-party or the butler's own),
validated as an owner's input is (``owner_input.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sixplustwo.domain.owner_input import FieldError, cell_date, cell_text, parse_owner_id
from sixplustwo.domain.text import SOURCE_MAX, line_problem, note_problem


@dataclass(slots=True)
class SurveyRow:
    """One answer of a satisfaction survey (third-party or the butler's own)."""

    owner_id: int | None
    project: str | None
    unit: str | None
    on: date
    score: int
    comment: str | None
    source: str | None


def survey_row(values: Mapping[str, object]) -> SurveyRow:
    """Validate one survey answer: the owner by id or by project and unit, a date, a 1–5 score."""
    owner = cell_text(values.get("owner_id"))
    project, unit = cell_text(values.get("project")), cell_text(values.get("unit"))
    if not owner and not (project and unit):
        raise FieldError("owner_id", "name the owner: an owner id, or project and unit")
    day = cell_date("date", values.get("date"))
    if day is None:
        raise FieldError("date", "is required")
    raw_score = cell_text(values.get("score")) or ""
    try:
        score = int(float(raw_score))
    except ValueError:
        raise FieldError("score", "{score!r} is not a score from 1 to 5", score=raw_score) from None
    if not 1 <= score <= 5 or float(raw_score) != score:
        raise FieldError("score", "{score!r} is not a score from 1 to 5", score=raw_score)
    comment = cell_text(values.get("comment"))
    problem = comment and note_problem(comment)
    if problem:
        raise FieldError("comment", problem)
    source = cell_text(values.get("source")) or "第三方调查"
    problem = line_problem(source, SOURCE_MAX)
    if problem:
        raise FieldError("source", problem)
    return SurveyRow(
        owner_id=parse_owner_id(owner, "owner_id") if owner else None,
        project=project,
        unit=unit,
        on=day,
        score=score,
        comment=comment,
        source=source,
    )
