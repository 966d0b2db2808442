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
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from sixplustwo.io.channels import Result

MAX_BACKOFF = 60.0


class Window:
    """At most ``limit`` sends in any ``period`` seconds, ``parallel`` at once."""

    def __init__(self, limit: int, period: float, parallel: int = 1) -> None:
        self.limit = limit
        self.period = period
        self.parallel = parallel  # requests on the lane at once
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
    workers: int = 8,
    clock: Callable[[], float] = time.monotonic,
) -> Outcome:
    """Send every job once (and again after a retriable failure, within ``deadline``).
    Requests run on up to ``workers`` threads (at most a lane's ``parallel`` at once on
    one lane); claims and settlements stay on the calling thread, in order: a request is
    made only after its claim is committed, and settled when its answer is in."""
    outcome = Outcome()
    queues: dict[str, deque[Job]] = {}
    for number, job in enumerate(jobs):
        job.order = number
        queues.setdefault(job.lane, deque()).append(job)
    retries: list[Job] = []  # jobs to try again, each not before its time
    flying: dict[Future, tuple[Job, list[str]]] = {}
    busy: dict[str, int] = {}

    def left() -> int:
        return sum(len(job.keys) for queue in queues.values() for job in queue) + sum(
            len(job.keys) for job in retries
        )

    def landed(job: Job, keys: list[str], results: Sequence[Result]) -> None:
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
            backoff = min(MAX_BACKOFF, 2.0 ** (job.attempts - 1)) * (0.8 + 0.4 * random.random())
            after = clock() + max(pause, backoff)
            lane = lanes[job.lane]
            lane.paused_until = max(lane.paused_until, after)
            if after < deadline:
                job.keys, job.not_before = again, after
                retries.append(job)
            else:
                outcome.failed += len(again)

    def pick(now: float) -> tuple[Job | None, float | None]:
        soonest = None
        for job in retries:
            if busy.get(job.lane, 0) >= lanes[job.lane].parallel:
                continue
            delay = max(job.not_before - now, lanes[job.lane].wait(now))
            if delay <= 0:
                retries.remove(job)
                return job, None
            soonest = delay if soonest is None else min(soonest, delay)
        for lane, queue in queues.items():
            if not queue or busy.get(lane, 0) >= lanes[lane].parallel:
                continue
            delay = lanes[lane].wait(now)
            if delay <= 0:
                return queue.popleft(), None
            soonest = delay if soonest is None else min(soonest, delay)
        return None, soonest

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        while any(queues.values()) or retries or flying:
            for future in [f for f in flying if f.done()]:
                job, keys = flying.pop(future)
                busy[job.lane] -= 1
                landed(job, keys, future.result())
            now = clock()
            ready, soonest = None, None
            if now < deadline and len(flying) < max(1, workers):
                ready, soonest = pick(now)
            if ready is not None:
                keys = claim(ready.keys)
                outcome.skipped += len(ready.keys) - len(keys)
                if keys:
                    lanes[ready.lane].take(now)
                    ready.attempts += 1
                    busy[ready.lane] = busy.get(ready.lane, 0) + 1
                    flying[pool.submit(ready.send, keys)] = (ready, keys)
                continue
            if not flying:
                if now >= deadline or soonest is None or now + soonest >= deadline:
                    outcome.left += left()
                    break
                time.sleep(min(soonest, deadline - now))
                continue
            wait(list(flying), timeout=soonest if soonest is not None else None,
                 return_when=FIRST_COMPLETED)  # fmt: skip
    return outcome
