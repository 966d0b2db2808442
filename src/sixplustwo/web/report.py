"""A manager's report page: ``report --html``'s page (io/report_html.py) for this quarter,
made from the same store function (``store.reporting.build_report``), in Chinese as that page
always is."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sixplustwo.domain.errors import N_
from sixplustwo.web.i18n import CASE_KIND, STEP, Words

if TYPE_CHECKING:
    from sixplustwo.store.users import User
    from sixplustwo.web.site import Site

# The report page's words, the same message ids as cli/labels.py's.
OUTCOME = {
    "on_time": N_("done on time"),
    "late": N_("done late"),
    "missed": N_("missed"),
    "open": N_("not done"),
}
WORK_GROUP = {"project": N_("(project)"), "unassigned": N_("(unassigned)")}
TABLES = {"outcome": OUTCOME, "step": STEP, "case_kind": CASE_KIND, "work_group": WORK_GROUP}


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def report(site: Site, user: User) -> str:
    from sixplustwo.io.report_html import report_html
    from sixplustwo.store.reporting import build_report

    zh = Words("zh")

    def chinese(kind: str, code: str) -> str:
        return zh.chinese(TABLES[kind], code)

    day = site.today()
    with site.store(user, write=False) as scoped:
        if not scoped.scope.everything:  # a manager's page only
            from sixplustwo.domain.errors import NotFound

            raise NotFound("not in scope")
        store = scoped.store
        data = build_report(
            store.db, store.playbook, start=_quarter_start(day), end=day, today=day,
            project_id=None,
        )  # fmt: skip
    data["steps"] = [
        {"step": row["step"], "name": chinese("step", row["step"]), **row} for row in data["steps"]
    ]
    for row in data["butlers"]:
        group = row.pop("group", None)
        if group is not None:
            row["butler"] = chinese("work_group", group)
    data["butlers"].sort(key=lambda row: row["butler"])
    data["project"], data["projects"] = None, []
    return report_html(data, "6+2 执行报告 · 全部项目", chinese)
