"""`GET /v1/members/{address}/feed.atom`: what waits for one member, as an Atom feed (RFC 4287) that
any feed reader, or a chat bridge, can follow: the same items as `starfish todo`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Request
from fastapi.responses import Response

from starfish_dao.domain.reminders import reminders, short
from starfish_dao.relay.intake.fields import address_field
from starfish_dao.relay.routers import RelayDep

feed = APIRouter(prefix="/v1/members", tags=["members"])
ATOM = "http://www.w3.org/2005/Atom"


def _time(timestamp: int) -> str:
    return datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
    seen = relay.outbox.first_seen(member, {i.id: now for i in items})
    base = (relay.settings.public_url or str(request.base_url)).rstrip("/")
    chain = relay.sf.deployment.chain_id
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed")

    def add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        element.text = text
        return element

    add(root, "id", f"tag:starfish-dao,2026:{chain}/{member}")
    add(root, "title", f"What waits for {short(member)} in the community (chain {chain})")
    add(root, "updated", _time(max([now, *seen.values()])))
    add(root, "link", rel="self", href=f"{base}/v1/members/{member}/feed.atom")
    add(root, "link", rel="alternate", href=f"{base}/#/member/{member}")
    add(add(root, "author"), "name", "Starfish relay")
    for item in items:
        entry = add(root, "entry")
        add(entry, "id", f"tag:starfish-dao,2026:{chain}/{member}/{item.id}")
        add(entry, "title", item.title)
        add(entry, "updated", _time(seen.get(item.id, now)))
        add(entry, "category", term=item.kind)
        if item.link:
            add(entry, "link", rel="alternate", href=f"{base}/{item.link}")
        add(entry, "content", item.text, type="text")
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return Response(body, media_type="application/atom+xml; charset=utf-8", headers={"Cache-Control": "no-cache"})
