"""The submitter in a process of its own, so that signing and following the chain never hold the
accepting process's interpreter lock.

The parent's side is `SubmitterProcess`; the child is this module run as
`python -m starfish_dao.relay.outbox.process` (`runtime/child.py` starts it). Its settings (the key
among them) go over a pipe, never the command line or the environment; the pipe also tells it when
the relay is gone (end of file), so an orphan never outlives its relay. A lock file makes sure that
only one submitter works on a queue, whatever crashed before. The child writes its health to a
status file about once a second.
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

from starfish_dao.relay.outbox.queue import Queue
from starfish_dao.relay.outbox.submitter import Submitter
from starfish_dao.relay.runtime import child

log = logging.getLogger("starfish.relay")


class SubmitterProcess:
    """The parent's side: starts the child with its settings, stops it (end of file on its stdin),
    and reads its health from the status file the child writes about once a second."""

    #: a child that wrote no status for this long (stopped, hung) is killed and replaced
    stale = 30.0

    def __init__(self, config: dict[str, Any], status_file: Path) -> None:
        self.config = config
        self.status_file = status_file
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0

    def start(self) -> None:
        self.status_file.unlink(missing_ok=True)
        self.started_at = time.monotonic()
        self.proc = child.spawn("starfish_dao.relay.outbox.process", self.config)

    def stop(self) -> None:
        if self.proc is not None:
            child.stop(self.proc, 15)

    def _status(self) -> dict[str, Any] | None:
        try:
            status: dict[str, Any] = json.loads(self.status_file.read_text())
            return status
        except (OSError, ValueError):
            return None

    @property
    def alive(self) -> bool:
        """Running and heard from: a child that exited, or that wrote no status for `stale`
        seconds (stopped with SIGSTOP, hung in a call), is not."""
        if self.proc is None or self.proc.poll() is not None:
            return False
        status = self._status()
        if status is None:  # starting up: it writes its first status within a second or two
            return time.monotonic() - self.started_at < self.stale
        return time.time() - float(status.get("at", 0)) < self.stale

    def revive(self) -> None:
        """A new child for one that exited (killed, crashed) or went silent (killed first): it takes
        the queue's lock and what the queue holds, as a restarted relay's submitter does."""
        if self.proc is not None and self.proc.poll() is None:
            log.error("the submitter process wrote no status for %.0f s (stopped or hung); killing it and "
                      "starting another", self.stale)  # fmt: skip
            self.proc.kill()
            self.proc.wait(10)
        elif self.proc is not None:
            log.error("the submitter process exited (status %s); starting another", self.proc.returncode)
        self.start()

    @property
    def healthy(self) -> bool:
        if not self.alive:
            return False
        status = self._status()
        return status is None or bool(status.get("healthy"))  # None: starting up, within `stale`

    @property
    def last_error(self) -> str:
        status = self._status()
        return "" if status is None else str(status.get("error", ""))


def _write_status(path: Path, **fields: Any) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"pid": os.getpid(), "at": time.time(), **fields}))
    tmp.replace(path)


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
            _write_status(status, healthy=False, error=f"cannot read the chain to start ({type(exc).__name__})")
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
            _write_status(status, healthy=submitter.healthy, error=submitter.last_error,
                          rollbacks=submitter.rollbacks)  # fmt: skip
        submitter._stop.wait(min(interval, submitter.linger) if busy else interval)
    queue.close()


if __name__ == "__main__":
    _child()
