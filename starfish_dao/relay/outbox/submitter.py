"""The submitter: sends accepted actions back to back from the relayer account, exactly once.

Each transaction is signed and written to the queue (raw bytes, hash, relayer nonce) before it is
broadcast. After a crash, rows that were written but not mined are rebroadcast byte for byte, so
the chain sees one transaction per action whatever happened in between. Each round first brings the
queue in line with the chain (`outbox/reconcile.py`: mined, final, rolled back, stuck and replaced),
then takes a last look at what is about to be sent (`outbox/presend.py`), then signs and sends. One
action that fails on-chain is recorded with its decoded error and never holds up the others. It
runs as a thread, or in a process of its own (`outbox/process.py`).
"""

from __future__ import annotations

import json
import logging
import threading
import time

from eth_account.signers.local import LocalAccount

from starfish_dao.chain.client import Starfish
from starfish_dao.chain.rpc import RawRpc
from starfish_dao.relay.outbox import presend
from starfish_dao.relay.outbox.queue import Queue
from starfish_dao.relay.outbox.reconcile import Reconciler
from starfish_dao.relay.outbox.relayer import TIP, fee_cap
from starfish_dao.relay.outbox.rows import Status
from starfish_dao.relay.runtime.supervisor import Loop

log = logging.getLogger("starfish.relay")


class Submitter(Reconciler):
    """Sends accepted actions from the relayer account, each round after reconciling (`Reconciler`)."""

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
        self._thread: Loop | None = None
        self._rebroadcast_at = 0.0
        self._base_fee = 0
        # after a round that sent, a short pause lets more accepted actions gather: one round trip,
        # one fsync and (on an automining node) one block carry several, for at most this delay
        # (40 ms: at 200/s, 0.33-0.34 ms of the submitter's CPU an action, against 0.43-0.48 at
        # 20 ms; a chain's block comes every 2-12 s, so 40 ms before sending changes no block)
        self.linger = 0.04
        self.missing_grace = 3.0  # seconds a used nonce's receipt may lag before it counts as taken
        self._missing: dict[str, float] = {}  # action id -> when its receipt was first found missing
        self.healthy = True
        self.last_error = ""
        self.rollbacks = 0  # rows found no longer on chain (and re-sent)

    # ---------------------------------------------------------------- lifecycle

    def start(self, interval: float = 0.2) -> None:
        self.recover()
        self._thread = Loop(self._run, "submitter", interval)

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
        accepted = self.queue.by_status(Status.ACCEPTED, limit=min(batch, room))
        if not accepted:
            return False
        # the last look: a nonce this relay already carries (after a rollback), then what the chain
        # says: a claim someone else paid first, a nonce cancelled or carried elsewhere
        dropped = presend.carried(self.queue, accepted)
        rest = [a for a in accepted if a.id not in dropped]
        dropped.update(presend.stale(self._batch, self.sf.deployment.addresses, rest))
        if dropped:
            self.queue.update_many(list(dropped.items()))
            accepted = [a for a in accepted if a.id not in dropped]
            if not accepted:
                return True
        max_fee, tip = fee_cap(self._base_fee), TIP  # the latest block's base fee, read by _reconcile
        recorded = self.queue.max_relayer_nonce()
        nonce = max(pending, mined, 0 if recorded is None else recorded + 1)
        raws, changes = [], []
        now = time.time()
        for action in accepted:
            raw, tx_hash = self._sign(action, nonce, max_fee, tip)
            changes.append((action.id, {"status": Status.SENT, "raw_tx": raw, "tx_hash": tx_hash,
                                        "relayer_nonce": nonce, "sent_at": now, "attempts": action.attempts + 1,
                                        "hashes": json.dumps([*action.all_hashes, tx_hash])}))  # fmt: skip
            raws.append(raw)
            nonce += 1
        # durable before broadcast (one transaction, one fsync): a crash from here on rebroadcasts these bytes
        self.queue.update_many(changes)
        self._broadcast(raws)
        return True
