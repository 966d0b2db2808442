"""Fault injection for the crash tests, and nothing else.

``SIXPLUSTWO_FAULT=NAME`` makes the process kill itself with SIGKILL when it reaches the step
called NAME (``fault_point("NAME")``), as a power cut or ``kill -9`` would at that moment.
Unset, a step costs one lookup in the environment. The steps are named where they are placed
(``export:…`` in ``cli/export.py`` and ``io/exporting.py``, ``backup:copying`` in
``store/backends/sqlite.py``); ``tests/test_exactly_once.py`` kills the export at each of its
steps, ``tests/test_private_files.py`` a backup and a write transaction midway.
"""

from __future__ import annotations

import os
import signal

FAULT_ENV = "SIXPLUSTWO_FAULT"


def fault_point(name: str) -> None:
    if os.environ.get(FAULT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
