"""Logging a background loop's failures once per outage, not once per retry."""

from __future__ import annotations

import logging
import time

REPEAT_EVERY_SECONDS = 30.0


class FailureLog:
    """First failure at ERROR, then a reminder every 30 s while it lasts, recovery at INFO:
    while the database is down the relay and the tail retry every poll interval."""

    def __init__(self, log: logging.Logger, what: str) -> None:
        self.log = log
        self.what = what
        self.count = 0  # all failures, for metrics
        self._since: float | None = None
        self._last_logged = 0.0

    def failed(self, error: BaseException) -> None:
        self.count += 1
        now = time.monotonic()
        if self._since is None:
            self._since = now
        elif now - self._last_logged < REPEAT_EVERY_SECONDS:
            return
        self._last_logged = now
        self.log.error(
            "%s failed (%s: %s); retrying", self.what, error.__class__.__name__, str(error)[:200]
        )

    def succeeded(self) -> None:
        if self._since is not None:
            self.log.info("%s recovered after %.1f s", self.what, time.monotonic() - self._since)
            self._since = None
