"""The reads and simulations one chain check asks the node for, as one JSON-RPC batch.

For each action, by slot: its claim's amount, its ballot's vote end, its Commit's member, its
signer's code, and its simulation (after the actions in flight that it conflicts with, with
`eth_simulateV1`; signed actions as if mined at `at`); then the relayer's balance. Building the
batch asks nothing: `intake/chain_check.py` sends it and reads the answers by these slots.
"""

from __future__ import annotations

from typing import Any

from eth_abi.abi import encode
from eth_utils.abi import function_signature_to_4byte_selector

from starfish_dao.chain.client import Starfish
from starfish_dao.relay.intake import commits
from starfish_dao.relay.intake.checked import SIGNED, Checked, claim_of
from starfish_dao.relay.intake.simulation import call_params

_CLAIMABLE = function_signature_to_4byte_selector("claimable(address,address)")
_PROPOSAL_DEADLINE = function_signature_to_4byte_selector("proposalDeadline(uint256)")
#: The time-critical conditions of signed actions only run out (a signature's deadline, a review
#: window, a reveal window); the Governor's ballot also waits for its vote to open, so it is
#: simulated at the chain's time.
AHEAD_KINDS = frozenset(SIGNED) - {"Ballot"}


def _eth_call(i: int, to: str, data: bytes) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": i,
        "method": "eth_call",
        "params": [{"to": to, "data": "0x" + data.hex()}, "latest"],
    }


def chain_reads(items: list[tuple[Checked, list[Any]]], at: int, relayer: str, sf: Starfish
                ) -> tuple[list[dict[str, Any]], list[dict[str, int]], int]:  # fmt: skip
    """(the batch: the latest block first, the slots of each action's answers, the balance's slot)."""
    payload: list[dict[str, Any]] = [
        {"jsonrpc": "2.0", "id": 0, "method": "eth_getBlockByNumber", "params": ["latest", False]}
    ]
    slots: list[dict[str, int]] = []
    for checked, in_flight in items:
        slot: dict[str, int] = {}
        # a used nonce or an expired signature makes the simulation revert with the contract's own
        # NonceAlreadyUsed / SignatureExpired: no separate read per action
        claim = claim_of(checked)
        if claim is not None:
            call = _CLAIMABLE + encode(["address", "address"], list(claim))
            slot["claimable"] = len(payload)
            payload.append(_eth_call(len(payload), sf.splitter.address, call))
        if checked.kind == "Ballot":  # the vote must still be open when the ballot is mined
            call = _PROPOSAL_DEADLINE + encode(
                ["uint256"], [int(checked.request["typedData"]["message"]["proposalId"])]
            )
            slot["vote_ends"] = len(payload)
            payload.append(_eth_call(len(payload), sf.contracts["governor"].address, call))
        if checked.kind == "Commit":  # the relay pays for active members' commits only
            slot["member"] = len(payload)
            payload.append(_eth_call(len(payload), sf.membership.address,
                                     commits.is_active_call(str(checked.signer))))  # fmt: skip
        if checked.signer is not None:
            # a signer with code (a contract, or an EIP-7702 delegation) is checked on chain by
            # ERC-1271, whose answer can depend on the transaction itself (gas price, origin):
            # what the simulation saw is no promise, so the relay does not pay for it
            slot["code"] = len(payload)
            payload.append({"jsonrpc": "2.0", "id": len(payload), "method": "eth_getCode",
                            "params": [checked.signer, "latest"]})  # fmt: skip
        ahead = checked.kind in AHEAD_KINDS
        slot["simulate"] = len(payload)
        if in_flight:
            calls = [{"from": relayer, "to": a.request["_to"], "data": a.request["_data"],
                      "gas": hex(int(a.request["_gas"]))} for a in in_flight]  # fmt: skip
            calls.append(call_params(relayer, checked))
            block: dict[str, Any] = {"calls": calls}
            if ahead:
                block["blockOverrides"] = {"time": hex(at)}
            block_calls = {"blockStateCalls": [block], "validation": False}
            payload.append({"jsonrpc": "2.0", "id": len(payload), "method": "eth_simulateV1",
                            "params": [block_calls, "latest"]})  # fmt: skip
        else:
            params: list[Any] = [call_params(relayer, checked), "latest"]
            if ahead:
                params += [{}, {"time": hex(at)}]
            payload.append({"jsonrpc": "2.0", "id": len(payload), "method": "eth_call", "params": params})
        if checked.kind == "Reveal":
            # a sealed rating opens only while its reveal window is open: after the latest block (the
            # window closed: above) and still when the relay can have it mined (`at`, here), so one
            # posted in the window's last seconds is refused rather than sent to revert
            slot["simulate_at"] = len(payload)
            latest = payload[slot["simulate"]]
            params_at = [*latest["params"][:2], {}, {"time": hex(at)}] if latest["method"] == "eth_call" else None
            if params_at is None:  # after the reviewer's other reveals in flight
                block_at = {**latest["params"][0]["blockStateCalls"][0], "blockOverrides": {"time": hex(at)}}
                params_at = [{"blockStateCalls": [block_at], "validation": False}, "latest"]
            payload.append({"jsonrpc": "2.0", "id": len(payload), "method": latest["method"], "params": params_at})
        slots.append(slot)
    balance_slot = len(payload)  # can the relayer pay for what it accepts?
    payload.append({"jsonrpc": "2.0", "id": balance_slot, "method": "eth_getBalance",
                    "params": [relayer, "latest"]})  # fmt: skip
    return payload, slots, balance_slot
