"""The one definition of an owner: every column, with what each layer needs to know of it.

The owner table's expected columns (checked against the migrations by a test), the import's
input fields and the headers sales systems write (English and Chinese), the bulk insert's
column order, the owner list's JSON/CSV fields and the labels on screens all derive from
``OWNER_FIELDS``. Adding a field is one entry here plus a migration that adds its column;
a field of a plain kind (text, date, int, bool) then flows through import, storage, listings
and ``owner show`` without another edit.
"""

from __future__ import annotations

from dataclasses import dataclass

from sixplustwo.domain.errors import N_, SixPlusTwoError

# Kinds: "id" (the row's id), "ref" (another row's id), "text", "date", "int", "bool",
# "key" (derived by the store, e.g. the birthday's index key), "stamp" (a time of writing).
PLAIN_KINDS = frozenset({"text", "date", "int", "bool"})


@dataclass(frozen=True, slots=True)
class Field:
    name: str  # the column, and the record's attribute
    kind: str = "text"
    input: str | None = None  # `owner add` option and English header (with _ for -)
    headers: tuple[str, ...] = ()  # headers a Chinese sales system writes
    label: str | None = None  # the field's name on screens and in messages
    listed: str | None = None  # its key in `owner list` JSON/CSV (None: not listed)
    required: bool = False  # on input
    core: bool = True  # handled by name in the owner's own validation (not generically)

    @property
    def is_plain(self) -> bool:
        return not self.core and self.kind in PLAIN_KINDS


# Headers as the sales systems Chinese developers use write them (明源, 销售台账 exports…).
# 交付日期 alone is read as the contract's delivery date, 交房日期 as the actual handover.
# Never a butler: 置业顾问 (the sales consultant who sold the flat).
OWNER_FIELDS: tuple[Field, ...] = (
    Field("id", "id", headers=("owner_id", "编号", "业主编号"), label="编号", listed="id"),
    Field("name", "text", input="name", headers=("姓名", "客户姓名", "客户名称", "业主姓名"),
          label="姓名", listed="name", required=True),
    Field("phone", "text", input="phone",
          headers=("手机", "手机号", "手机号码", "移动电话", "联系电话", "电话"), label="手机",
          listed="phone", required=True),
    Field("project_id", "ref", input="project", headers=("项目", "项目名称", "楼盘", "楼盘名称"),
          label="项目", listed="project", required=True),
    Field("unit", "text", input="unit", headers=("房号", "房间号", "室号", "房间编号", "房屋编号"),
          label="房号", listed="unit", required=True),
    Field("butler", "text", input="butler", headers=("管家", "客户管家"), label="管家",
          listed="butler"),
    Field("visited_on", "date", input="visited", headers=("来访日期", "到访日期"), label="来访",
          listed="visited"),
    Field("subscribed_on", "date", input="subscribed", headers=("认购日期", "认筹日期"),
          label="认购", listed="subscribed"),
    Field("signed_on", "date", input="signed", headers=("签约日期", "网签日期", "签约时间"),
          label="签约", listed="signed"),
    Field("delivery_date", "date", input="delivery_date",
          headers=("合同交付日期", "合同交房日期", "合同约定交付日期", "交付日期"),
          label="合同交付", listed="delivery_date"),
    Field("delivered_on", "date", input="delivered",
          headers=("实际交付日期", "实际交房日期", "交房日期", "收楼日期"), label="交付",
          listed="delivered"),
    Field("birthday", "date", input="birthday", headers=("生日", "出生日期"), label="生日",
          listed="birthday"),
    Field("birthday_lunar", "bool", input="lunar_birthday", headers=("农历生日", "生日类型"),
          label="农历生日", listed="lunar_birthday"),
    Field("referred_by", "ref", input="referred_by", headers=("推荐人", "推荐人编号", "介绍人"),
          label="推荐人", listed="referred_by"),
    Field("wants_greetings", "bool", listed="wants_greetings"),
    # An owner who opted out of SMS (notify owners sends them none; still listed for the
    # butler): `owner edit --no-sms`, an import's 短信退订 column.
    Field("no_sms", "bool", input="no_sms", headers=("短信退订", "拒收短信"), label="短信退订",
          listed="no_sms", core=False),
    Field("birthday_md", "key"),
    # Search keys (domain/search.py), derived from the name, phone and flat: `owner find`.
    Field("name_pinyin", "key"),
    Field("name_initials", "key"),
    Field("unit_key", "key"),
    Field("profile_consent", "bool"),
    Field("forgotten_on", "date"),
    Field("created_at", "stamp"),
)  # fmt: skip


