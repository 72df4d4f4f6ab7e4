"""Following an action after the fact: `tx HASH` (a transaction sent directly) and `action ID`
(an action a relay accepted). What an interrupted command prints points here."""

from __future__ import annotations

from typing import Annotated

import typer

from starfish_dao.cli import relayed
from starfish_dao.cli.common import JsonOpt, RpcOpt, chain, console, emit, fail, tx_state


def register(app: typer.Typer) -> None:
    app.command("tx")(tx)
    app.command("action")(action)


def tx(
    tx_hash: Annotated[str, typer.Argument(metavar="HASH", help="the transaction's hash (0x and 64 hex digits)")],
    rpc: RpcOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Whether a transaction was mined, and whether it succeeded."""
    text = tx_hash.strip().lower()
    if len(text) != 66 or not text.startswith("0x") or any(c not in "0123456789abcdef" for c in text[2:]):
        fail(f"{tx_hash!r} is not a transaction hash (0x and 64 hex digits)")
    state, sentence = tx_state(chain(rpc).w3, text)
    emit({"tx": text, "state": state}, as_json, lambda: console.print(sentence, highlight=False))


def action(
    action_id: Annotated[str, typer.Argument(metavar="ID", help="the id the relay gave when it accepted the action")],
    relay: Annotated[
        str, typer.Option("--relay", envvar="STARFISH_RELAY_URL", metavar="URL", help="the relay that accepted it")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Where an action a relay accepted is: accepted, sent, mined (block, tx) or failed (why)."""
    from starfish_dao.relay.client import RelayClient, RelayError

    try:
        state = RelayClient(relay).action(action_id)
    except RelayError as exc:
        fail(f"the relay at {relay} cannot tell: {relayed.explain(exc)}")

    def human() -> None:
        status = state.get("status")
        if status == "mined":
            final = "" if state.get("final") else " (not yet final: a few more blocks)"
            console.print(f"action {action_id} was mined in block {state.get('block')} (tx {state.get('txHash')})"
                          f"{final}: it happened", highlight=False)  # fmt: skip
        elif status == "failed":
            console.print(f"action {action_id} failed: {state.get('error')}", highlight=False)
        else:
            tx = f" as tx {state['txHash']}" if state.get("txHash") else ""
            console.print(f"action {action_id} is {status}{tx}, not mined yet: ask again in a moment", highlight=False)

    emit(state, as_json, human)
