"""The relay's view of the DAO: the reference model, kept current by polling logs, the feed of new
events it publishes (`served/events.py`), and the outcome of comparing what it serves with the
contracts (`served/verifier.py`).

A chain that rolls back (a reorg, a dev node restarted from an older state) is noticed by the hash
of the last block read: the model is then rebuilt from the deployment block.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from starfish_dao.chain.client import Starfish
from starfish_dao.chain.logs import LogRanges
from starfish_dao.chain.rpc import RawRpc
from starfish_dao.domain.model import Model
from starfish_dao.relay.edge.redaction import scrub
from starfish_dao.relay.runtime.supervisor import Loop
from starfish_dao.relay.served.events import Broadcast
from starfish_dao.relay.served.verifier import VerifierProcess, compare_all

log = logging.getLogger("starfish.relay")


class ChainState:
    def __init__(self, sf: Starfish, verify_interval: float = 30.0) -> None:
        self.sf = sf
        self.rpc = RawRpc(sf.w3)
        self.verify_interval = verify_interval
        self.verification: dict[str, Any] = {"ok": None, "checks": 0, "failures": [], "at": None, "block": None}
        self._started_check = 0.0
        self.verified_at = 0.0  # time.monotonic() of the last completed check
        self.model = Model()
        self.lock = threading.Lock()
        self.block = sf.deployment.deploy_block - 1
        self.block_hash: str | None = None
        self.head_time = 0  # the latest block's timestamp, as last read
        self.revenue: list[dict[str, Any]] = []  # every payment in, for the page's chart
        self.feed = Broadcast()
        self.rebuilds = 0
        self._stop = threading.Event()
        self._ranges = LogRanges()  # what the last reads learned of the chain's density
        self._thread: Loop | None = None
        self.healthy = True
        # set by the relay: the comparison runs in a process of its own (relay/served/verifier.py)
        self.remote: VerifierProcess | None = None

    def refresh(self) -> int:
        watching = self.block >= self.sf.deployment.deploy_block
        calls = [("eth_getBlockByNumber", ["latest", False])]
        if watching:
            calls.append(("eth_getBlockByNumber", [hex(self.block), False]))
        answers = self.rpc.results(calls)
        head_block = answers[0]
        head = _num(head_block["number"])
        self.head_time = _num(head_block["timestamp"])
        if watching and (answers[1] is None or _hash(answers[1]["hash"]) != self.block_hash):
            self._rebuild(head)
        if head <= self.block:
            return 0
        head_hash = _hash(head_block["hash"])
        events = list(self.sf.logs(self.block + 1, head, ranges=self._ranges))
        with self.lock:
            self.model.apply_all(events)
            self.block, self.block_hash = head, head_hash
            self.revenue += [
                {"token": e["args"]["token"], "amount": str(e["args"]["amount"]), "timestamp": e["timestamp"]}
                for e in events if e["event"] == "RevenueReceived"
            ]  # fmt: skip
        self.feed.publish(events, public=False)
        return len(events)

    @property
    def history(self) -> list[dict[str, Any]]:
        """The recent events, public (as `GET /v1/events` sends them)."""
        return self.feed.recent()

    def _rebuild(self, head: int) -> None:
        """The chain rolled back under the model: start again from the deployment block."""
        log.warning("the chain rolled back below block %s (now at %s): rebuilding the model", self.block, head)
        with self.lock:
            self.model = Model()
            self.block, self.block_hash = self.sf.deployment.deploy_block - 1, None
            self.revenue = []
            self.rebuilds += 1
            # what was verified was of a chain that is gone: unverified until the rebuilt model is
            # checked, which the next refresh starts (not up to `verify_interval` later)
            self.verification = {**self.verification, "ok": None}
            self._started_check = float("-inf")
        self.feed.publish([{"contract": "relay", "event": "Rollback", "args": {"to": str(head)}, "block": head,
                            "logIndex": 0, "tx": None, "timestamp": None}])  # fmt: skip

    def start(self, interval: float = 0.5) -> None:
        self.refresh()
        self._thread = Loop(self._run, "chain-state", interval)

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(5)
        if self.remote is not None:
            self.remote.stop()

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                self.refresh()
                self.healthy = True
                if time.monotonic() - self._started_check >= self.verify_interval:
                    if self.remote is None:
                        self.verify()
                    elif self.remote.submit(self.block, self.model):  # a snapshot of what is served now
                        self._started_check = time.monotonic()
            except Exception as exc:  # noqa: BLE001 - chain down: serve the last known state
                self.healthy = False
                log.warning("state refresh: %s", exc)

    def verify(self) -> dict[str, Any]:
        """Every number the relay serves, compared with the contracts' own views (what `starfish
        verify` checks for state, money and governance), at the block the model has read; here, in
        this process (the relay's own runs in its verifier process)."""
        self._started_check = time.monotonic()
        # no lock: only this thread (refresh) changes the model, and readers only read it, so the
        # API keeps answering while the contracts are queried
        return self.verified(compare_all(self.sf, self.model, self.block))

    def verified(self, result: dict[str, Any]) -> dict[str, Any]:
        """Records an outcome (from `verify`, or from the verifier process)."""
        if "error" in result:  # the chain could not be read: the last outcome stands, and ages
            log.warning("verification: %s", scrub(str(result["error"])))
            return self.verification
        self.verification = result
        self.verified_at = time.monotonic()
        return self.verification


def _num(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def _hash(value: Any) -> str:
    return value if isinstance(value, str) else "0x" + bytes(value).hex()
