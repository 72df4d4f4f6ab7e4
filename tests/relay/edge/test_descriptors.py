"""Issue 24, finding 7: under a soft descriptor limit below the connection cap, connections ran out
of descriptors before the cap closed anything (valid actions failed, nothing was logged). The relay
raises its soft limit to what the cap needs, or, when the hard limit is lower, lowers the cap to fit
and says so."""

from __future__ import annotations

import resource
import socket
import time
from pathlib import Path

import requests

from tests.conftest import Dao
from tests.relay.processes import Running, start_relay


def _limit(soft: int, hard: int) -> object:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    return apply


def _open_files(pid: int) -> tuple[int, int]:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max open files"):
            soft, hard = line.split()[3:5]
            return int(soft), int(hard)
    raise AssertionError("no Max open files")


def _hold(relay: Running, count: int) -> list[socket.socket]:
    """`count` connections that send half their headers and wait (each holds a descriptor)."""
    sockets = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", relay.port))
        s.sendall(b"GET /v1/info HTTP/1.1\r\nHost: x\r\n")
        sockets.append(s)
    time.sleep(0.5)
    return sockets


def test_the_soft_descriptor_limit_is_raised_to_what_the_connection_cap_needs(dao: Dao, tmp_path: Path) -> None:
    relay = start_relay(dao, tmp_path, preexec_fn=_limit(256, 4096), max_connections="1000")
    sockets: list[socket.socket] = []
    try:
        soft, hard = _open_files(relay.proc.pid)
        assert hard == 4096 and soft >= 1000 + 100, (soft, hard)
        assert "soft limit raised from 256" in relay.log.read_text()
        sockets = _hold(relay, 400)  # more than the soft limit it started with
        assert requests.get(f"{relay.url}/v1/info", timeout=10).status_code == 200
        log = relay.log.read_text()
        assert "Too many open files" not in log and "out of system resource" not in log, log[-2000:]
    finally:
        for s in sockets:
            s.close()
        relay.stop()


def test_a_hard_limit_below_the_cap_lowers_the_cap_and_says_so(dao: Dao, tmp_path: Path) -> None:
    relay = start_relay(dao, tmp_path, preexec_fn=_limit(256, 256), max_connections="2048")
    sockets: list[socket.socket] = []
    try:
        assert _open_files(relay.proc.pid) == (256, 256)
        log = relay.log.read_text()
        assert "holds 128 connections, not MAX_CONNECTIONS=2048" in log, log[-2000:]
        assert "raise the hard limit" in log
        sockets = _hold(relay, 300)  # beyond what fits: closed at once by the cap, not by EMFILE
        assert relay.fds() < 256
        for s in sockets:
            s.close()
        sockets = []
        time.sleep(0.5)
        assert requests.get(f"{relay.url}/v1/info", timeout=10).status_code == 200
        log = relay.log.read_text()
        assert "Too many open files" not in log and "out of system resource" not in log, log[-2000:]
        assert "connection cap: 128 open connections" in log
    finally:
        for s in sockets:
            s.close()
        relay.stop()
