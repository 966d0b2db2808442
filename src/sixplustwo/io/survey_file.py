"""A third-party satisfaction survey's results file (`survey import`): read as the owner
files are (io/importing.py's TableFile), with its own headers."""

from __future__ import annotations

from sixplustwo.domain.surveys import SurveyRow, survey_row
from sixplustwo.io.importing import TableFile

SURVEY_ALIASES: dict[str, str] = {
    "业主编号": "owner_id",
    "客户编号": "owner_id",
    "owner": "owner_id",
    "owner_id": "owner_id",
    "项目": "project",
    "project": "project",
    "房号": "unit",
    "unit": "unit",
    "日期": "date",
    "调查日期": "date",
    "回访日期": "date",
    "date": "date",
    "评分": "score",
    "满意度": "score",
    "得分": "score",
    "score": "score",
    "意见": "comment",
    "评价": "comment",
    "备注": "comment",
    "comment": "comment",
    "调查机构": "source",
    "来源": "source",
    "source": "source",
}


class SurveyFile(TableFile):
    """A third-party satisfaction survey's results: owner (id, or project and unit), date,
    score 1–5, comment."""

    aliases = SURVEY_ALIASES
    required = ("date", "score")
    date_fields = frozenset({"date"})

    def validate(self, values: dict[str, object]) -> SurveyRow:
        return survey_row(values)
