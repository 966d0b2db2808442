"""The playbook as data: rules with anchors, offsets, grace, titles and SMS templates; the 6+2
steps, the settings, the membership tiers.

A playbook is read from TOML by ``playbook_reading.py`` and written out by
``playbook_writing.py``; ``playbook.py`` gathers the three.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

from sixplustwo.domain.dates import Offset
from sixplustwo.domain.errors import N_, InvalidInput

Subject = Literal["owner", "project", "case"]
Completion = Literal["event", "done", "case-resolved"]

# The 6+2 steps by code, in order; the names a screen shows are in cli/labels.py.
STEP_CODES: tuple[str, ...] = ("1", "2", "3", "4", "5", "6", "+1", "+2")
# Their names, as message ids (温馨牵手 … 四年之约): the screens' and the page's one table.
STEP_NAMES: dict[str, str] = {
    "1": N_("Warm welcome"),
    "2": N_("Tying the knot"),
    "3": N_("Close contact"),
    "4": N_("Moving in"),
    "5": N_("Caring"),
    "6": N_("Taking responsibility"),
    "+1": N_("Together all the way"),
    "+2": N_("The four-year promise"),
}


def checked_steps(given: list[str] | tuple[str, ...]) -> set[str]:
    """The steps a filter names (``--step``), or InvalidInput naming those that are none."""
    steps = {s.strip() for s in given}
    unknown = steps - set(STEP_CODES)
    if unknown:
        raise InvalidInput(
            "--step {unknown}: steps are {steps}",
            unknown=", ".join(sorted(unknown)),
            steps=", ".join(STEP_CODES),
        )
    return steps


# 客户典型心态: the customer's typical state of mind at each step (seed 000).
STEP_MINDSETS: dict[str, str] = {
    "1": "投资价值最大化——“钱要花得值得”；降低投资风险——广纳信息、谨慎决策、防止受骗",
    "2": "心态转为被动，有无助感，容易焦虑、急躁；防止合同风险，不信任发展商和合同条款",
    "3": "憧憬未来的美好生活；忐忑不安",
    "4": "梦想实现；与交楼标准一致，排除隐患；装扮个性化家庭",
    "5": "我被持续关注；邻里关系；与开发商和物业公司的关系",
    "6": "如果被关注，感到惊喜；社区活动；居住氛围",
    "+1": "及时有效解决我的问题；安全感",
    "+2": "如果你能想到我，对我就是奢望",
}

ANCHORS: dict[str, Subject] = {
    "visited_on": "owner",
    "subscribed_on": "owner",
    "signed_on": "owner",
    "planned_delivery": "owner",
    "delivered_on": "owner",
    "birthday": "owner",
    "holiday": "owner",
    "milestone": "owner",
    "referral_delivered": "owner",
    "celebration": "owner",  # a celebration event (新婚, 乔迁, 添丁, 升学 …)
    "project_delivery": "project",
    "project_opening": "project",  # 开盘, the sales opening
    "project_week": "project",  # every week (Monday) once the project has delivered
    "project_month": "project",  # every month (the 1st) once the project has delivered
    "case_opened": "case",
    "case_resolved": "case",
}

# Rules with several actions per owner; every other owner rule has at most one.
MULTI_ACTION_ANCHORS = frozenset(
    {
        "birthday",
        "holiday",
        "milestone",
        "referral_delivered",
        "celebration",
        "project_week",
        "project_month",
    }
)
# Project rules that recur for as long as the project has residents.
PERIODIC_ANCHORS = frozenset({"project_week", "project_month"})


@dataclass(frozen=True)
class Rule:
    name: str
    step: str
    subject: Subject
    anchor: str
    opens: Offset
    due: Offset
    grace: int | None  # None: never missed, listed until done
    completion: Completion
    title: str
    template: str
    source: str = ""
    due_repair: Offset | None = None  # case-resolve: repairs are due sooner than complaints
    workdays: bool = False  # due dates move off weekends and holidays (Settings.workdays)
    go_live: date | None = None  # actions due before it are before-go-live (Settings.go_live)
    # Templates by action detail, e.g. one per festival for holiday-greeting; else template.
    templates: tuple[tuple[str, str], ...] = ()
    # What the customer cares about at this step (客户关注焦点) and the butler's work points
    # (工作要点说明), both from the seeds; `done` records the checklist item by item.
    talking_points: tuple[str, ...] = ()
    checklist: tuple[str, ...] = ()
    # The SMS is the whole action (a greeting, a bulletin, a warranty notice): the SMS export
    # to the `sms` destination, or `notify owners`, completes it (store/sent.py). Calls and
    # visits (revisits, checks) stay open after their heads-up SMS.
    sent_is_done: bool = False

    @property
    def multi(self) -> bool:
        return self.anchor in MULTI_ACTION_ANCHORS

    def template_for(self, detail: str | None) -> str:
        for key, template in self.templates:
            if key == detail:
                return template
        return self.template

    def opens_on(self, anchor: date) -> date:
        return self.opens.apply(anchor)

    def due_on(self, anchor: date, *, repair: bool = False) -> date:
        offset = self.due_repair if repair and self.due_repair is not None else self.due
        due = offset.apply(anchor)
        if self.workdays:
            from sixplustwo.domain.calendars import next_working_day

            return next_working_day(due)
        return due


@dataclass(frozen=True)
class Settings:
    """Playbook-wide settings (``[settings]`` in the TOML file)."""

    # Move due dates off weekends and public holidays onto the next working day (调休 aware).
    workdays: bool = False
    # 滚雪球计划: the reward per referred customer who signed, and how it is paid out.
    referral_reward: int = 3000
    referral_settlement: str = "抵扣物业费"
    # The day the team started using the tool: an action due before it is history
    # ("before-go-live"), never listed, exported, sent or counted. None: no history kept apart.
    go_live: date | None = None
    # notify owners (issue 30): no SMS in these hours of the team's day, at most this many an
    # owner a day (the most urgent first).
    quiet_hours: str = "21:00-08:00"
    sms_per_owner_per_day: int = 1
    # The company's clock (an IANA name, or "local": the machine's): what day "today" is for
    # every command, export and report. None: the database's own (domain/clock.py).
    timezone: str | None = None


@dataclass(frozen=True)
class Tier:
    """A membership tier (会员等级) and what earns it: at least ``flats`` flats signed for,
    or at least ``referrals`` referred customers who signed."""

    name: str
    flats: int | None = None
    referrals: int | None = None

    def earned(self, flats: int, referrals: int) -> bool:
        return (self.flats is not None and flats >= self.flats) or (
            self.referrals is not None and referrals >= self.referrals
        )


# Seed 004's club cards, best first; a company sets its own with [membership.NAME] tables.
DEFAULT_TIERS = (
    Tier("铂金卡", flats=3, referrals=3),
    Tier("金卡", flats=2, referrals=2),
    Tier("银卡", referrals=1),
    Tier("蓝卡", flats=1),
)


def membership_tier(tiers: tuple[Tier, ...], flats: int, referrals: int) -> str | None:
    """The best tier earned; None for a customer who has not signed for a flat."""
    if flats < 1:
        return None
    return next((tier.name for tier in tiers if tier.earned(flats, referrals)), None)


@dataclass(frozen=True)
class Playbook:
    rules: tuple[Rule, ...]
    settings: Settings = Settings()
    tiers: tuple[Tier, ...] = DEFAULT_TIERS
    _by_name: dict[str, Rule] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        workdays, go_live = self.settings.workdays, self.settings.go_live
        if any(rule.workdays != workdays or rule.go_live != go_live for rule in self.rules):
            rules = tuple(replace(rule, workdays=workdays, go_live=go_live) for rule in self.rules)
            object.__setattr__(self, "rules", rules)
        self._by_name.update({rule.name: rule for rule in self.rules})

    def with_settings(self, **changes: object) -> Playbook:
        return Playbook(
            self.rules,
            replace(self.settings, **changes),  # type: ignore[arg-type]
            self.tiers,
        )

    def __iter__(self):
        return iter(self.rules)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def get(self, name: str) -> Rule:
        try:
            return self._by_name[name]
        except KeyError:
            known = ", ".join(self._by_name)
            raise InvalidInput(
                "unknown rule {name!r} (rules: {known})", name=name, known=known
            ) from None

    def for_subject(self, subject: Subject) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.subject == subject)
