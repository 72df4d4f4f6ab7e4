"""Reconciliation: the queue brought in line with the chain, once per submitter round.

The relayer's nonces say what is on chain: a transaction with nonce n is mined exactly when the
account's mined nonce count exceeds n. So each round reads two numbers (mined and pending nonce
counts) and looks at receipts only for what was newly mined. A mined action is final once its block
is `confirmations` deep and still has the same hash. If the chain rolls back (a reorg, a node
restarted from an older state), mined rows above the chain's nonce count go back to sent and their
very bytes are broadcast again, which also fills the relayer's nonce gap. A used nonce whose receipt
is missing is waited for (`missing_grace`) before it counts as taken by another transaction. A sent
transaction the node does not hold is broadcast again; one stuck for `resubmit_after` seconds is
replaced (same nonce, a higher fee). A transaction that reverted says why (its trace, or a replay).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from eth_utils.crypto import keccak

from starfish_dao.chain.errors import decode_revert
from starfish_dao.domain.errors import ChainError
from starfish_dao.relay.outbox.queue import Queue
from starfish_dao.relay.outbox.relayer import RelayerAccount
from starfish_dao.relay.outbox.rows import Action, Status

log = logging.getLogger("starfish.relay")

#: For these actions the status also tells the outcome: (contract, the events that say it, the field
#: it yields). A claim of ETH paid to the member's own address says it with `EthClaimed`.
_CLAIMED = ("splitter", ("Claimed", "EthClaimed"), "amount")
_RESULTS = {"Submit": ("registry", ("Submitted",), "contribution"), "Claim": _CLAIMED, "ClaimTo": _CLAIMED,
            "ClaimIncarnationTo": _CLAIMED}  # fmt: skip


def _topic(contract: Any, event: str) -> bytes:
    """An event's topic, from the contract's own ABI (so that it follows the contracts)."""
    item = next(i for i in contract.abi if i.get("type") == "event" and i["name"] == event)
    return bytes(keccak(text=f"{event}({','.join(i['type'] for i in item['inputs'])})"))


class Reconciler(RelayerAccount):
    """The submitter's half that follows the chain (the submitter is one: `outbox/submitter.py`)."""

    queue: Queue
    confirmations: int
    resubmit_after: float
    missing_grace: float
    rollbacks: int
    _missing: dict[str, float]
    _rebroadcast_at: float
    _base_fee: int

    def _reconcile(self) -> tuple[int, int, int]:
        """Mined, failed, final, rolled back, stuck: the queue brought in line with the chain."""
        latest, mined_hex, pending_hex = self._batch([
            ("eth_getBlockByNumber", ["latest", False]),
            ("eth_getTransactionCount", [self.relayer.address, "latest"]),
            ("eth_getTransactionCount", [self.relayer.address, "pending"]),
        ])  # fmt: skip
        if latest is None or mined_hex is None or pending_hex is None:
            raise ChainError("the node did not answer the relayer's nonce")
        head, mined, pending = int(latest["number"], 16), int(mined_hex, 16), int(pending_hex, 16)
        self._base_fee = int(latest.get("baseFeePerGas", "0x0"), 16)
        if not self.queue.open_from(mined):  # idle: nothing in flight, unfinal or rolled back (one query, not five)
            self._missing = {}
            return head, mined, pending
        changes: list[tuple[str, dict[str, Any]]] = []
        rollbacks = self.rollbacks
        # 1. a landed row whose nonce the chain has not used is not on chain any more: send it again
        for action in self.queue.landed_from(mined):
            changes.append((action.id, _resend(action)))
            log.warning("rollback: action %s (relayer nonce %s) is no longer on chain; sending it again",
                        action.id, action.relayer_nonce)  # fmt: skip
        self.rollbacks += len(changes)
        # 2. landed rows not yet final: still in a block with the same hash? deep enough?
        rolled = {c[0] for c in changes}
        unfinal = [a for a in self.queue.unfinal() if a.id not in rolled]
        blocks = sorted({int(a.block) for a in unfinal if a.block is not None and a.block <= head})
        hashes = dict(zip(blocks, self._batch([("eth_getBlockByNumber", [hex(b), False]) for b in blocks]),
                          strict=True))  # fmt: skip
        moved: list[Action] = []
        for action in unfinal:
            block = hashes.get(int(action.block or -1))
            if block is None or block.get("hash") != action.block_hash:
                moved.append(action)  # reorganized: find where (or whether) it landed now
            elif head - int(action.block or 0) + 1 >= self.confirmations:
                changes.append((action.id, {"final": 1}))
        # 3. sent rows whose nonce the chain used: mined (this action, or a replacement of it)
        landed = self.queue.sent_below(mined) + moved
        found = self._receipts(landed)
        clock = time.monotonic()
        # the grace restarts whenever a row leaves this set (a rollback put its nonce back)
        ids = {a.id for a in landed}
        self._missing = {k: v for k, v in self._missing.items() if k in ids}
        for action in landed:
            if action.id in found and found[action.id] is None:
                continue  # the node refused the lookup: no answer, so no conclusion, and no clock
            receipt = found.get(action.id)
            if receipt is None:
                # a node may count a nonce as used a moment before it serves the receipt (anvil does,
                # measured: 5 in 1,000 at 200/s): only a receipt still missing after a grace means
                # that another transaction took the nonce; before it, the row waits as sent
                first = self._missing.setdefault(action.id, clock)
                if clock - first < self.missing_grace:
                    continue
                del self._missing[action.id]
                if int(action.relayer_nonce or 0) < mined:  # the nonce went to a transaction this relay did not sign
                    changes.append((action.id, self._taken(action)))
                else:
                    changes.append((action.id, _resend(action)))
                    self.rollbacks += 1
                continue
            self._missing.pop(action.id, None)
            changes.append((action.id, self._landed(action, receipt, head)))
        # 4. sent rows the node does not hold (a restarted node, a dropped transaction): broadcast again,
        #    in nonce order, which fills any gap; a transaction stuck for too long gets a higher fee
        self.queue.update_many(changes)
        top = self.queue.max_sent_nonce()
        now = time.time()
        # at most once a second, unless a rollback just put rows back (their nonces are free again, and
        # the sooner the node holds them, the sooner a last look sees them)
        if top is not None and pending <= top and (now - self._rebroadcast_at > 1.0 or self.rollbacks > rollbacks):
            self._rebroadcast_at = now
            self._broadcast([a.raw_tx for a in self.queue.sent_from(mined) if a.raw_tx])
        if top is not None:
            for action in self.queue.sent_from(mined, limit=16):
                if action.sent_at is not None and now - action.sent_at > self.resubmit_after:
                    self._replace(action)
        return head, mined, pending

    def _receipts(self, actions: list[Action]) -> dict[str, dict[str, Any] | None]:
        """The receipt of each action's transaction, by action id (every hash ever signed for it:
        a replacement may be the one that was mined); None where the node refused a lookup (a
        rate limit is not an answer), absent where it has no receipt."""
        lookups = [(a, h) for a in actions for h in (a.all_hashes or [str(a.tx_hash)])]
        refused = object()
        answers = self._batch([("eth_getTransactionReceipt", [h]) for _, h in lookups], errors=refused)
        found: dict[str, dict[str, Any] | None] = {}
        for (action, tx_hash), receipt in zip(lookups, answers, strict=True):
            if receipt is refused:
                found.setdefault(action.id, None)
            elif receipt is not None:
                found[action.id] = {**receipt, "_hash": tx_hash}
        return found

    def _taken(self, action: Action) -> dict[str, Any]:
        """The action's relayer nonce was used, and none of its transactions has a receipt: another
        transaction took the nonce. The action is signed again only if it would still succeed (it
        is simulated first: if its own transaction landed after all, or someone carried it, a
        second one would revert and cost gas for nothing); otherwise it is failed, with the reason,
        and nothing is sent. Every hash signed for it is kept."""
        reverts, data = self._call(action, "latest")
        if not reverts:
            log.warning("relayer nonce %s was used by another transaction; action %s is signed again",
                        action.relayer_nonce, action.id)  # fmt: skip
            return {"status": Status.ACCEPTED, "relayer_nonce": None, "raw_tx": None, "tx_hash": None, "sent_at": None}
        reason = _named(decode_revert(data)) if data is not None else {"name": ""}
        log.warning("relayer nonce %s was used and action %s has no receipt; it would now revert (%s): not sent "
                    "again", action.relayer_nonce, action.id, reason.get("name") or "no reason")  # fmt: skip
        return {"status": Status.FAILED, "final": 1, "error": json.dumps({
            **reason, "message": f"its relayer nonce {action.relayer_nonce} was used but no receipt of its "
            f"transactions was found; sent again it would revert ({reason.get('message') or 'no reason'}), "
            "so it was not sent again: it may have been carried by another transaction"})}  # fmt: skip

    def _landed(self, action: Action, receipt: dict[str, Any], head: int) -> dict[str, Any]:
        block = _int(receipt["blockNumber"])
        fields: dict[str, Any] = {
            "block": block, "block_hash": _hex(receipt["blockHash"]), "gas_used": _int(receipt["gasUsed"]),
            "tx_hash": receipt["_hash"], "final": int(head - block + 1 >= self.confirmations),
        }  # fmt: skip
        if _int(receipt["status"]) == 1:
            result = json.dumps(self._result(action, receipt)) if action.kind in _RESULTS else None
            return {**fields, "status": Status.MINED, "result": result, "error": None}
        error = self._why(action, receipt)
        return {**fields, "status": Status.FAILED, "error": json.dumps(error)}

    def _result(self, action: Action, receipt: dict[str, Any]) -> dict[str, Any]:
        """What a mined action produced, read from its receipt's logs."""
        role, names, field = _RESULTS[action.kind]
        wanted = {_topic(self.sf.contracts[role], name) for name in names}
        for log_ in receipt.get("logs", []):
            topics = [bytes.fromhex(str(t)[2:]) if isinstance(t, str) else bytes(t) for t in log_.get("topics", [])]
            if topics and topics[0] in wanted:
                if field == "contribution":
                    return {field: int.from_bytes(topics[1], "big")}
                data = log_["data"]
                raw = bytes.fromhex(data[2:]) if isinstance(data, str) else bytes(data)
                return {field: int.from_bytes(raw[:32], "big")}
        return {}

    def _why(self, action: Action, receipt: dict[str, Any]) -> dict[str, Any]:
        """Why a mined transaction reverted: its own trace (the revert data it returned, in its place
        in its block); where the node has no tracer, a replay at the start of its block, said so."""
        try:
            trace = self.rpc._post([{"jsonrpc": "2.0", "id": 0, "method": "debug_traceTransaction",
                                     "params": [receipt["_hash"], {"tracer": "callTracer"}]}])[0]  # fmt: skip
        except Exception:  # noqa: BLE001 - no tracer: replay below
            trace = {}
        result = trace.get("result") or {}
        output = result.get("output")
        if isinstance(output, str) and len(output) >= 10:
            return _named(decode_revert(output))
        if result:
            message = str(result.get("error") or "reverted without data")
            if "out of gas" in message.lower():
                message = f"out of gas (limit {int(action.request['_gas'])})"
            return {"name": "", "message": message}
        return self._replayed(action, _int(receipt["blockNumber"]))

    def _replayed(self, action: Action, block: int) -> dict[str, Any]:
        try:
            _, data = self._call(action, hex(block - 1))
        except Exception as exc:  # noqa: BLE001
            return {"name": "", "message": f"reverted (reason unavailable: {exc})"}
        if data is not None:
            return {**_named(decode_revert(data)), "replayed": "at the start of its block, without the transactions "
                    "before it: the reason may differ"}  # fmt: skip
        return {"name": "", "message": "reverted; the node offers no trace to say why"}

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


def _resend(action: Action) -> dict[str, Any]:
    """Back to sent: its transaction is not on chain; the same bytes go out again."""
    return {"status": Status.SENT, "block": None, "block_hash": None, "gas_used": None, "final": 0, "result": None,
            "error": None, "sent_at": time.time()}  # fmt: skip


def _named(revert: Any) -> dict[str, Any]:
    return {"name": revert.name, "args": {k: str(v) for k, v in revert.error_args.items()}, "message": str(revert)}


def _int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def _hex(value: Any) -> str:
    return value if isinstance(value, str) else "0x" + bytes(value).hex()
