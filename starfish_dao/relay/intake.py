"""POST /v1/actions: one handler for the edge's fast path (`http.Guard`) and the FastAPI route, and
request bodies parsed at a bounded cost.

A signed action's body holds about 15 arrays and objects and 40 commas. A 64 KiB body of nested
arrays cost the event loop 52 ms of `json.loads` (issue 24, finding 2), and 32,768 of them nested
raised `RecursionError` (a 500). So before any parser sees a body, its brackets and commas are
counted (`bytes.count`, in C: about 60 µs for 64 KiB): more than `MAX_CONTAINERS` arrays and
objects or `MAX_ITEMS` commas is `400 too_complex`, naming the limit. The per-IP rate is checked
before the body is even read (in the Guard), so a client over its rate costs no parse at all.
"""

from __future__ import annotations

import json
from typing import Any

from starfish_dao.relay.problems import CHAIN_DOWN, Refusal, chain_down, problem_body

MAX_CONTAINERS = 64  # arrays and objects in one JSON body
MAX_ITEMS = 512  # commas in one JSON body (the members of its arrays and objects)


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


async def post_action(relay: Any, raw: bytes, client: str) -> tuple[int, dict[str, Any], list[tuple[bytes, bytes]]]:
    """(status, body, extra headers) for a POST /v1/actions whose client is within its per-IP rate.
    A refusal's body is a problem (the caller sends it as `application/problem+json`)."""
    import logging

    from starfish_dao.relay.problems import scrub

    try:
        try:
            action, new = await relay.accept(parse(raw), client)
        except CHAIN_DOWN as exc:
            raise chain_down(exc) from None
        return (202 if new else 200), {**action.public(), "duplicate": not new}, []
    except Refusal as exc:
        retry = exc.detail.get("retryAfter")
        return exc.status, exc.body(), ([(b"retry-after", str(retry).encode())] if retry is not None else [])
    except Exception as exc:  # noqa: BLE001 - answered, and logged without secrets
        logging.getLogger("starfish.relay").error("internal error: %s", scrub(f"{type(exc).__name__}: {exc}"))
        return 500, problem_body(500, "internal", "the relay failed on this request; it is logged"), []
