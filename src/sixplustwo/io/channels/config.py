"""channels.toml: the robots, the butlers' routes to them, the SMS gateway (SPEC §7).

The file holds keys and secrets: it is refused unless private (mode 0600 or stricter), and
no error names anything of its content but table and key names; never a value.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from dataclasses import dataclass, field

from sixplustwo.domain.errors import N_, InvalidInput
from sixplustwo.io.channels import ROBOT_KINDS, SMS_KINDS

CHANNELS_ENV = "SIXPLUSTWO_CHANNELS"

# Each service's own limit (messages in a window of seconds), unless the file sets
# per_minute (robots) or per_second (SMS).
ROBOT_LIMITS = {"wecom": 20, "dingtalk": 20, "feishu": 100, "webhook": 600}
SMS_PER_SECOND = {"aliyun": 100, "tencent": 100}


# What is wrong with the file: each names the table and key, never a value.
_TEXT = N_("channels file {path}: {where}: {key} must be text")
_NUMBER = N_("channels file {path}: {where}: {key} must be a whole number ≥ 1")
_TABLE = N_("channels file {path}: {where} must be a table")
_KIND = N_("channels file {path}: {where}: kind must be one of {kinds}")
_URL = N_("channels file {path}: {where}: url must start with https:// or http://")
_MSGTYPE = N_("channels file {path}: {where}: msgtype must be markdown or text")
_NO_ROBOT = N_("channels file {path}: {where}: no robot {robot!r} in [robots]")
_MOBILE = N_("channels file {path}: {where}: mobile must be a phone number's digits")
_TEMPLATES = N_("channels file {path}: {where}: each rule's template code must be text")


@dataclass(frozen=True)
class Robot:
    name: str
    kind: str
    url: str
    secret: str | None = None
    msgtype: str = "markdown"  # wecom: markdown or text (only text can @-mention)
    per_minute: int = 20


@dataclass(frozen=True)
class Route:
    robot: str
    mobile: str | None = None


@dataclass(frozen=True)
class Sms:
    kind: str
    access_key_id: str
    access_key_secret: str
    sign_name: str
    url: str | None = None
    region: str = "ap-guangzhou"
    sdk_app_id: str | None = None  # tencent: SmsSdkAppId
    per_second: int = 100
    templates: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Channels:
    path: str
    robots: dict[str, Robot]
    butlers: dict[str, Route]
    sms: Sms | None

    def secrets(self) -> list[str]:
        """Every value a run must never show (for scrubbing a service's message)."""
        found = []
        for robot in self.robots.values():
            found += [robot.url, *(_query_values(robot.url)), robot.secret or ""]
        if self.sms:
            found += [self.sms.access_key_id, self.sms.access_key_secret]
        return [s for s in found if s and len(s) >= 4]


def _query_values(url: str) -> list[str]:
    return [value for _, value in re.findall(r"[?&]([^=&]+)=([^&]+)", url)]


def channels_path(option: str | None) -> str:
    path = option or os.environ.get(CHANNELS_ENV)
    if not path:
        raise InvalidInput("no channels file: give --channels FILE or set {env}", env=CHANNELS_ENV)
    return path


def read_channels(path: str) -> Channels:
    """The file read and checked; refused unless private (0600 or stricter)."""
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InvalidInput("channels file {path}: no such file", path=path) from None
    except OSError:
        raise InvalidInput("channels file {path}: cannot be read", path=path) from None
    try:
        found = os.fstat(handle)
        if not stat.S_ISREG(found.st_mode):
            raise InvalidInput("channels file {path}: not a regular file", path=path)
        if found.st_mode & 0o077:
            raise InvalidInput(
                "channels file {path} is readable by others (mode {mode:o}): it holds keys "
                "and secrets, make it private with chmod 600",
                path=path,
                mode=stat.S_IMODE(found.st_mode),
            )
        with os.fdopen(handle, "rb", closefd=False) as file:
            data = file.read()
    finally:
        os.close(handle)
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise InvalidInput(
            "channels file {path}: not valid TOML (line {line})",
            path=path,
            line=line.group(1) if line else "?",
        ) from None
    return _channels(path, document)


def _channels(path: str, document: dict) -> Channels:
    def bad(where: str, message: str, **values: object) -> InvalidInput:
        return InvalidInput(message, path=path, where=where, **values)

    def text(table: dict, key: str, where: str, *, required: bool = True) -> str | None:
        value = table.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            raise bad(where, _TEXT, key=key)
        return value.strip()

    def number(table: dict, key: str, where: str, default: int) -> int:
        value = table.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise bad(where, _NUMBER, key=key)
        return value

    robots: dict[str, Robot] = {}
    for name, table in (document.get("robots") or {}).items():
        where = f"[robots.{name}]"
        if not isinstance(table, dict):
            raise bad(where, _TABLE)
        kind = text(table, "kind", where)
        if kind not in ROBOT_KINDS:
            raise bad(where, _KIND, kinds=", ".join(ROBOT_KINDS))
        url = text(table, "url", where)
        if not url.startswith(("https://", "http://")):
            raise bad(where, _URL)
        secret = text(table, "secret", where, required=kind in ("dingtalk", "feishu"))
        msgtype = table.get("msgtype", "markdown")
        if msgtype not in ("markdown", "text"):
            raise bad(where, _MSGTYPE)
        per_minute = number(table, "per_minute", where, ROBOT_LIMITS[kind])
        robots[name] = Robot(name, kind, url, secret, msgtype, per_minute)
    butlers: dict[str, Route] = {}
    for name, table in (document.get("butlers") or {}).items():
        where = f'[butlers."{name}"]'
        if not isinstance(table, dict):
            raise bad(where, _TABLE)
        robot = text(table, "robot", where)
        if robot not in robots:
            raise bad(where, _NO_ROBOT, robot=robot)
        mobile = table.get("mobile")
        if mobile is not None and not (isinstance(mobile, str) and mobile.isdigit()):
            raise bad(where, _MOBILE)
        butlers[name] = Route(robot, mobile)
    sms = None
    if "sms" in document:
        table = document["sms"]
        where = "[sms]"
        if not isinstance(table, dict):
            raise bad(where, _TABLE)
        kind = text(table, "kind", where)
        if kind not in SMS_KINDS:
            raise bad(where, _KIND, kinds=", ".join(SMS_KINDS))
        templates = table.get("templates", {})
        if not isinstance(templates, dict) or not all(
            isinstance(v, str) and v.strip() for v in templates.values()
        ):
            raise bad("[sms.templates]", _TEMPLATES)
        url = text(table, "url", where, required=False)
        if url and not url.startswith(("https://", "http://")):
            raise bad(where, _URL)
        sms = Sms(
            kind,
            text(table, "access_key_id", where),
            text(table, "access_key_secret", where),
            text(table, "sign_name", where),
            url,
            text(table, "region", where, required=False) or "ap-guangzhou",
            text(table, "sdk_app_id", where, required=kind == "tencent"),
            number(table, "per_second", where, SMS_PER_SECOND[kind]),
            {rule: code.strip() for rule, code in templates.items()},
        )
    return Channels(path, robots, butlers, sms)
