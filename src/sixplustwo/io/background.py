"""A large file read and validated in a second process while this one writes to the database.

A million-row import spends ~7 s of Python reading and checking rows and ~7 s in SQLite
inserting them; on two cores the two overlap when the rows come from a forked child through a
pipe, in pickled batches (~1 µs a row each side). Only where ``fork`` exists (Linux, macOS
when asked): elsewhere, and for small files, the rows are read in this process as usual.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
from collections.abc import Iterable, Iterator
from contextlib import suppress
from itertools import islice
from typing import Generic, TypeVar

from sixplustwo.domain.errors import InvalidInput, SixPlusTwoError

Item = TypeVar("Item")
_BATCH = 5000
_END = b"end"


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


class BackgroundRows(Generic[Item]):
    """Iterates ``items`` in a forked child, started at once: create it before opening the
    database, so that the child holds no connection. Errors in the child come back as
    InvalidInput naming ``source``. Use as a context manager: leaving it stops the child."""

    def __init__(self, items: Iterable[Item], source: str) -> None:
        context = multiprocessing.get_context("fork")
        self._source = source
        self._receiver, sender = context.Pipe(duplex=False)
        self._child = context.Process(
            target=_produce, args=(items, sender), name="sixplustwo-reader", daemon=True
        )
        self._child.start()
        sender.close()

    def __iter__(self) -> Iterator[Item]:
        while True:
            try:
                data = self._receiver.recv_bytes()
            except EOFError:
                raise InvalidInput(
                    "{source}: the reading process stopped", source=self._source
                ) from None
            if data == _END:
                return
            batch = pickle.loads(data)
            if isinstance(batch, SixPlusTwoError | str):
                raise InvalidInput("{source}: {error}", source=self._source, error=batch)
            yield from batch

    def close(self) -> None:
        if self._child.is_alive():
            self._child.terminate()
        self._child.join()
        self._receiver.close()

    def __enter__(self) -> BackgroundRows[Item]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _produce(items: Iterable[Item], sender) -> None:  # runs in the child
    # Ctrl-C reaches the whole process group: the parent handles it and stops this child.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        iterator = iter(items)
        while batch := list(islice(iterator, _BATCH)):
            sender.send_bytes(pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL))
        sender.send_bytes(_END)
    except BrokenPipeError:
        pass  # the parent stopped reading (it failed, or was interrupted)
    except Exception as exc:  # any failure goes to the parent as an error, one line there
        error = (
            exc
            if isinstance(exc, InvalidInput)
            else InvalidInput("{kind}: {detail}", kind=type(exc).__name__, detail=str(exc))
        )
        try:
            data = pickle.dumps(error)
        except Exception:  # a parameter that does not pickle: its English text
            data = pickle.dumps(str(error))
        with suppress(OSError):
            sender.send_bytes(data)
    finally:
        sender.close()
        os._exit(0)  # no atexit handlers or finalizers of the parent's copied state
