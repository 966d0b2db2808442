"""A large file read and validated in a second process while this one writes to the database.

A million-row import spends ~7 s of Python reading and checking rows and ~7 s in SQLite
inserting them; on two cores the two overlap when the rows come from a forked child through a
pipe, in marshalled batches (~1 µs a row each side). Only where ``fork`` exists (Linux, macOS
when asked): elsewhere, and for small files, the rows are read in this process as usual.

The child never outlives the import: it closes its copy of the pipe's reading end (so that a
parent gone for any reason breaks its pipe: it stops on the next batch it sends), on Linux
it asks the kernel to kill it when its parent dies (PR_SET_PDEATHSIG, for a parent killed
with SIGKILL while the child reads), and the parent stops and reaps it when interrupted
(Ctrl-C) or terminated (SIGTERM, turned into an exit that unwinds the import's transaction).
"""

from __future__ import annotations

import gc
import marshal
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import suppress
from itertools import islice
from typing import Generic, TypeVar

from sixplustwo.domain.errors import InvalidInput, SixPlusTwoError

Item = TypeVar("Item")
_BATCH = 5000
_AHEAD = 40  # batches taken off the pipe ahead of the writer (~20 MB): four 50,000-row windows
_END = b"end"


_MARSHALLED, _PICKLED = b"m", b"p"


def _dumps(batch: list) -> bytes:
    """A batch as bytes: by ``marshal`` when it holds only rows of plain values (the usual
    batch: ~20% faster to write and read than pickle at a million rows, measured), else (a
    problem among them) by ``pickle``; the first byte says which. Both ends are this
    program, the same Python: marshal's format needs no more."""
    try:
        return _MARSHALLED + marshal.dumps(batch)
    except ValueError:  # an object marshal does not write (a problem: InvalidInput)
        return _PICKLED + pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL)


def _loads(data: bytes) -> object:
    view = memoryview(data)[1:]
    return marshal.loads(view) if data[:1] == _MARSHALLED else pickle.loads(view)


def _widen(pipe) -> None:
    """Let the pipe hold a whole batch (~600 kB; Linux's default is 64 kB): the child then
    writes it at once, and the taker reads it in one call. In 64 kB pieces, each of the
    taker's reads had to win back the interpreter lock from the importing thread (held up to
    5 ms at a time by a loop in Python, the server's COPY), while the child waited. Where the
    size cannot be set (not Linux, a lower limit), the pipe stays as it is."""
    with suppress(AttributeError, OSError):
        import fcntl

        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)


_PIPE_BYTES = 1 << 20  # Linux's limit for an unprivileged process (fs.pipe-max-size)


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
        _widen(self._receiver)
        self._child = context.Process(
            target=_produce,
            args=(items, sender, self._receiver, os.getpid()),
            name="sixplustwo-reader",
            daemon=True,
        )
        self._arrived: queue.Queue[bytes | None] = queue.Queue(maxsize=_AHEAD)
        self._taker: threading.Thread | None = None
        self._previous_sigterm = _exit_on_sigterm()
        self._child.start()
        sender.close()

    def __iter__(self) -> Iterator[Item]:
        for batch in self.batches():
            yield from batch

    def batches(self) -> Iterator[list[Item]]:
        """The items a list at a time, as the child sent them (5,000 to a list): a writer
        that takes them so skips a step per item (a million at a time)."""
        # No cyclic garbage collection while the rows come in, as in the child: a million
        # received tuples (no cycles) set off collections that cost a fifth of reading them.
        collecting = gc.isenabled()
        gc.disable()
        # A thread takes the batches off the pipe as they come (it waits with the GIL
        # released), so that the child goes on reading while this process writes: the pipe
        # alone holds about one batch, and a child that sends a window of rows at once
        # (the bulk import's, in flat order) would otherwise wait for every insert.
        arrived = self._arrived
        self._taker = threading.Thread(target=self._take, name="sixplustwo-taker", daemon=True)
        self._taker.start()
        try:
            while True:
                data = arrived.get()
                if data is None:
                    raise InvalidInput(
                        "{source}: the reading process stopped", source=self._source
                    ) from None
                if data == _END:
                    return
                batch = _loads(data)
                if isinstance(batch, SixPlusTwoError | str):
                    if _names_source(batch, self._source):
                        raise batch  # as the file's reader says it inline
                    raise InvalidInput("{source}: {error}", source=self._source, error=batch)
                yield batch
        finally:
            if collecting:
                gc.enable()

    def _take(self) -> None:
        while True:
            try:
                data = self._receiver.recv_bytes()
            except (EOFError, OSError):  # the child is gone (or the pipe closed by close())
                self._arrived.put(None)
                return
            self._arrived.put(data)
            if data == _END:
                return

    def close(self) -> None:
        if self._child.is_alive():
            self._child.terminate()
        self._child.join(timeout=1)
        if self._child.is_alive():
            self._child.kill()
            self._child.join()
        if self._taker is not None:
            # The child is gone: the taker reads to the pipe's end; room in the queue lets
            # it put what it holds and stop.
            while self._taker.is_alive():
                with suppress(queue.Empty):
                    while True:
                        self._arrived.get_nowait()
                self._taker.join(timeout=0.05)
            self._taker = None
        self._receiver.close()
        if self._previous_sigterm is not None:
            signal.signal(signal.SIGTERM, self._previous_sigterm)
            self._previous_sigterm = None

    def __enter__(self) -> BackgroundRows[Item]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _names_source(error: SixPlusTwoError | str, source: str) -> bool:
    """An error of the file's reader that names the file already (``path=``, as the
    importer's file errors do): the parent raises it unchanged, as the inline reader would."""
    return isinstance(error, SixPlusTwoError) and str(error.params.get("path")) == source


def _terminated(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _exit_on_sigterm():
    """SIGTERM becomes an exit (status 143) that unwinds the import: its transaction rolls
    back and the reader is stopped. The handler it replaces, to put back (None where
    handlers cannot be set: not the main thread)."""
    try:
        return signal.signal(signal.SIGTERM, _terminated)
    except ValueError:
        return None


def _die_with(parent: int) -> None:
    """Ask Linux to SIGKILL this process when its parent dies; stop at once if it has."""
    if sys.platform.startswith("linux"):
        import ctypes

        with suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(0)


_PR_SET_PDEATHSIG = 1


def _produce(items: Iterable[Item], sender, receiver, parent: int) -> None:  # in the child
    receiver.close()  # the parent's end: with it closed here, a dead parent breaks the pipe
    _die_with(parent)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # Ctrl-C reaches the whole process group: the parent handles it and stops this child.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # No cyclic garbage collection here: the rows are tuples of strings (no cycles) and the
    # child ends with the file, while the collections that a million new tuples trigger cost
    # seconds (the reader alone at a million rows: ~12.5 → ~10 s CPU, measured under load).
    gc.disable()
    try:
        iterator = iter(items)
        while batch := list(islice(iterator, _BATCH)):
            sender.send_bytes(_dumps(batch))
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
            data = _PICKLED + pickle.dumps(error)
        except Exception:  # a parameter that does not pickle: its English text
            data = _PICKLED + pickle.dumps(str(error))
        with suppress(OSError):
            sender.send_bytes(data)
    finally:
        sender.close()
        os._exit(0)  # no atexit handlers or finalizers of the parent's copied state
