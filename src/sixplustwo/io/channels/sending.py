"""Pacing and retries, shared by every channel.

Each channel is a lane with its service's own limit (so many messages in a sliding window of
seconds: WeCom's 20 a minute a robot). Jobs go out in the order given, a lane that is full
giving way to the next lane's job rather than holding the run up. A job is claimed (the
outbox marks it ``sending`` and commits) just before its request and settled just after. A
rate-limit or server-error answer pauses its lane and the job is tried again with
exponential backoff, as long as that is within the run's deadline; a job whose fate is
unknown (the request went out, no usable answer came) is never tried again here.
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sixplustwo.io.channels import Result

MAX_BACKOFF = 60.0


class Window:
    """At most ``limit`` sends in any ``period`` seconds."""

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self.times: deque[float] = deque()
        self.paused_until = 0.0

    def wait(self, now: float) -> float:
        """Seconds until the lane may send again (0: now)."""
        while self.times and self.times[0] <= now - self.period:
            self.times.popleft()
        pause = max(0.0, self.paused_until - now)
        if len(self.times) < self.limit:
            return pause
        return max(pause, self.times[0] + self.period - now)

    def take(self, now: float) -> None:
        self.times.append(now)


@dataclass
class Job:
    """Messages sent by one request: their outbox keys and the request, given the keys
    that were claimed (``send(keys) -> one Result a key``)."""

    keys: list[str]
    lane: str
    send: Callable[[list[str]], Sequence[Result]]
    attempts: int = 0
    not_before: float = 0.0
    order: int = field(default=0)


@dataclass
class Outcome:
    sent: int = 0
    failed: int = 0
    unknown: int = 0
    left: int = 0  # not tried before the deadline
    skipped: int = 0  # another run had them


def deliver(
    jobs: Sequence[Job],
    lanes: dict[str, Window],
    *,
    deadline: float,
    claim: Callable[[list[str]], list[str]],
    settle: Callable[[str, Result], None],
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """Send every job once (and again after a retriable failure, within ``deadline``)."""
    outcome = Outcome()
    queues: dict[str, deque[Job]] = {}
    for number, job in enumerate(jobs):
        job.order = number
        queues.setdefault(job.lane, deque()).append(job)
    retries: list[Job] = []  # jobs to try again, each not before its time

    def left() -> int:
        return sum(len(job.keys) for queue in queues.values() for job in queue) + sum(
            len(job.keys) for job in retries
        )

    while any(queues.values()) or retries:
        now = clock()
        if now >= deadline:
            outcome.left += left()
            break
        ready, soonest = None, None
        for job in retries:
            delay = max(job.not_before - now, lanes[job.lane].wait(now))
            if delay <= 0:
                ready = job
                retries.remove(job)
                break
            soonest = delay if soonest is None else min(soonest, delay)
        if ready is None:
            for lane, queue in queues.items():
                if not queue:
                    continue
                delay = lanes[lane].wait(now)
                if delay <= 0:
                    ready = queue.popleft()
                    break
                soonest = delay if soonest is None else min(soonest, delay)
        if ready is None:
            if now + (soonest or 0) >= deadline:
                outcome.left += left()
                break
            sleep(min(soonest or 0.01, max(deadline - now, 0.0)))
            continue
        keys = claim(ready.keys)
        outcome.skipped += len(ready.keys) - len(keys)
        if not keys:
            continue
        lanes[ready.lane].take(now)
        ready.attempts += 1
        results = list(ready.send(keys))
        again: list[str] = []
        pause = 0.0
        for key, result in zip(keys, results, strict=True):
            settle(key, result)
            if result.ok:
                outcome.sent += 1
            elif result.unknown:
                outcome.unknown += 1
            elif result.retry_after is not None:
                again.append(key)
                pause = max(pause, result.retry_after)
            else:
                outcome.failed += 1
        if again:
            backoff = min(MAX_BACKOFF, 2.0 ** (ready.attempts - 1)) * (0.8 + 0.4 * random.random())
            delay = max(pause, backoff)
            after = clock() + delay
            lanes[ready.lane].paused_until = max(lanes[ready.lane].paused_until, after)
            if after < deadline:
                ready.keys, ready.not_before = again, after
                retries.append(ready)
            else:
                outcome.failed += len(again)
    return outcome
