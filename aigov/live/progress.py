"""Progress of a live scan as plain lines, for CI logs where a progress bar cannot be drawn.

A scan whose standard error is not a terminal (a CI job, a cron mail) prints
one line when a phase starts, then one at least every ``interval`` seconds
while it runs, and one when it ends, so a long scan never looks hung::

    aigov: reading accounts, workspaces and policy states: 3/5 subscriptions, 41/120 accounts done (20 s)

A subscription is done when every call the scan makes for it (its accounts'
deployments and metrics, its Azure ML workspaces' endpoints, its policy
states) has answered or failed.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Final, TextIO

DEFAULT_INTERVAL: Final = 10.0
"""Seconds between two progress lines at most (the CI requirement: a line every 10 s)."""


class ProgressLines:
    """Prints a phase's progress to ``stream`` from a background thread; use as a context manager.

    ``clock`` gives the seconds shown as elapsed (injectable for tests).
    """

    def __init__(
        self,
        stream: TextIO,
        label: str,
        subscriptions: Iterable[str],
        accounts: int,
        *,
        interval: float = DEFAULT_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if interval <= 0:
            raise ValueError("the progress interval must be positive")
        self._stream = stream
        self._label = label
        self._interval = interval
        self._clock = clock
        self._pending: Counter[str] = Counter(subscriptions)  # subscription -> jobs not done
        self._subscriptions = len(self._pending)
        self._accounts = accounts
        self._accounts_done = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._started = clock()
        self._thread = threading.Thread(target=self._tick, name="aigov-progress", daemon=True)

    def __enter__(self) -> ProgressLines:
        self._print()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._print()

    def done(self, subscription: str, *, account: bool) -> None:
        """One job of ``subscription`` finished (an account's, when ``account``)."""
        with self._lock:
            if self._pending[subscription] > 0:
                self._pending[subscription] -= 1
            if account:
                self._accounts_done += 1

    def line(self) -> str:
        """The current progress line (without a newline)."""
        with self._lock:
            subs_done = sum(1 for left in self._pending.values() if left == 0)
            accounts_done = self._accounts_done
        elapsed = max(0.0, self._clock() - self._started)
        return (
            f"aigov: {self._label}: {subs_done}/{self._subscriptions} subscriptions, "
            f"{accounts_done}/{self._accounts} accounts done ({elapsed:.0f} s)"
        )

    def _tick(self) -> None:
        while not self._stop.wait(self._interval):
            self._print()

    def _print(self) -> None:
        text = self.line()
        try:
            self._stream.write(text + "\n")
            self._stream.flush()
        except (OSError, ValueError):
            # A closed or broken stderr must not fail the scan: progress is a courtesy.
            pass
