"""`GET /v1/members/{address}/feed.atom`: what waits for one member, as an Atom feed (`served/atom.py`)
that any feed reader, or a chat bridge, can follow: the same items as `starfish todo`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from starfish_dao.domain.reminders import reminders
from starfish_dao.relay.intake.fields import address_field
from starfish_dao.relay.routers import RelayDep
from starfish_dao.relay.served.atom import atom_feed

feed = APIRouter(prefix="/v1/members", tags=["members"])


@feed.get("/{address}/todo", summary="What waits for one member, as `starfish todo` lists it (JSON, for the page)")
def member_todo(address: str, relay: RelayDep) -> dict[str, Any]:
    member = address_field(address, "address")
    now = relay.sf.now()
    with relay.state.lock:
        items = reminders(relay.state.model, member, now, relay.sf.deployment.addresses)
    return {"member": member, "chainTime": now, "items": [i.as_json() for i in items]}


@feed.get(
    "/{address}/feed.atom",
    summary="What waits for one member (work to review, pay to claim, votes, proposals about them), as Atom",
    response_class=Response,
    responses={200: {"content": {"application/atom+xml": {}}}},
)
def member_feed(address: str, request: Request, relay: RelayDep) -> Response:
    member = address_field(address, "address")
    now = relay.sf.now()
    with relay.state.lock:
        items = reminders(relay.state.model, member, now, relay.sf.deployment.addresses)
    seen = relay.reminders.first_seen(member, {i.id: now for i in items})
    base = (relay.settings.public_url or str(request.base_url)).rstrip("/")
    body = atom_feed(member, items, seen, now, base, relay.sf.deployment.chain_id)
    return Response(body, media_type="application/atom+xml; charset=utf-8", headers={"Cache-Control": "no-cache"})
