"""`/v1/reminders`: a member's own reminder webhook, set with a signed message
(`served/member_hooks.py`; the CLI's `starfish remind set`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from starfish_dao.relay.routes.deps import RelayDep
from starfish_dao.relay.served import member_hooks

reminders = APIRouter(prefix="/v1/reminders", tags=["reminders"])


class MemberWebhookBody(BaseModel):
    member: str
    kind: str
    url: str  # "" removes the member's webhook
    issuedAt: int
    signature: str


@reminders.post(
    "/webhook",
    summary="Send a member's reminders to their own webhook (a signed MemberWebhook message; no gas)",
)
def set_webhook(body: MemberWebhookBody, relay: RelayDep) -> dict[str, Any]:
    # a plain def: FastAPI runs it in its thread pool, so the URL's DNS lookup never waits on the event loop
    return member_hooks.accept(relay, body.model_dump())
