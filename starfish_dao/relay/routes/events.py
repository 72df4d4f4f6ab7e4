"""`/v1/events`: server-sent events of new on-chain activity, from the relay's event feed
(`served/events.py`), at most `max_sse_clients` streams at once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from starfish_dao.relay.edge.problems import Refusal
from starfish_dao.relay.routes.deps import RelayDep

events = APIRouter(prefix="/v1/events", tags=["events"])


@events.get("", summary="Server-sent events of new on-chain activity")
async def stream(relay: RelayDep, replay: int = 0) -> StreamingResponse:
    feed = relay.state.feed
    if feed.subscribers >= relay.settings.max_sse_clients:
        raise Refusal(503, "busy", f"this relay serves at most {relay.settings.max_sse_clients} event streams",
                      {"retryAfter": 30})  # fmt: skip
    cursor = feed.cursor_for_replay(replay) if replay > 0 else feed.seq
    feed.subscribers += 1

    async def body() -> AsyncIterator[str]:
        nonlocal cursor
        try:
            backlog, cursor, _ = feed.since(cursor)  # the replay first, then live events
            yield "".join(backlog) + ": connected\n\n"
            while True:
                waker = feed.waker()
                texts, cursor, missed = feed.since(cursor)
                if missed:
                    yield "event: Gap\ndata: {}\n\n"  # this client fell behind: reload what it shows
                if texts:
                    yield "".join(texts)
                    continue
                try:
                    await asyncio.wait_for(waker.wait(), timeout=15)
                except TimeoutError:
                    yield f": keep-alive {int(time.time())}\n\n"
        finally:
            feed.subscribers -= 1

    return StreamingResponse(body(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
