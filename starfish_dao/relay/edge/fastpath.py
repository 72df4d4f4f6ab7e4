"""POST /v1/actions: one handler for the server's own path (`edge/wire.py`), the Guard's fast path
(`edge/guard.py`) and the FastAPI route of the same path (`routes/actions.py`, in the OpenAPI schema).

The Guard serves this path itself, without the framework's routing, dependency and middleware
layers (a third of the CPU an action cost); the route calls the same `post_action`, so a fix to
one is a fix to both.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.types import Send

from starfish_dao.relay.edge.bodies import parse
from starfish_dao.relay.edge.problems import CHAIN_DOWN, Refusal, chain_down, problem_body
from starfish_dao.relay.edge.redaction import scrub

log = logging.getLogger("starfish.relay")


async def post_action(relay: Any, raw: bytes, client: str) -> tuple[int, dict[str, Any], list[tuple[bytes, bytes]]]:
    """(status, body, extra headers) for a POST /v1/actions whose client is within its per-IP rate.
    A refusal's body is a problem (the caller sends it as `application/problem+json`)."""
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
        log.error("internal error: %s", scrub(f"{type(exc).__name__}: {exc}"))
        return 500, problem_body(500, "internal", "the relay failed on this request; it is logged"), []


async def action_response(relay: Any, client: str, body: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """(status, headers, body) of the answer to a POST /v1/actions."""
    status, payload, headers = await post_action(relay, body, client)
    data = json.dumps(payload).encode()
    media = b"application/json" if status < 400 else b"application/problem+json"
    headers += [(b"content-type", media), (b"content-length", str(len(data)).encode())]
    return status, headers, data


async def answer_action(relay: Any, client: str, body: bytes, send: Send) -> None:
    """The Guard's answer to a POST /v1/actions, written to the ASGI `send` directly."""
    status, headers, data = await action_response(relay, client, body)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})
