"""Acting through relays: sign once, send to the first relay that answers, wait until mined.

An action signed once is valid at any relay (the nonce is the member's), so a relay that is down,
refuses to serve, or hangs is routed around: the next URL gets the very same signed action, and the
contract makes sure it takes effect at most once.
"""

from __future__ import annotations

from typing import Any

from starfish_dao.cli.common import console, fail
from starfish_dao.cli.errors import humanize
from starfish_dao.domain import typed_data as td
from starfish_dao.domain.errors import ContractRevert


def explain(exc: Any) -> str:
    """A relay's refusal in words (its contract error humanized when it names one)."""
    body = getattr(exc, "body", {}) or {}
    name = body.get("contractError")
    if name:
        return humanize(ContractRevert(str(name), dict(body.get("args") or {})))
    return str(body.get("detail") or exc)


def send(urls: list[str], account: Any, action: str, **fields: Any) -> dict[str, Any]:
    """Signs `action` (unless it needs no signature) and has the first willing relay carry it out."""
    from starfish_dao.relay.client import RelayClient, RelayError

    body: dict[str, Any] | None = None
    unreachable: list[str] = []
    for url in urls:
        client = RelayClient(url)
        try:
            if body is None:
                if account is None:
                    body = {"action": action, **fields}
                else:
                    data = client.typed_data(action, account.address, **fields)
                    for name, value in fields.items():
                        if str(data["message"].get(name)).lower() != str(value).lower():
                            fail(f"the relay at {url} changed {name} in what you would sign: not signing")
                    if data["message"].get(td.signer_field(action)) != account.address:
                        fail(f"the relay at {url} named another signer: not signing")
                    signature = account.sign_message(td.signable(data)).signature
                    body = {"action": action, "typedData": data, "signature": "0x" + bytes(signature).hex()}
            sent = client.send(body)
        except RelayError as exc:
            if exc.status in (0, 429) or exc.status >= 500:
                unreachable.append(f"{url}: {explain(exc)}")
                continue
            fail(f"the relay refused the {action}: {explain(exc)}")
        console.print(f"accepted by {url}: {sent['id']}")
        state = client.wait(sent["id"])
        if state["status"] == "mined":
            console.print(f"mined in block {state['block']} (tx {state['txHash']}); the relay paid the gas")
            return state
        if state["status"] == "failed":
            fail(f"the {action} failed on chain: {state.get('error')}")
        unreachable.append(f"{url}: accepted but not mined in time")
    fail("no relay carried the action out: " + "; ".join(unreachable),
         "try another relay (--relay URL, repeatable) or send it yourself without --relay")  # fmt: skip
