"""The relayer account on its node: what the submitter reads (its nonces, the fees), signs and
sends (raw EIP-1559 transactions, in JSON-RPC batches), and replays (an action's call at a block).

`fee_cap` is the one rule for what the relayer offers per gas: twice the latest base fee plus its
tip. The chain check holds it against the relayer's balance before accepting an action
(`intake/chain_check.py`), and the relay warns at start when the relayer cannot pay for one action
at the gas cap.
"""

from __future__ import annotations

import logging
from typing import Any

from eth_account.signers.local import LocalAccount

from starfish_dao.chain.client import Starfish
from starfish_dao.chain.rpc import RawRpc
from starfish_dao.domain import fastabi
from starfish_dao.relay.outbox.rows import Action

log = logging.getLogger("starfish.relay")
TIP = 10**9


def fee_cap(base_fee: int) -> int:
    """The most the relayer offers per gas over a block whose base fee is `base_fee`."""
    return 2 * base_fee + TIP


class RelayerAccount:
    """The relayer's reads, signatures and broadcasts (the submitter's base: `outbox/submitter.py`)."""

    sf: Starfish
    relayer: LocalAccount
    rpc: RawRpc
    chain_id: int

    def _nonce(self, block: str) -> int:
        return int(self.rpc.request("eth_getTransactionCount", [self.relayer.address, block]), 16)

    def _batch(self, calls: list[tuple[str, list[Any]]], errors: Any = None) -> list[Any]:
        """Results of several JSON-RPC calls (`errors`, None by default, where the node answered an
        error: a null result and a refused call are not the same answer)."""
        if not calls:
            return []
        if self.rpc.url is None:
            out = []
            for method, params in calls:
                try:
                    out.append(self.rpc.request(method, params))
                except Exception:  # noqa: BLE001 - as a batch would: that one answer is missing
                    out.append(errors)
            return out
        payload = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
        return [errors if "error" in answer else answer.get("result") for answer in self.rpc._post(payload)]

    def _fees(self) -> tuple[int, int]:
        block = self.rpc.request("eth_getBlockByNumber", ["latest", False])
        base = int(block.get("baseFeePerGas", "0x0"), 16)
        return fee_cap(base), TIP

    def _sign(self, action: Action, nonce: int, max_fee: int, tip: int) -> tuple[str, str]:
        raw, tx_hash = fastabi.sign_eip1559(
            bytes(self.relayer.key), self.chain_id, nonce, tip, max_fee, int(action.request["_gas"]),
            action.request["_to"], 0, bytes.fromhex(action.request["_data"][2:]),
        )  # fmt: skip
        return "0x" + raw.hex(), "0x" + tx_hash.hex()

    def _broadcast(self, raws: list[str]) -> None:
        if not raws:
            return
        if self.rpc.url is None:
            for raw in raws:
                try:
                    self.sf.w3.eth.send_raw_transaction(bytes.fromhex(raw[2:]))
                except Exception as exc:  # noqa: BLE001 - already known / mined: fine
                    log.info("broadcast: %s", exc)
            return
        payload = [
            {"jsonrpc": "2.0", "id": i, "method": "eth_sendRawTransaction", "params": [r]} for i, r in enumerate(raws)
        ]
        for answer in self.rpc._post(payload):
            if "error" in answer:
                message = str(answer["error"].get("message", ""))
                if "already" not in message.lower() and "nonce too low" not in message.lower():
                    log.warning("broadcast refused: %s", message)

    def _call(self, action: Action, block: str) -> tuple[bool, str | None]:
        """The action's transaction as an `eth_call` from the relayer at `block`: (whether it
        reverts, its revert data when the node gives it)."""
        params = {"from": self.relayer.address, "to": action.request["_to"], "data": action.request["_data"],
                  "gas": hex(int(action.request["_gas"]))}  # fmt: skip
        answer = self.rpc._post([{"jsonrpc": "2.0", "id": 0, "method": "eth_call", "params": [params, block]}])[0]
        if "error" not in answer:
            return False, None
        data = (answer["error"] or {}).get("data")
        if isinstance(data, dict):
            data = data.get("data")
        return True, data if isinstance(data, str) and len(data) >= 10 else None
