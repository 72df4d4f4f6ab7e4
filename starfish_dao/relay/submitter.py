"""The submitter: sends accepted actions back to back from the relayer account, exactly once.

Each transaction is signed and written to the queue (raw bytes, hash, relayer nonce) before it is
broadcast. After a crash, rows that were written but not mined are rebroadcast byte for byte, so
the chain sees one transaction per action whatever happened in between. A transaction that is not
mined in time is replaced (same nonce) with a higher fee. One action that fails on-chain is
recorded with its decoded error and never holds up the others.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from starfish_dao.chain.client import Starfish
from starfish_dao.chain.errors import decode_revert
from starfish_dao.chain.rpc import RawRpc
from starfish_dao.relay.queue import Action, Queue

log = logging.getLogger("starfish.relay")
TIP = 10**9


#: For these actions the status also tells the outcome: (the event's topic, the field it yields).
_RESULTS = {
    "Submit": (keccak(text="Submitted(uint256,address,bytes,bytes32,uint256,uint256,uint256,uint256,uint256)"),
               "contribution"),
    "Claim": (keccak(text="Claimed(address,address,uint256,address,address)"), "amount"),
    "ClaimTo": (keccak(text="Claimed(address,address,uint256,address,address)"), "amount"),
}  # fmt: skip


class Submitter:
    def __init__(self, sf: Starfish, queue: Queue, relayer: LocalAccount, resubmit_after: float = 30.0) -> None:
        self.sf = sf
        self.queue = queue
        self.relayer = relayer
        self.rpc = RawRpc(sf.w3)
        self.resubmit_after = resubmit_after
        self.chain_id = sf.deployment.chain_id
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.healthy = True
        self.last_error = ""

    # ---------------------------------------------------------------- lifecycle

    def start(self, interval: float = 0.2) -> None:
        self.recover()
        self._thread = threading.Thread(target=self._run, args=(interval,), name="submitter", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(10)

    def _run(self, interval: float) -> None:
        while not self._stop.is_set():
            try:
                busy = self.step()
                self.healthy, self.last_error = True, ""
            except Exception as exc:  # noqa: BLE001 - chain down: keep the queue, retry
                self.healthy, self.last_error = False, str(exc)
                log.warning("submitter: %s", exc)
                busy = False
            if not busy:
                self._stop.wait(interval)

    # ---------------------------------------------------------------- work

    def recover(self) -> None:
        """Rebroadcasts every transaction written before a crash and not yet mined (in nonce order)."""
        for action in sorted(self.queue.by_status("sent", limit=100_000), key=lambda a: a.relayer_nonce or 0):
            if action.raw_tx and self._receipt(action.tx_hash) is None:
                self._broadcast([action.raw_tx])

    def _receipt(self, tx_hash: str | None) -> dict[str, Any] | None:
        if not tx_hash:
            return None
        result: dict[str, Any] | None = self.rpc.request("eth_getTransactionReceipt", [tx_hash])
        return result

    def _fees(self) -> tuple[int, int]:
        block = self.rpc.request("eth_getBlockByNumber", ["latest", False])
        base = int(block.get("baseFeePerGas", "0x0"), 16)
        return 2 * base + TIP, TIP

    def _next_nonce(self) -> int:
        on_chain = int(self.rpc.request("eth_getTransactionCount", [self.relayer.address, "pending"]), 16)
        recorded = self.queue.max_relayer_nonce()
        return max(on_chain, 0 if recorded is None else recorded + 1)

    def _sign(self, action: Action, nonce: int, max_fee: int, tip: int) -> tuple[str, str]:
        tx = {
            "to": action.request["_to"],
            "data": action.request["_data"],
            "gas": int(action.request["_gas"]),
            "nonce": nonce,
            "chainId": self.chain_id,
            "maxFeePerGas": max_fee,
            "maxPriorityFeePerGas": tip,
            "value": 0,
        }
        signed = self.relayer.sign_transaction(tx)
        return "0x" + bytes(signed.raw_transaction).hex(), "0x" + bytes(signed.hash).hex()

    def _broadcast(self, raws: list[str]) -> None:
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

    def step(self, batch: int = 200) -> bool:
        """One round: confirm what was sent, then send what was accepted. True if there was work."""
        self._confirm()
        accepted = self.queue.by_status("accepted", limit=batch)
        if not accepted:
            return False
        max_fee, tip = self._fees()
        nonce = self._next_nonce()
        raws = []
        for action in accepted:
            raw, tx_hash = self._sign(action, nonce, max_fee, tip)
            # durable before broadcast: a crash from here on rebroadcasts these very bytes
            self.queue.update(
                action.id, status="sent", raw_tx=raw, tx_hash=tx_hash, relayer_nonce=nonce,
                sent_at=time.time(), attempts=action.attempts + 1, hashes=json.dumps([tx_hash]),
            )  # fmt: skip
            raws.append(raw)
            nonce += 1
        self._broadcast(raws)
        return True

    def _confirm(self) -> None:
        sent = self.queue.by_status("sent", limit=1000)
        if not sent:
            return
        # every hash ever signed for an action: a replaced transaction may be the one that was mined
        lookups = [(a, h) for a in sent for h in (a.all_hashes or [str(a.tx_hash)])]
        if self.rpc.url is not None:
            payload = [
                {"jsonrpc": "2.0", "id": i, "method": "eth_getTransactionReceipt", "params": [h]}
                for i, (_, h) in enumerate(lookups)
            ]
            found = [answer.get("result") for answer in self.rpc._post(payload)]
        else:
            found = [self._receipt(h) for _, h in lookups]
        by_action: dict[str, dict[str, Any]] = {}
        for (action, tx_hash), receipt in zip(lookups, found, strict=True):
            if receipt is not None:
                by_action[action.id] = {**receipt, "_hash": tx_hash}
        now = time.time()
        for action in sent:
            receipt = by_action.get(action.id)
            if receipt is None:
                if action.sent_at and now - action.sent_at > self.resubmit_after:
                    self._replace(action)
                continue
            block = (
                int(receipt["blockNumber"], 16) if isinstance(receipt["blockNumber"], str) else receipt["blockNumber"]
            )
            gas_used = int(receipt["gasUsed"], 16) if isinstance(receipt["gasUsed"], str) else receipt["gasUsed"]
            status = int(receipt["status"], 16) if isinstance(receipt["status"], str) else receipt["status"]
            mined_hash = receipt["_hash"]
            if status == 1:
                result = json.dumps(self._result(action, receipt)) if action.kind in _RESULTS else None
                self.queue.update(action.id, status="mined", block=block, gas_used=gas_used, tx_hash=mined_hash,
                                  result=result)  # fmt: skip
            else:
                error = self._why(action, block)
                self.queue.update(action.id, status="failed", block=block, gas_used=gas_used, error=json.dumps(error),
                                  tx_hash=mined_hash)  # fmt: skip

    def _result(self, action: Action, receipt: dict[str, Any]) -> dict[str, Any]:
        """What a mined action produced, read from its receipt's logs."""
        topic, field = _RESULTS[action.kind]
        for log in receipt.get("logs", []):
            topics = [bytes.fromhex(str(t)[2:]) if isinstance(t, str) else bytes(t) for t in log.get("topics", [])]
            if topics and topics[0] == topic:
                if field == "contribution":
                    return {field: int.from_bytes(topics[1], "big")}
                data = log["data"]
                raw = bytes.fromhex(data[2:]) if isinstance(data, str) else bytes(data)
                return {field: int.from_bytes(raw[:32], "big")}
        return {}

    def _why(self, action: Action, block: int) -> dict[str, Any]:
        params = {"from": self.relayer.address, "to": action.request["_to"], "data": action.request["_data"],
                  "gas": hex(int(action.request["_gas"]))}  # fmt: skip
        try:
            answer = self.rpc._post(
                [{"jsonrpc": "2.0", "id": 0, "method": "eth_call", "params": [params, hex(block - 1)]}]
            )
        except Exception as exc:  # noqa: BLE001
            return {"name": "", "message": f"reverted (reason unavailable: {exc})"}
        error = answer[0].get("error") or {}
        data = error.get("data")
        if isinstance(data, dict):
            data = data.get("data")
        if isinstance(data, str) and len(data) >= 10:
            revert = decode_revert(data)
            return {
                "name": revert.name,
                "args": {k: str(v) for k, v in revert.error_args.items()},
                "message": str(revert),
            }
        return {"name": "", "message": str(error.get("message", "reverted without data (out of gas?)"))}

    def _replace(self, action: Action) -> None:
        """Same nonce, fees raised by a quarter (more than the 10 % nodes require to replace)."""
        max_fee, tip = self._fees()
        bump = 5**action.attempts
        raw, tx_hash = self._sign(action, int(action.relayer_nonce or 0), max_fee * bump // 4 ** action.attempts + 1,
                                  tip * bump // 4 ** action.attempts + 1)  # fmt: skip
        hashes = json.dumps([*action.all_hashes, tx_hash])
        self.queue.update(action.id, raw_tx=raw, tx_hash=tx_hash, sent_at=time.time(), attempts=action.attempts + 1,
                          hashes=hashes)  # fmt: skip
        self._broadcast([raw])
