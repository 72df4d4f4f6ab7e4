"""Acting through relays: sign once, send to the first relay that answers, wait until mined.

An action signed once is valid at any relay (the nonce is the member's), so a relay that is down,
refuses to serve, or hangs is routed around: the next URL gets the very same signed action, and the
contract makes sure it takes effect at most once.
"""

from __future__ import annotations

from typing import Any

from starfish_dao.cli.common import SENT, console, fail
from starfish_dao.cli.errors import humanize
from starfish_dao.domain.errors import ContractRevert


def explain(exc: Any) -> str:
    """A relay's refusal in words (its contract error humanized when it names one)."""
    body = getattr(exc, "body", {}) or {}
    name = body.get("contractError")
    if name:
        revert = ContractRevert(str(name), dict(body.get("args") or {}))
        if isinstance(body.get("chainTime"), int):  # deadlines count from the chain's clock, as the relay read it
            revert.chain_time = int(body["chainTime"])
        return humanize(revert)
    return str(body.get("detail") or exc)


def send(urls: list[str], account: Any, action: str, tolerate: str | None = None, **fields: Any) -> dict[str, Any]:
    """Signs `action` (unless it needs no signature) and has the first willing relay carry it out.
    A refusal or failure naming the error `tolerate` means the action's effect is already on chain
    (a copied commitment, say): `{"status": "already"}` is returned instead of failing."""
    from starfish_dao.relay.client import RelayClient, RelayError

    client = RelayClient(urls)
    body: dict[str, Any] | None = None
    unreachable: list[str] = []
    for url in urls:  # the typed data, from the first relay that answers
        client.url = url
        try:
            body = {"action": action, **fields} if account is None else client.signed_body(account, action, **fields)
            break
        except RelayError as exc:
            if exc.code == "tampered":
                fail(f"the relay at {url} changed what you would sign ({exc.body['detail']}): not signing")
            if exc.status in (0, 429) or exc.status >= 500:
                unreachable.append(f"{url}: {explain(exc)}")
                continue
            fail(f"the relay refused the {action}: {explain(exc)}")
    if body is None:
        fail("no relay carried the action out (none answers): " + "; ".join(unreachable),
             "try another relay (--relay URL, repeatable) or send it yourself without --relay")  # fmt: skip

    def accepted(url: str, sent: dict[str, Any]) -> None:
        SENT.relayed.append((url, str(sent["id"]), action))
        console.print(f"accepted by {url}: {sent['id']} (`starfish action {sent['id']} --relay {url}` follows it)")

    SENT.connected, SENT.posting = True, client.url
    try:
        state = client.submit(body, on_accept=accepted)
    except RelayError as exc:
        if exc.code == "no_relay":
            fail(str(exc.body["detail"]),
                 "try another relay (--relay URL, repeatable) or send it yourself without --relay")  # fmt: skip
        if tolerate and tolerate in explain(exc):
            return {"status": "already", "block": None}
        fail(f"the relay refused the {action}: {explain(exc)}")
    if state["status"] == "failed":
        if tolerate and tolerate in str(state.get("error")):
            return {"status": "already", "block": None}
        fail(f"the {action} failed on chain: {state.get('error')}")
    if state.get("elsewhere"):
        console.print("already on chain through an earlier relay (its nonce is used)")
    else:
        console.print(f"mined in block {state['block']} (tx {state['txHash']}); the relay paid the gas")
    return state
