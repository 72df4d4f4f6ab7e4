"""The event feed: new on-chain events for server-sent-event subscribers (`GET /v1/events`).

Events are serialized once (`public_event`: JSON-safe arguments, integers as decimal strings) and
kept in one ring buffer that every subscriber reads from with a cursor; a new batch wakes each event
loop once, not each subscriber once per event.
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
        self.buffer: deque[tuple[int, str]] = deque(maxlen=size)
        self.seq = 0
        self.subscribers = 0
        self._lock = threading.Lock()
        self._wakers: dict[asyncio.AbstractEventLoop, asyncio.Event] = {}

    def publish(self, events: list[dict[str, Any]]) -> None:
        if not events:
            return
        with self._lock:
            for event in events:
                self.seq += 1
                self.buffer.append(
                    (self.seq, f"event: {event['event']}\nid: {self.seq}\ndata: {json.dumps(event)}\n\n")
                )
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
            items = [(seq, text) for seq, text in self.buffer if seq > cursor]
            missed = bool(self.buffer) and self.buffer[0][0] > cursor + 1 and cursor > 0
            return [t for _, t in items], (items[-1][0] if items else max(cursor, 0)), missed

    def cursor_for_replay(self, replay: int) -> int:
        with self._lock:
            return max(0, self.seq - max(0, min(replay, len(self.buffer))))


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
