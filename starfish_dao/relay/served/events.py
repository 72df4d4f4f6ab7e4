"""The event feed: new on-chain events for server-sent-event subscribers (`GET /v1/events`).

Events are kept in one ring buffer that every subscriber reads from with a cursor, and serialized
once (`public_event`: JSON-safe arguments, integers as decimal strings), when a subscriber first
reads them: a relay nobody follows serializes nothing. A new batch wakes each event loop once, not
each subscriber once per event.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import deque
from typing import Any


class Broadcast:
    """Events serialized once into a ring buffer; subscribers follow it with a cursor. Publishing
    wakes each subscribed event loop once (one `call_soon_threadsafe`), whatever the number of
    subscribers on it."""

    def __init__(self, size: int = 1000) -> None:
        # [seq, event, its text once serialized]; an event as decoded (`public` False) or already public
        self.buffer: deque[list[Any]] = deque(maxlen=size)
        self.seq = 0
        self.subscribers = 0
        self._lock = threading.Lock()
        self._wakers: dict[asyncio.AbstractEventLoop, asyncio.Event] = {}

    def publish(self, events: list[dict[str, Any]], public: bool = True) -> None:
        """Appends `events`: decoded logs (`public` False: made public when first read) or public events."""
        if not events:
            return
        with self._lock:
            for event in events:
                self.seq += 1
                self.buffer.append([self.seq, event if public else _Decoded(event), None])
            loops = list(self._wakers)
        for loop in loops:
            try:
                loop.call_soon_threadsafe(self._wake, loop)
            except RuntimeError:  # that loop is closed
                self._wakers.pop(loop, None)

    def _wake(self, loop: asyncio.AbstractEventLoop) -> None:
        old = self._wakers.get(loop)
        self._wakers[loop] = asyncio.Event()
        if old is not None:
            old.set()

    def waker(self) -> asyncio.Event:
        loop = asyncio.get_running_loop()
        with self._lock:
            event = self._wakers.get(loop)
            if event is None:
                event = self._wakers[loop] = asyncio.Event()
        return event

    def since(self, cursor: int) -> tuple[list[str], int, bool]:
        """(texts after `cursor`, the new cursor, whether some were missed: the buffer moved on)."""
        with self._lock:
            items = [item for item in self.buffer if item[0] > cursor]
            for item in items:
                if item[2] is None:
                    event = _public(item[1])
                    item[2] = f"event: {event['event']}\nid: {item[0]}\ndata: {json.dumps(event)}\n\n"
            missed = bool(self.buffer) and self.buffer[0][0] > cursor + 1 and cursor > 0
            return [item[2] for item in items], (items[-1][0] if items else max(cursor, 0)), missed

    def recent(self) -> list[dict[str, Any]]:
        """The events in the buffer, oldest first, as subscribers receive them."""
        with self._lock:
            return [_public(item[1]) for item in self.buffer]

    def cursor_for_replay(self, replay: int) -> int:
        with self._lock:
            return max(0, self.seq - max(0, min(replay, len(self.buffer))))


class _Decoded:
    """A decoded log in the buffer, made public (`public_event`) when first read."""

    __slots__ = ("event",)

    def __init__(self, event: dict[str, Any]) -> None:
        self.event = event


def _public(item: Any) -> dict[str, Any]:
    return public_event(item.event) if isinstance(item, _Decoded) else item


def _json_safe(value: Any) -> Any:
    """An event argument as JSON: bytes as 0x-hex, integers as decimal strings (beyond JavaScript's
    exact range), lists and tuples (a proposal's targets, values and calldatas) element by element."""
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    return value


def public_event(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "contract": event["contract"],
        "event": event["event"],
        "args": {k: _json_safe(v) for k, v in event["args"].items()},
        "block": event["block"],
        "logIndex": event["log_index"],
        "tx": event["tx"],
        "timestamp": event["timestamp"],
    }
