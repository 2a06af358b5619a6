"""Waiting out transient faults within budgets: backoff, Retry-After, the rate floor and the Job's deadline.

Budgets, each a way a fault ends instead of holding the Job: a transfer slower than the rate floor over a window is
dropped and resumed (a 1 byte/s drip would otherwise hold the Job for its whole deadline); a transfer that receives
nothing for `outage_seconds` ends the pod for the Job to retry; `max_failures` faults in one pod end it too; a
Retry-After is honoured when it ends before the Job's deadline, and is a permanent fault, saying so, when it does not.
"""

import random
import threading
import time

from .errors import ExhaustedError, PermanentError, TransientError, log
from .settings import Settings


def backoff(attempt: int, base: float, cap: float) -> float:
    """Seconds before retry `attempt` (1-based): capped exponential with jitter."""
    jitter = 0.5 + random.random() / 2  # spreads the retries of parallel transfers; not security-relevant
    return float(min(cap, base * 2 ** (attempt - 1)) * jitter)


class Run:
    """State shared by the transfers of one pod: bytes done, the failure count, the stop signal, the clock."""

    def __init__(self, s: Settings, total: int = 0, done: int = 0, job_started: float | None = None) -> None:
        self.s, self.total, self.done, self.received = s, total, done, 0
        self.failures = 0
        self.job_started = time.time() if job_started is None else job_started
        """Wall-clock start of the Job (clock.py), from which its activeDeadlineSeconds counts."""
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def add(self, n: int, received: bool = True) -> None:
        """`n` bytes more (fewer, when negative) in place; `received` when they came over the network just now."""
        with self.lock:
            self.done += n
            if received:
                self.received += max(n, 0)

    def fail(self, error: BaseException) -> None:
        """The first permanent or exhausting error wins; every other transfer stops at its next chunk."""
        with self.lock:
            if self.error is None:
                self.error = error
        self.stop.set()

    def deadline_left(self) -> float:
        """Seconds left under the Job's deadline (from this pod's start when the Job's is unknown: an upper bound)."""
        return self.s.deadline_seconds - (time.time() - self.job_started)


class RateFloor:
    """A transfer must average `rate_floor` bytes/s over each `rate_window`; a drip is a transient fault."""

    def __init__(self, s: Settings) -> None:
        self.floor, self.window = s.rate_floor, s.rate_window
        self.mark_time, self.mark_bytes, self.bytes = time.monotonic(), 0, 0

    def received(self, n: int) -> None:
        self.bytes += n
        elapsed = time.monotonic() - self.mark_time
        if elapsed < self.window:
            return
        rate = (self.bytes - self.mark_bytes) / elapsed
        if rate < self.floor:
            raise TransientError(
                f"{rate:.0f} B/s over {elapsed:.0f}s, under the floor of {self.floor:.0f} B/s; reconnecting"
            )
        self.mark_time, self.mark_bytes = time.monotonic(), self.bytes


class Retrier:
    """One transfer's retry loop: backoff grows while nothing arrives and resets on progress."""

    def __init__(self, run: Run, what: str) -> None:
        self.run, self.what = run, what
        self.consecutive = 0
        self.last_progress = time.monotonic()
        self.told = 0.0
        """Seconds slept on the server's Retry-After since the last progress: waiting as told is not an outage."""

    def progressed(self) -> None:
        self.consecutive, self.told = 0, 0.0
        self.last_progress = time.monotonic()

    def wait(self, error: TransientError) -> None:
        """Sleep before the next attempt; ExhaustedError when a budget is spent, PermanentError past the deadline."""
        s = self.run.s
        with self.run.lock:
            self.run.failures += 1
            failures = self.run.failures
        if failures > s.max_failures:
            budget = f"budget {s.max_failures}"
            raise ExhaustedError(f"{failures - 1} transient faults in this pod ({budget}); last: {error}")
        self.consecutive += 1
        stalled = time.monotonic() - self.last_progress - self.told
        if error.retry_after is not None:
            delay, left = error.retry_after, self.run.deadline_left()
            if stalled > s.outage_seconds:
                raise ExhaustedError(
                    f"{self.what}: nothing received for {stalled:.0f}s ({s.outage_seconds:.0f}s budget): {error}"
                )
            if delay >= left:
                raise PermanentError(
                    f"{self.what}: {error}; the Hub asks to wait {delay:.0f}s (Retry-After), past the Job's deadline "
                    f"({left:.0f}s left of {s.deadline_seconds:.0f}s); partial files are kept. Fix: rerun the Job "
                    "after that time (it resumes), or with a token whose rate limit is higher"
                )
        else:
            delay = backoff(self.consecutive, s.backoff_base, s.backoff_cap)
            if stalled + delay > s.outage_seconds:
                budget = f"budget {s.outage_seconds:.0f}s"
                raise ExhaustedError(f"{self.what}: nothing received for {stalled:.0f}s ({budget}): {error}")
        log(f"{self.what}: {error}; retry {self.consecutive} in {delay:.1f}s (fault {failures}/{s.max_failures})")
        self.run.stop.wait(delay)
        if error.retry_after is not None:
            self.told += delay
