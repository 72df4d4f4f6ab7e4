"""Request bodies at a bounded cost: their size, their time to arrive and their structure.

A signed action's body holds about 15 arrays and objects and 40 commas. A 64 KiB body of nested
arrays cost the event loop 52 ms of `json.loads` (issue 24, finding 2), and 32,768 of them nested
raised `RecursionError` (a 500). So before any parser sees a body, its brackets and commas are
counted (`bytes.count`, in C: about 60 µs for 64 KiB): more than `MAX_CONTAINERS` arrays and
objects or `MAX_ITEMS` commas is `400 too_complex`, naming the limit. The per-IP rate is checked
before the body is even read (in the Guard, `edge/guard.py`), so a client over its rate costs no
parse at all; the Guard also limits a body's size and time while it streams (`BodyTooLarge`,
`BodyTooSlow`).
"""

from __future__ import annotations

import json
from typing import Any

from starfish_dao.relay.edge.problems import Refusal

MAX_CONTAINERS = 64  # arrays and objects in one JSON body
MAX_ITEMS = 512  # commas in one JSON body (the members of its arrays and objects)


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"bodies are limited to {limit} bytes")
        self.limit = limit


class BodyTooSlow(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"the body did not arrive within {seconds:g} s")


class TooComplex(Refusal):
    def __init__(self, containers: int, items: int) -> None:
        super().__init__(
            400, "too_complex",
            f"JSON bodies are limited to {MAX_CONTAINERS} arrays and objects and {MAX_ITEMS} commas "
            f"(this one has at least {containers} and {items})",
            {"limit": {"containers": MAX_CONTAINERS, "commas": MAX_ITEMS}},
        )  # fmt: skip


class Shape:
    """Counts a JSON body's brackets and commas as its chunks arrive; refuses past the limits."""

    __slots__ = ("containers", "items")

    def __init__(self) -> None:
        self.containers = 0
        self.items = 0

    def feed(self, chunk: bytes) -> None:
        self.containers += chunk.count(b"[") + chunk.count(b"{")
        self.items += chunk.count(b",")
        if self.containers > MAX_CONTAINERS or self.items > MAX_ITEMS:
            raise TooComplex(self.containers, self.items)


def parse(raw: bytes) -> Any:
    """`raw` as JSON, refused before parsing when it has more structure than any request needs.
    (The standard library's parser, not orjson: big integers stay exact.)"""
    Shape().feed(raw)
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise Refusal(400, "malformed", "the body is not JSON") from None
