"""A daemon thread that runs one job every ``interval`` seconds until stopped: the
background work of ``thbhub serve`` (the public tables' and the insights' refreshers)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable


class Periodic:
    """Runs ``job`` now and then every ``interval`` seconds; a failure is a bug, logged on
    ``log`` with ``failure``, and the next round tries again."""

    def __init__(
        self,
        name: str,
        job: Callable[[], None],
        interval: float,
        log: logging.Logger,
        failure: str,
    ) -> None:
        self._stop = threading.Event()
        self._job, self._interval = job, interval
        self._log, self._failure = log, failure
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._job()
            except Exception:  # a bug: logged, and the next round tries again
                self._log.exception(self._failure)
            self._stop.wait(self._interval)
