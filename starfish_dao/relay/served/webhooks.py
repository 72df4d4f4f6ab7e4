"""One reminder as each receiver accepts it: a generic JSON webhook (signed), Matrix, Discord, ntfy.

Every delivery carries a delivery id (`X-Starfish-Delivery`; Matrix's transaction id, so Matrix
itself drops a repeat): a receiver that saw it already may ignore it."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from starfish_dao.relay.settings import Webhook

SIGNATURE = "X-Starfish-Signature"  # "sha256=" + hex HMAC-SHA256 of the raw body with the hook's secret
DELIVERY = "X-Starfish-Delivery"


def delivery_id(hook: str, member: str, item: str) -> str:
    return hashlib.sha256(f"{hook}\n{member}\n{item}".encode()).hexdigest()[:32]


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _link(item: dict[str, Any], public_url: str | None) -> str | None:
    return f"{public_url.rstrip('/')}/{item['link']}" if public_url and item.get("link") else None


def request_for(hook: Webhook, item: dict[str, Any], delivery: str, public_url: str | None) -> dict[str, Any]:
    """The keyword arguments of `requests.request` that deliver `item` to `hook`."""
    link = _link(item, public_url)
    text = item["text"] + (f"\n{link}" if link else "")
    headers = {DELIVERY: delivery, "User-Agent": "starfish-relay"}
    if hook.kind == "json":
        assert hook.secret is not None  # checked when the notifier starts
        body = json.dumps({**item, "delivery": delivery, "link": link or item.get("link")}, sort_keys=True).encode()
        headers |= {"Content-Type": "application/json", SIGNATURE: sign(hook.secret.get_secret_value(), body)}
        return {"method": "POST", "url": hook.url, "data": body, "headers": headers}
    if hook.kind == "discord":  # https://discord.com/developers/docs/resources/webhook#execute-webhook
        content = f"**{item['title']}**\n{text}"[:2000]
        payload = {"content": content, "allowed_mentions": {"parse": []}}
        return {"method": "POST", "url": hook.url, "json": payload, "headers": headers}
    if hook.kind == "matrix":  # PUT /_matrix/client/v3/rooms/{room}/send/m.room.message/{txnId}
        assert hook.token is not None
        headers["Authorization"] = f"Bearer {hook.token.get_secret_value()}"
        payload = {"msgtype": "m.text", "body": f"{item['title']}\n{text}"}
        return {"method": "PUT", "url": f"{hook.url.rstrip('/')}/{delivery}", "json": payload, "headers": headers}
    # ntfy: JSON publishing to the server's root names the topic (UTF-8 titles, unlike its headers)
    parts = urlsplit(hook.url)
    prefix, _, topic = parts.path.rstrip("/").rpartition("/")  # a server under a path keeps it: /ntfy/topic
    payload = {"topic": topic, "title": item["title"], "message": item["text"], "tags": ["starfish"]}
    if link:
        payload["click"] = link
    if hook.token is not None:
        headers["Authorization"] = f"Bearer {hook.token.get_secret_value()}"
    root = urlunsplit((parts.scheme, parts.netloc, prefix + "/", "", ""))
    return {"method": "POST", "url": root, "json": payload, "headers": headers}


def deliver(hook: Webhook, item: dict[str, Any], delivery: str, public_url: str | None, timeout: float) -> None:
    """Sends it; raises with the reason when the receiver did not answer 2xx."""
    answer = requests.request(**request_for(hook, item, delivery, public_url), timeout=timeout, allow_redirects=False)
    if not 200 <= answer.status_code < 300:
        raise RuntimeError(f"HTTP {answer.status_code} {answer.reason}")
