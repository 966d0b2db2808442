"""Fault injection for the crash tests, and nothing else.

``SIXPLUSTWO_FAULT=NAME`` makes the process kill itself with SIGKILL when it reaches the step
called NAME (``fault_point("NAME")``), as a power cut or ``kill -9`` would at that moment.
Unset, a step costs one lookup in the environment. The steps are listed where they are
placed (``cli/export.py``, ``io/exporting.py``); ``tests/test_exactly_once.py`` kills the
export at each of them.
"""

from __future__ import annotations

import os
import signal

FAULT_ENV = "SIXPLUSTWO_FAULT"


def fault_point(name: str) -> None:
    if os.environ.get(FAULT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
