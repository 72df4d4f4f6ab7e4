"""The relay's comparison of what it serves with the contracts, in a process of its own.

Every `verify_interval` the relay's state thread hands this process a snapshot of the model it
serves (pickled: 2 ms and 0.2 MB at 2,000 members) and the block it has read; the process compares
every number with the contracts' own views at that block (what `starfish verify` checks for state,
money and governance) and answers with the outcome. In the accepting process the same comparison
held the interpreter lock for 0.3 s of CPU per 700 members and pushed the accept p99 at 200
actions/s from 24 ms to 136-203 ms while it ran; here it costs the accepting process the pickling.

The pipe carries settings first (one JSON line: RPC URL and deployment, no key), then frames of
(length, pickle of (block, model)); answers come back as JSON lines. Only the relay writes to the
pipe, so unpickling trusts its writer. The process dies with its relay (end of file on stdin, and
PR_SET_PDEATHSIG on Linux).
"""

from __future__ import annotations

import contextlib
import json
import logging
import pickle
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from starfish_dao.relay.runtime import child

log = logging.getLogger("starfish.relay")


def compare_all(sf: Any, model: Any, block: int) -> dict[str, Any]:
    """Every served number against the contracts at `block`: the outcome the relay serves."""
    from starfish_dao.verify.governance import check_governance
    from starfish_dao.verify.state import compare

    checks = compare(sf, model, block)
    now = int(sf.w3.eth.get_block(block)["timestamp"])
    checks += check_governance(sf, model, now, block)
    failures = [str(c) for c in checks if not c.ok]
    return {"ok": not failures, "checks": len(checks), "failures": failures[:50], "at": now, "block": block}


class VerifierProcess:
    """The parent's side: `submit` sends a snapshot unless one is being checked; `on_result` hears
    each outcome (from a reader thread). A process that died is started again on the next submit."""

    def __init__(self, config: dict[str, Any], on_result: Callable[[dict[str, Any]], object],
                 nice: int = 10) -> None:  # fmt: skip
        self.config = {**config, "nice": nice}
        self.on_result = on_result
        self.proc: subprocess.Popen[bytes] | None = None
        self.busy_since: float | None = None
        self.timeout = 600.0
        self._lock = threading.Lock()

    def start(self) -> None:
        self.proc = child.spawn("starfish_dao.relay.served.verifier", self.config, stdout=subprocess.PIPE)
        threading.Thread(target=self._read, args=(self.proc,), name="verifier-reader", daemon=True).start()

    def submit(self, block: int, model: Any) -> bool:
        """Sends the snapshot; False if the last one is still being checked (nothing sent)."""
        with self._lock:
            if self.busy_since is not None:
                if time.monotonic() - self.busy_since < self.timeout:
                    return False
                log.warning("verification: no answer in %.0f s; restarting the verifier", self.timeout)
                self._kill()
            if self.proc is None or self.proc.poll() is not None:
                self.start()
            assert self.proc is not None and self.proc.stdin is not None
            frame = pickle.dumps((block, model), protocol=pickle.HIGHEST_PROTOCOL)
            try:
                self.proc.stdin.write(struct.pack(">Q", len(frame)) + frame)
                self.proc.stdin.flush()
            except OSError as exc:  # it died meanwhile: the next round starts another
                log.warning("verification: the verifier is gone (%s)", exc)
                self._kill()
                return False
            self.busy_since = time.monotonic()
            return True

    def _read(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            try:
                result = json.loads(line)
            except ValueError:
                continue
            with self._lock:
                if proc is self.proc:
                    self.busy_since = None
            if proc is self.proc:
                self.on_result(result)
        with self._lock:
            if proc is self.proc:
                self.busy_since = None

    def _kill(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(OSError):
                self.proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(5)
        self.proc, self.busy_since = None, None

    def stop(self) -> None:
        with self._lock:
            if self.proc is not None:
                child.stop(self.proc, 10)
            self.proc = None


def _child() -> None:
    from starfish_dao.chain.backends import connect
    from starfish_dao.chain.client import Starfish
    from starfish_dao.chain.deployment import Deployment
    from starfish_dao.relay.edge.redaction import scrub

    config = child.setup("verifier")  # niced: the accepting process comes first on a shared machine
    source = sys.stdin.buffer
    sf: Starfish | None = None
    out = sys.stdout.buffer
    while True:
        header = source.read(8)
        if len(header) < 8:
            return  # the relay is gone
        (size,) = struct.unpack(">Q", header)
        block, model = pickle.loads(source.read(size))
        try:
            if sf is None:  # connected at the first snapshot (the node may be down when this starts)
                sf = Starfish(connect(config.get("rpc_url")).w3, Deployment.from_json(config["deployment"]))
            result = compare_all(sf, model, block)
        except Exception as exc:  # noqa: BLE001 - the chain down: said, and tried again next round
            result = {"error": scrub(str(exc)), "block": block}
        out.write(json.dumps(result).encode() + b"\n")
        out.flush()


if __name__ == "__main__":
    _child()
