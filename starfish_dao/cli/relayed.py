"""Acting through relays: sign once, send to the first relay that answers, wait until mined.

An action signed once is valid at any relay (the nonce is the member's), so a relay that is down,
refuses to serve, or hangs is routed around: the next URL gets the very same signed action, and the
contract makes sure it takes effect at most once.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starfish_dao.cli.common import SENT, console, err, fail
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


def send(
    urls: list[str], account: Any, action: str, tolerate: str | None = None, quiet: bool = False, **fields: Any
) -> dict[str, Any]:
    """Signs `action` (unless it needs no signature) and has the first willing relay carry it out.
    A refusal or failure naming the error `tolerate` means the action's effect is already on chain
    (a copied commitment, say): `{"status": "already"}` is returned instead of failing. With `quiet`
    (--json) the progress lines go to stderr, so that stdout is the JSON alone."""
    from starfish_dao.relay.client import RelayClient, RelayError

    say = err if quiet else console

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
        # its id is said if the wait is interrupted (Ctrl-C), with how to follow it; --json has the hashes
        say.print(f"the relay at {url} accepted the {action}; waiting until it is mined", highlight=False)

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
        say.print("already on chain through an earlier relay (its nonce is used)")
    else:
        say.print(f"mined in block {state['block']}; the relay paid the gas", highlight=False)
    return state


@functools.lru_cache(maxsize=4)
def _reader(rpc: str | None, deployments: Path | None, relay_url: str | None) -> Any | None:
    """The DAO the relay serves, on a chain this machine reads without starting anything (--rpc,
    $STARFISH_RPC_URL, or the managed anvil while it runs) and with this machine's manifest for it;
    None when there is none, or when it is another chain or another DAO than the relay's."""
    from starfish_dao.chain.backends import AnvilNode
    from starfish_dao.chain.client import Starfish
    from starfish_dao.chain.deployment import Deployment
    from starfish_dao.cli.common import chain
    from starfish_dao.relay.client import RelayClient

    if not (rpc or os.environ.get("STARFISH_RPC_URL") or AnvilNode.default().running()):
        return None
    try:
        w3 = chain(rpc).w3
        sf = Starfish(w3, Deployment.load(int(w3.eth.chain_id), deployments))
        if relay_url:
            info = RelayClient(relay_url, timeout=10).info()
            ours = {role: str(where).lower() for role, where in sf.deployment.addresses.items()}
            theirs = {role: str(where).lower() for role, where in dict(info.get("contracts") or {}).items()}
            if int(info["chainId"]) != sf.deployment.chain_id or any(theirs.get(r) != a for r, a in ours.items()):
                return None
        return sf
    except Exception:  # noqa: BLE001 - no node, no manifest, no answer: the relay's own word is used
        return None


def mined_event(
    state: dict[str, Any], role: str, event: str, rpc: str | None, deployments: Path | None, **match: Any
) -> dict[str, Any] | None:
    """The arguments of the `event` of contract `role` that the relayed action emitted (those in
    `match` equal), read from its mined receipt on the chain; when an earlier relay carried it out
    (no hash), from the DAO's logs. None when this machine cannot read the chain."""
    from web3.logs import DISCARD

    sf = _reader(rpc, deployments, state.get("relay"))
    if sf is None:
        return None
    contract = sf.contracts[role]
    try:
        kind = getattr(contract.events, event)()
        if state.get("txHash"):
            logs = kind.process_receipt(sf.w3.eth.get_transaction_receipt(state["txHash"]), errors=DISCARD)
        else:
            logs = kind.get_logs(argument_filters=match, from_block=sf.deployment.deploy_block)
    except Exception:  # noqa: BLE001 - no such event in this build, or the node forgot it: the relay's word
        return None
    found = [dict(log["args"]) for log in logs if str(log["address"]).lower() == contract.address.lower()
             and all(log["args"][key] == value for key, value in match.items())]  # fmt: skip
    return found[-1] if found else None


def relay_view(url: str, block: int | None, read: Callable[[Any], dict[str, Any]], timeout: float = 15
               ) -> dict[str, Any] | None:  # fmt: skip
    """What `read` (given a RelayClient) answers once the relay has read the block the action was
    mined in (its views follow the chain a moment behind); None when it cannot tell."""
    from starfish_dao.relay.client import RelayClient, RelayError

    client = RelayClient(url, timeout=10)
    deadline = time.monotonic() + timeout
    try:
        while block is not None and int(client.info().get("indexedBlock") or 0) < block:
            if time.monotonic() > deadline:
                return None
            time.sleep(0.2)
        return dict(read(client))
    except (RelayError, ValueError, TypeError):
        return None
