"""Every part of the relay watched once a second: a thread that ended or a child process that
exited (a bug, a `BaseException`, `kill -9`, the OOM killer) is started again and the event logged,
and `health` names each part that is not working, for `/v1/info`.

Nothing a part held is lost when it dies: the chain checks answer every waiter of their batch
whatever happens (`runtime/batching.py`), and what the submitter had not sent is in the queue on
disk, which the new submitter reads first (its lock file keeps it to one per queue).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("starfish.relay")


class Loop:
    """One thread running `target(*args)`: `alive` until it ends; `revive` starts it again."""

    def __init__(self, target: Callable[..., Any], name: str, *args: Any) -> None:
        self.target, self.name, self.args = target, name, args
        self.thread = self._spawn()

    def _spawn(self) -> threading.Thread:
        thread = threading.Thread(target=self.target, args=self.args, name=self.name, daemon=True)
        thread.start()
        return thread

    @property
    def alive(self) -> bool:
        return self.thread.is_alive()

    def revive(self) -> None:
        if not self.thread.is_alive():
            self.thread = self._spawn()

    def join(self, timeout: float | None = None) -> None:
        self.thread.join(timeout)


@dataclass
class Part:
    """A part of the relay: whether it works (`working`), and, for one that runs on its own (a
    thread, a process), whether it still runs and how to start it again."""

    name: str
    working: Callable[[], bool]
    alive: Callable[[], bool] | None = None
    revive: Callable[[], None] | None = None


class Supervisor:
    """Looks at every part each `interval` seconds and starts again what stopped running."""

    def __init__(self, parts: list[Part], interval: float = 1.0) -> None:
        self.parts = parts
        self.interval = interval
        self.restarts: dict[str, int] = {p.name: 0 for p in parts}
        self._stop = threading.Event()
        self._loop: Loop | None = None

    def start(self) -> None:
        self._loop = Loop(self._run, "supervisor")

    def stop(self) -> None:
        """First of all the relay's parts: a part being stopped is not a part that died."""
        self._stop.set()
        if self._loop is not None:
            self._loop.join(5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.look()

    def look(self) -> None:
        for part in self.parts:
            if part.alive is None or part.revive is None or self._stop.is_set():
                continue
            try:
                if part.alive():
                    continue
                self.restarts[part.name] += 1
                log.error("the relay's %s stopped running; starting it again (restart %d)", part.name,
                          self.restarts[part.name])  # fmt: skip
                part.revive()
            except Exception as exc:  # noqa: BLE001 - the next look tries again
                log.error("the relay's %s could not be started again: %s", part.name, type(exc).__name__)

    def health(self) -> dict[str, bool]:
        """Each part: working (and, if it runs on its own, running)."""
        out = {}
        for part in self.parts:
            try:
                out[part.name] = bool(part.working()) and (part.alive is None or part.alive())
            except Exception:  # noqa: BLE001 - a part that cannot say is not working
                out[part.name] = False
        return out
