"""The relay's view of the DAO: the reference model, kept current by polling logs, and a feed of
new events for server-sent-event subscribers."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

from starfish_dao.chain.client import Starfish
from starfish_dao.domain.model import Model

log = logging.getLogger("starfish.relay")


class ChainState:
    def __init__(self, sf: Starfish, verify_interval: float = 30.0) -> None:
        self.sf = sf
        self.verify_interval = verify_interval
        self.verification: dict[str, Any] = {"ok": None, "checks": 0, "failures": [], "at": None, "block": None}
        self._started_check = 0.0
        self.verified_at = 0.0  # time.monotonic() of the last completed check
        self.model = Model()
        self.lock = threading.Lock()
        self.block = sf.deployment.deploy_block - 1
        self.history: list[dict[str, Any]] = []  # recent events, for new subscribers
        self.revenue: list[dict[str, Any]] = []  # every payment in, for the page's chart
        self._subscribers: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[dict[str, Any]]]] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.healthy = True

    def refresh(self) -> int:
        head = int(self.sf.w3.eth.block_number)
        if head <= self.block:
            return 0
        events = list(self.sf.logs(self.block + 1, head))
        with self.lock:
            self.model.apply_all(events)
            self.block = head
            self.history = (self.history + [_public(e) for e in events])[-1000:]
            self.revenue += [
                {"token": e["args"]["token"], "amount": str(e["args"]["amount"]), "timestamp": e["timestamp"]}
                for e in events if e["event"] == "RevenueReceived"
            ]  # fmt: skip
        for event in events:
            self._publish(_public(event))
        return len(events)

    def start(self, interval: float = 0.5) -> None:
        self.refresh()
        self._thread = threading.Thread(target=self._run, args=(interval,), name="chain-state", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(5)

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                self.refresh()
                self.healthy = True
                if time.monotonic() - self._started_check >= self.verify_interval:
                    self.verify()
            except Exception as exc:  # noqa: BLE001 - chain down: serve the last known state
                self.healthy = False
                log.warning("state refresh: %s", exc)

    def verify(self) -> dict[str, Any]:
        """Every number the relay serves, compared with the contracts' own views (what `starfish
        verify` checks for state, money and governance), at the block the model has read."""
        from starfish_dao.verify.governance import check_governance
        from starfish_dao.verify.state import compare

        self._started_check = time.monotonic()
        # no lock: only this thread (refresh) changes the model, and readers only read it, so the
        # API keeps answering while the contracts are queried
        block = self.block
        checks = compare(self.sf, self.model, block)
        now = int(self.sf.w3.eth.get_block(block)["timestamp"])
        checks += check_governance(self.sf, self.model, now, block)
        failures = [str(c) for c in checks if not c.ok]
        self.verification = {"ok": not failures, "checks": len(checks), "failures": failures[:50], "at": now,
                             "block": block}  # fmt: skip
        self.verified_at = time.monotonic()
        return self.verification

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=10_000)
        self._subscribers.add((asyncio.get_running_loop(), queue))
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self._subscribers = {(loop, q) for loop, q in self._subscribers if q is not queue}

    def _publish(self, event: dict[str, Any]) -> None:
        for loop, queue in list(self._subscribers):
            loop.call_soon_threadsafe(_offer, queue, event)


def _offer(queue: asyncio.Queue[dict[str, Any]], event: dict[str, Any]) -> None:
    if not queue.full():
        queue.put_nowait(event)


def _public(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "contract": event["contract"],
        "event": event["event"],
        "args": {
            k: (
                "0x" + v.hex()
                if isinstance(v, bytes)
                else str(v)
                if isinstance(v, int) and not isinstance(v, bool)
                else v
            )
            for k, v in event["args"].items()
        },
        "block": event["block"],
        "logIndex": event["log_index"],
        "tx": event["tx"],
        "timestamp": event["timestamp"],
    }
