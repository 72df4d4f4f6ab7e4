"""What waits for one member, as an Atom feed (RFC 4287) that any feed reader, or a chat bridge,
can follow: the same items as `starfish todo`, each dated when the relay first saw it
(`served/reminder_store.py`). Served at `GET /v1/members/{address}/feed.atom` (`routes/members.py`)."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from starfish_dao.domain.reminders import Reminder, short

ATOM = "http://www.w3.org/2005/Atom"


def _time(timestamp: int) -> str:
    return datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def atom_feed(member: str, items: list[Reminder], seen: dict[str, int], now: int, base: str, chain: int) -> bytes:
    """The feed of `items` for `member` on chain `chain`, its links under `base` (the relay's URL)."""
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
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body
