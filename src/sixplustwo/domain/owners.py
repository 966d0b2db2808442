"""Owners as they come in: a sales system's or a butler's fields, validated against the
journey, and laid out as the store keeps them.

Four rooms, their names importable from here as the store, the files and the commands
import them:

- ``owner_input.py``: the input fields, one owner's record checked (``owner_record``), the
  journey's order (``check_journey``);
- ``owner_rows.py``: an owner as the bulk import stores it, and its fast path;
- ``owner_updates.py``: an update file's cells, merged over a stored owner;
- ``surveys.py``: one answer of a satisfaction survey.
"""

from __future__ import annotations

from sixplustwo.domain.owner_input import (
    DATE_COLUMNS,
    DATE_FIELDS,
    PLAIN_TEXT_MAX,
    REQUIRED_FIELDS,
    TEXT_FIELDS,
    TEXT_MAX,
    FieldError,
    OwnerRecord,
    cell_date,
    cell_text,
    check_journey,
    owner_record,
    owner_text,
    parse_flag,
    parse_owner_id,
    plain_value,
)
from sixplustwo.domain.owner_rows import (
    OWNER_VALUE_FIELDS,
    PLAIN_INPUT_FIELDS,
    OwnerValues,
    owner_value_fields,
    owner_values,
    plain_owner_values,
    stored_value,
)
from sixplustwo.domain.owner_updates import KEY_FIELDS, merged_owner, owner_cells
from sixplustwo.domain.surveys import SurveyRow, survey_row

__all__ = [
    "DATE_COLUMNS",
    "DATE_FIELDS",
    "KEY_FIELDS",
    "OWNER_VALUE_FIELDS",
    "PLAIN_INPUT_FIELDS",
    "PLAIN_TEXT_MAX",
    "REQUIRED_FIELDS",
    "TEXT_FIELDS",
    "TEXT_MAX",
    "FieldError",
    "OwnerRecord",
    "OwnerValues",
    "SurveyRow",
    "cell_date",
    "cell_text",
    "check_journey",
    "merged_owner",
    "owner_cells",
    "owner_record",
    "owner_text",
    "owner_value_fields",
    "owner_values",
    "parse_flag",
    "parse_owner_id",
    "plain_owner_values",
    "plain_value",
    "stored_value",
    "survey_row",
]
