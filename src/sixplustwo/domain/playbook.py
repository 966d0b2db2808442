"""The playbook: the 6+2 steps' rules, with anchors, offsets, grace, titles and SMS templates.

The default lives in ``default_playbook.toml`` beside this file; a company may override any
rule's offsets, grace, title and template with a TOML file of the same shape.

Three rooms, their names importable from here as the store and the commands import them:

- ``playbook_data.py``: the playbook as data (steps, anchors, rules, settings, tiers);
- ``playbook_reading.py``: read from TOML, the default and a company's overrides;
- ``playbook_writing.py``: written out, as TOML to edit and as docs/playbook.md's table.
"""

from __future__ import annotations

from sixplustwo.domain.playbook_data import (
    ANCHORS,
    DEFAULT_TIERS,
    MULTI_ACTION_ANCHORS,
    PERIODIC_ANCHORS,
    STEP_CODES,
    STEP_MINDSETS,
    Completion,
    Playbook,
    Rule,
    Settings,
    Subject,
    Tier,
    checked_steps,
    membership_tier,
)
from sixplustwo.domain.playbook_reading import (
    SETTLEMENTS,
    PlaybookError,
    default_playbook,
    parse_playbook,
    template_warnings,
)
from sixplustwo.domain.playbook_writing import ANCHOR_TEXT, playbook_markdown, playbook_toml

__all__ = [
    "ANCHORS",
    "ANCHOR_TEXT",
    "DEFAULT_TIERS",
    "MULTI_ACTION_ANCHORS",
    "PERIODIC_ANCHORS",
    "SETTLEMENTS",
    "STEP_CODES",
    "STEP_MINDSETS",
    "Completion",
    "Playbook",
    "PlaybookError",
    "Rule",
    "Settings",
    "Subject",
    "Tier",
    "checked_steps",
    "default_playbook",
    "membership_tier",
    "parse_playbook",
    "playbook_markdown",
    "playbook_toml",
    "template_warnings",
]
