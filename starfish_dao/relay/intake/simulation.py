"""What a simulation of an action says: the node's answer to an `eth_call` (or to `eth_simulateV1`
after the pending actions it conflicts with) read as success, or as the refusal that names the
contract's error (`nonce_used`, `expired`, `would_revert`, `gas_cap`, `conflicts_with_pending`).
Pure: the caller asks the node, in its batch (`intake/chain_check.py`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starfish_dao.chain.errors import decode_revert
from starfish_dao.relay.edge.problems import Refusal
from starfish_dao.relay.intake.checked import Checked


def call_params(relayer: str, checked: Checked) -> dict[str, str]:
    """The action's transaction as the relayer will send it, with its gas limit."""
    return {"from": relayer, "to": checked.to, "data": "0x" + checked.data.hex(), "gas": hex(checked.gas)}


def check_outcome(checked: Checked, answer: dict[str, Any], chain_time: Callable[[], int]) -> None:
    """Refuses the action when its simulation (`answer`, one JSON-RPC answer) failed. `chain_time`
    is the chain's time of the check, told with a contract's error."""
    if "error" not in answer:
        return
    data = answer["error"].get("data")
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x") and len(data) >= 10:
        revert = decode_revert(data)
        args = {k: str(v) for k, v in revert.error_args.items()}
        # the chain's time of the check: a client tells "closes in 2 d 23 h" from it, not from its own clock
        told = {"error": revert.name, "args": args, "chainTime": chain_time()}
        if revert.name == "NonceAlreadyUsed":
            raise Refusal(409, "nonce_used", f"nonce {checked.nonce} of {checked.signer} is already used", told)
        if revert.name == "SignatureExpired":
            raise Refusal(422, "expired", f"the signature expired at {checked.deadline}", told)
        raise Refusal(422, "would_revert", f"the contract would revert: {revert}", told)
    message = str(answer["error"].get("message", answer["error"]))
    if "gas" in message.lower():
        raise Refusal(422, "gas_cap", f"the action needs more than {checked.gas} gas: {message}")
    raise Refusal(422, "would_revert", f"the simulation failed: {message}")


def check_outcome_after(checked: Checked, answer: dict[str, Any], earlier: int, chain_time: Callable[[], int]) -> None:
    """The outcome of this action simulated after `earlier` pending ones of the same signer."""
    if "error" in answer:
        code = answer["error"].get("code")
        message = str(answer["error"].get("message", ""))
        if code == -32601 or "not supported" in message.lower() or "method not found" in message.lower():
            raise Refusal(409, "conflicts_with_pending", "an action of this signer is still pending: wait until "
                          "it is mined (this node cannot simulate one action after another)")  # fmt: skip
        check_outcome(checked, answer, chain_time)
        return
    calls = answer["result"][0]["calls"]
    mine = calls[-1]
    if int(str(mine.get("status", "0x0")), 16) == 1:
        return
    error = mine.get("error") or {}
    data = error.get("data") or mine.get("returnData")
    reason = str(decode_revert(data)) if isinstance(data, str) and len(data) >= 10 else error.get("message", "")
    revert = decode_revert(data) if isinstance(data, str) and len(data) >= 10 else None
    raise Refusal(
        409, "conflicts_with_pending",
        f"after the {earlier} pending action(s) of the same signer (or revealing the same content) this one "
        f"would revert: {reason}",
        {"error": revert.name if revert else "", "args": {k: str(v) for k, v in revert.error_args.items()}
         if revert else {}},
    )  # fmt: skip
