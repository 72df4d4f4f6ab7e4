"""Locks by key on the event loop: the accept path holds one per conflict key of an action, so two
actions that conflict are checked one after the other.

Written for the common case, one action and no contention: `hold(keys)` takes every free key at once
without creating a lock, a future or a task switch (an `asyncio.Lock` per key under an
`AsyncExitStack` of generator context managers cost ~3 % of the accepting loop's CPU). A key that is
held is waited for in arrival order; keys are taken in one sorted order, so two holders never wait
for each other."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Iterable
from types import TracebackType


class KeyedLocks:
    """One FIFO lock per key, forgotten when nobody holds or waits for it (`held` is then empty)."""

    def __init__(self) -> None:
        self.held: dict[str, deque[asyncio.Future[None]]] = {}  # a held key -> its waiters, oldest first

    def hold(self, keys: Iterable[str | None]) -> Holding:
        """`async with locks.hold(keys):` holds every key (None ignored, duplicates once)."""
        return Holding(self, sorted({k for k in keys if k is not None}))

    async def _wait_for(self, key: str) -> None:
        """Waits until the holder of `key` (held now) hands it over."""
        waiters = self.held[key]
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiters.append(future)
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():  # handed the key, then cancelled: pass it on
                self._release(key)
            else:  # still waiting (unless a release already skipped it as done)
                with contextlib.suppress(ValueError):
                    waiters.remove(future)
            raise

    def _release(self, key: str) -> None:
        waiters = self.held[key]
        while waiters:
            future = waiters.popleft()
            if not future.done():
                future.set_result(None)  # the key passes to the oldest waiter, still held
                return
        del self.held[key]


class Holding:
    """The keys of one `hold`, taken in order on entry and all released on exit."""

    __slots__ = ("_keys", "_locks", "_taken", "waited")

    def __init__(self, locks: KeyedLocks, keys: list[str]) -> None:
        self._locks, self._keys, self._taken = locks, keys, 0
        self.waited = False  # whether a key was held by another when asked for (the holder awaited)

    async def __aenter__(self) -> None:
        try:
            for key in self._keys:
                if key in self._locks.held:
                    self.waited = True
                    await self._locks._wait_for(key)
                else:  # free: taken without a coroutine switch
                    self._locks.held[key] = deque()
                self._taken += 1
        except BaseException:
            self._release()
            raise

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._release()

    def _release(self) -> None:
        for key in reversed(self._keys[: self._taken]):
            self._locks._release(key)
        self._taken = 0
