"""The submitter: sends accepted actions back to back from the relayer account, exactly once.

Each transaction is signed and written to the queue (raw bytes, hash, relayer nonce) before it is
broadcast. After a crash, rows that were written but not mined are rebroadcast byte for byte, so
the chain sees one transaction per action whatever happened in between. A transaction that is not
mined in time is replaced (same nonce) with a higher fee. One action that fails on-chain is
recorded with its decoded error and never holds up the others.

The relayer's nonces say what is on chain: a transaction with nonce n is mined exactly when the
account's mined nonce count exceeds n. So each round reads two numbers (mined and pending nonce
counts) and looks at receipts only for what was newly mined. A mined action is final once its block
is `confirmations` deep and still has the same hash. If the chain rolls back (a reorg, a node
restarted from an older state), mined rows above the chain's nonce count go back to sent and their
very bytes are broadcast again, which also fills the relayer's nonce gap.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from starfish_dao.chain.client import Starfish
from starfish_dao.chain.errors import decode_revert
from starfish_dao.chain.rpc import RawRpc
from starfish_dao.domain import fastabi
from starfish_dao.domain.errors import ChainError
from starfish_dao.relay import presend
from starfish_dao.relay.queue import Action, Queue
from starfish_dao.relay.runtime import child

log = logging.getLogger("starfish.relay")
TIP = 10**9


#: For these actions the status also tells the outcome: (contract, the events that say it, the field
#: it yields). A claim of ETH paid to the member's own address says it with `EthClaimed`.
_CLAIMED = ("splitter", ("Claimed", "EthClaimed"), "amount")
_RESULTS = {"Submit": ("registry", ("Submitted",), "contribution"), "Claim": _CLAIMED, "ClaimTo": _CLAIMED,
            "ClaimIncarnationTo": _CLAIMED}  # fmt: skip


def _topic(contract: Any, event: str) -> bytes:
    """An event's topic, from the contract's own ABI (so that it follows the contracts)."""
    item = next(i for i in contract.abi if i.get("type") == "event" and i["name"] == event)
    return bytes(keccak(text=f"{event}({','.join(i['type'] for i in item['inputs'])})"))


class Submitter:
    def __init__(self, sf: Starfish, queue: Queue, relayer: LocalAccount, resubmit_after: float = 30.0,
                 confirmations: int = 3, max_in_flight: int = 64) -> None:  # fmt: skip
        self.sf = sf
        self.queue = queue
        self.relayer = relayer
        self.rpc = RawRpc(sf.w3)
        self.resubmit_after = resubmit_after
        self.confirmations = confirmations
        self.max_in_flight = max_in_flight
        self.chain_id = sf.deployment.chain_id
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._rebroadcast_at = 0.0
        self._base_fee = 0
        # after a round that sent, a short pause lets more accepted actions gather: one round trip,
        # one fsync and (on an automining node) one block carry several, for at most this delay
        self.linger = 0.02
        self.missing_grace = 3.0  # seconds a used nonce's receipt may lag before it counts as taken
        self._missing: dict[str, float] = {}  # action id -> when its receipt was first found missing
        self.healthy = True
        self.last_error = ""
        self.rollbacks = 0  # rows found no longer on chain (and re-sent)

    # ---------------------------------------------------------------- lifecycle

    def start(self, interval: float = 0.2) -> None:
        self.recover()
        self._thread = threading.Thread(target=self._run, args=(interval,), name="submitter", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(10)

    def guarded_step(self) -> bool:
        """One step; a failure (the chain down) is recorded, logged and retried later, the queue kept."""
        try:
            busy = self.step()
            self.healthy, self.last_error = True, ""
            return busy
        except Exception as exc:  # noqa: BLE001 - chain down: keep the queue, retry
            self.healthy, self.last_error = False, str(exc)
            log.warning("%s", exc)  # the submitter's own process prefixes "submitter:"
            return False

    def _run(self, interval: float) -> None:
        while not self._stop.is_set():
            self._stop.wait(min(interval, self.linger) if self.guarded_step() else interval)

    # ---------------------------------------------------------------- work

    def recover(self) -> None:
        """Rebroadcasts every transaction written before a crash and not yet mined (in nonce order)."""
        try:
            mined = self._nonce("latest")
        except Exception as exc:  # noqa: BLE001 - the chain is down: the first round will do it
            log.warning("submitter: cannot recover yet: %s", exc)
            return
        self._broadcast([a.raw_tx for a in self.queue.sent_from(mined) if a.raw_tx])

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
        return 2 * base + TIP, TIP

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

    def step(self, batch: int = 500) -> bool:
        """One round: follow the chain (mined, final, rolled back), then send what was accepted.
        True if there was work."""
        _, mined, pending = self._reconcile()
        # at most max_in_flight transactions of the relayer wait in the node's pool: a node keeps only
        # a few per sender (geth: 16 executable before eviction under pressure), and anvil's automine
        # slows with the pool's length; the rest wait here, already durable
        room = self.max_in_flight - max(pending - mined, 0)
        if room <= 0:
            return False
        accepted = self.queue.by_status("accepted", limit=min(batch, room))
        if not accepted:
            return False
        # the last look: a claim someone else paid first, a nonce cancelled or carried elsewhere
        dropped = presend.stale(self._batch, self.sf.deployment.addresses, accepted)
        if dropped:
            self.queue.update_many(list(dropped.items()))
            accepted = [a for a in accepted if a.id not in dropped]
            if not accepted:
                return True
        max_fee, tip = 2 * self._base_fee + TIP, TIP  # the latest block's base fee, read by _reconcile
        recorded = self.queue.max_relayer_nonce()
        nonce = max(pending, mined, 0 if recorded is None else recorded + 1)
        raws, changes = [], []
        now = time.time()
        for action in accepted:
            raw, tx_hash = self._sign(action, nonce, max_fee, tip)
            changes.append((action.id, {"status": "sent", "raw_tx": raw, "tx_hash": tx_hash, "relayer_nonce": nonce,
                                        "sent_at": now, "attempts": action.attempts + 1,
                                        "hashes": json.dumps([*action.all_hashes, tx_hash])}))  # fmt: skip
            raws.append(raw)
            nonce += 1
        # durable before broadcast (one transaction, one fsync): a crash from here on rebroadcasts these bytes
        self.queue.update_many(changes)
        self._broadcast(raws)
        return True

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
        if top is not None and pending <= top and now - self._rebroadcast_at > 1.0:
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
            return {"status": "accepted", "relayer_nonce": None, "raw_tx": None, "tx_hash": None, "sent_at": None}
        reason = _named(decode_revert(data)) if data is not None else {"name": ""}
        log.warning("relayer nonce %s was used and action %s has no receipt; it would now revert (%s): not sent "
                    "again", action.relayer_nonce, action.id, reason.get("name") or "no reason")  # fmt: skip
        return {"status": "failed", "final": 1, "error": json.dumps({
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
            return {**fields, "status": "mined", "result": result, "error": None}
        error = self._why(action, receipt)
        return {**fields, "status": "failed", "error": json.dumps(error)}

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
    return {"status": "sent", "block": None, "block_hash": None, "gas_used": None, "final": 0, "result": None,
            "error": None, "sent_at": time.time()}  # fmt: skip


def _named(revert: Any) -> dict[str, Any]:
    return {"name": revert.name, "args": {k: str(v) for k, v in revert.error_args.items()}, "message": str(revert)}


def _int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def _hex(value: Any) -> str:
    return value if isinstance(value, str) else "0x" + bytes(value).hex()


# ---------------------------------------------------------------- its own process


class SubmitterProcess:
    """The submitter in a process of its own, so that signing and following the chain never hold
    the accepting process's interpreter lock. Its settings (the key among them) go over a pipe, never
    the command line or the environment; the pipe also tells it when the relay is gone (end of
    file), so an orphan never outlives its relay. A lock file makes sure that only one submitter
    works on a queue, whatever crashed before."""

    def __init__(self, config: dict[str, Any], status_file: Path) -> None:
        self.config = config
        self.status_file = status_file
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.status_file.unlink(missing_ok=True)
        self.proc = child.spawn("starfish_dao.relay.submitter", self.config)

    def stop(self) -> None:
        if self.proc is not None:
            child.stop(self.proc, 15)

    @property
    def healthy(self) -> bool:
        try:
            status = json.loads(self.status_file.read_text())
        except (OSError, ValueError):
            return self.proc is not None and self.proc.poll() is None  # starting up
        return bool(status.get("healthy")) and time.time() - float(status.get("at", 0)) < 30

    @property
    def last_error(self) -> str:
        try:
            return str(json.loads(self.status_file.read_text()).get("error", ""))
        except (OSError, ValueError):
            return ""


def _child() -> None:
    """The submitter process: settings from stdin; runs until stdin closes (the relay is gone)."""
    import fcntl

    from eth_account import Account

    from starfish_dao.chain.backends import connect
    from starfish_dao.chain.client import Starfish
    from starfish_dao.chain.deployment import Deployment

    config = child.setup("submitter")
    lock = open(config["lock_file"], "w")  # noqa: SIM115 - held for the life of the process
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:  # the submitter of a relay that just crashed is still on its way out
            time.sleep(0.1)
    key = config.pop("key")
    status = Path(config["status_file"])
    stop = threading.Event()

    def watch_parent() -> None:
        sys.stdin.read()  # returns at end of file: the relay closed the pipe, or died
        stop.set()

    threading.Thread(target=watch_parent, name="parent-watch", daemon=True).start()
    submitter: Submitter | None = None
    queue: Queue | None = None
    while not stop.is_set():  # a node down at start is waited for: one line a try, no traceback
        try:
            backend = connect(config.get("rpc_url"))
            sf = Starfish(backend.w3, Deployment.from_json(config["deployment"]))
            queue = queue or Queue(Path(config["queue"]))
            submitter = Submitter(sf, queue, Account.from_key(key), config["resubmit_after"],
                                  config["confirmations"], config.get("max_in_flight", 64))  # fmt: skip
            submitter._stop = stop
            submitter.recover()
            break
        except Exception as exc:  # noqa: BLE001 - whatever the node's absence raises, the next try may pass
            log.warning("submitter: cannot read the chain to start (%s); trying again in 1 s", type(exc).__name__)
            stop.wait(1.0)
    del key
    if submitter is None or queue is None:
        return
    interval = float(config["interval"])
    status_at = 0.0
    while not submitter._stop.is_set():
        busy = submitter.guarded_step()
        now = time.time()
        if now - status_at > 1.0:
            status_at = now
            tmp = status.with_suffix(".tmp")
            tmp.write_text(json.dumps({"pid": os.getpid(), "healthy": submitter.healthy, "at": now,
                                       "error": submitter.last_error, "rollbacks": submitter.rollbacks}))  # fmt: skip
            tmp.replace(status)
        submitter._stop.wait(min(interval, submitter.linger) if busy else interval)
    queue.close()


if __name__ == "__main__":
    _child()