# The label table (issue 28): a field as messages name it. English names a field by the word
# the commands take (``signed``, as ``owner add --signed`` and ``--clear signed``); another
# language by its label here, translated when the message is drawn (签约日期, never
# ``signed``). The message ids say which field they name and are never shown in English.
# Every input field, the update file's key and the survey file's columns; a field added
# above needs its line here (tests/test_one_language.py names one missing).
FIELD_NAMES: dict[str, str] = {
    "id": N_("id (field name)"),
    "owner_id": N_("owner_id (field name)"),
    "name": N_("name (field name)"),
    "phone": N_("phone (field name)"),
    "project": N_("project (field name)"),
    "unit": N_("unit (field name)"),
    "butler": N_("butler (field name)"),
    "visited": N_("visited (field name)"),
    "subscribed": N_("subscribed (field name)"),
    "signed": N_("signed (field name)"),
    "delivery_date": N_("delivery_date (field name)"),
    "delivered": N_("delivered (field name)"),
    "birthday": N_("birthday (field name)"),
    "lunar_birthday": N_("lunar_birthday (field name)"),
    "referred_by": N_("referred_by (field name)"),
    "no_sms": N_("no_sms (field name)"),
    # A survey file's columns (domain/surveys.py).
    "date": N_("date (field name)"),
    "score": N_("score (field name)"),
    "comment": N_("comment (field name)"),
    "source": N_("source (field name)"),
    # A delivery report's columns (domain/receipts.py, `export receipts`).
    "status": N_("status (field name)"),
    "action_id": N_("action_id (field name)"),
    # Other text checked for its length and characters (domain/text.py's check_line).
    "event kind": N_("event kind (field name)"),
    "project code": N_("project code (field name)"),
    "project name": N_("project name (field name)"),
    "city": N_("city (field name)"),
    "note": N_("note (field name)"),
    "problem": N_("problem (field name)"),
    "channel": N_("channel (field name)"),
    "milestone kind": N_("milestone kind (field name)"),
    "tag": N_("tag (field name)"),
}


class FieldName(SixPlusTwoError):
    """A field named in a message: in English its code (``signed``), in another language its
    label from :data:`FIELD_NAMES` (签约日期). A code not in the table (an option such as
    ``--profile-consent``) is shown as it is."""

    def __init__(self, code: str) -> None:
        super().__init__(FIELD_NAMES.get(code, code))
        self.code = code

    def render(self, translate=None) -> str:
        if translate is None:
            return self.code
        said = translate(self.msgid)
        return self.code if said == self.msgid else said


def owner_field(name: str) -> Field:
    for field in OWNER_FIELDS:
        if field.name == name:
            return field
    raise KeyError(name)


def input_field(name: str) -> Field:
    """The field an input (an `owner add` option, a file's column) names."""
    for field in OWNER_FIELDS:
        if field.input == name:
            return field
    raise KeyError(name)


def input_fields() -> tuple[Field, ...]:
    """The fields an owner's input (a form, a file's row) may carry, in definition order."""
    return tuple(field for field in OWNER_FIELDS if field.input)


def plain_fields() -> tuple[Field, ...]:
    """Fields beyond the owner's own validation: read, stored and shown by their kind.
    Worked out once per definition (an import asks for every row of a million)."""
    global _plain_cache
    defined, plain = _plain_cache
    if defined is not OWNER_FIELDS:
        plain = tuple(field for field in OWNER_FIELDS if field.is_plain)
        _plain_cache = (OWNER_FIELDS, plain)
    return plain


_plain_cache: tuple[tuple[Field, ...], tuple[Field, ...]] = ((), ())


def header_aliases() -> dict[str, str]:
    """Every header an owner file may use → its input field: the input names (with _ or -)
    and the Chinese headers."""
    aliases: dict[str, str] = {}
    for field in input_fields():
        assert field.input is not None
        for header in field.headers:
            aliases[header] = field.input
        aliases[field.input] = field.input
        aliases[field.input.replace("_", "-")] = field.input
    return aliases


# A flat written over several columns, as 明源 and most sales systems export it: the building
# and the entrance, joined with 房号 into one flat (B-E-R) by the import. Not owner fields.
FLAT_PARTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "building": ("楼栋", ("楼栋", "楼号", "栋号", "楼栋号", "楼幢", "幢号", "building")),
    "entrance": ("单元", ("单元", "单元号", "entrance")),
}


def flat_part_aliases() -> dict[str, str]:
    """The headers of the flat's building and entrance columns → ``building``/``entrance``."""
    return {header: part for part, (_, headers) in FLAT_PARTS.items() for header in headers}


# The owner id column of an update file (``owner import --update``): the key, instead of
# project and unit. Its headers are the id field's, and ``id``.
OWNER_ID = "owner_id"


def owner_id_headers() -> tuple[str, ...]:
    return ("id", *owner_field("id").headers)


def accepted_headers(field: Field) -> tuple[str, ...]:
    """The headers a file may give ``field``: its Chinese ones, then its input name."""
    assert field.input is not None
    return (*field.headers, field.input)


def headers_markdown() -> str:
    """The accepted headers per field as a Markdown table (docs/importing.md's, checked by a
    test)."""
    lines = ["| field | headers read |", "|---|---|"]
    key_headers = ", ".join(owner_id_headers())
    lines.append(f"| owner id (`--update` key) | {key_headers} |")
    for field in input_fields():
        required = " (required)" if field.required else ""
        accepted = ", ".join(accepted_headers(field))
        lines.append(f"| {field.label}{required} | {accepted} |")
        if field.input == "unit":
            for label, headers in FLAT_PARTS.values():
                joined = ", ".join(headers)
                lines.append(f"| {label} (joined into 房号) | {joined} |")
    return "\n".join(lines) + "\n"
