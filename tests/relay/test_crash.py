"""The relay as a real process: kill -9 it in the middle of submitting, restart it, and every
accepted action is mined exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests
from eth_account import Account

from starfish_dao.chain.backends import free_port
from starfish_dao.domain import typed_data as td
from tests.conftest import ETHER, Dao

N = 300


def _start(env: dict[str, str], port: int, log: Path,
           preexec_fn: Callable[[], object] | None = None) -> subprocess.Popen[bytes]:  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "starfish_dao.cli", "relay", "--port", str(port)],
        env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, preexec_fn=preexec_fn,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/v1/info", timeout=1).status_code == 200:
                return proc
        except requests.RequestException:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"the relay did not start: {log.read_text()[-3000:]}")


def test_kill_9_mid_submission_then_restart_mines_each_action_once(dao: Dao, tmp_path: Path) -> None:
    sf, chain = dao.sf, dao.chain
    relayer = Account.create()
    chain.fund(relayer.address, 100 * ETHER)
    manifest = dao.deployment.save(tmp_path / "deployments")
    port = free_port()
    env = {
        **os.environ,
        "STARFISH_HOME": str(tmp_path / "home"),
        "STARFISH_RPC_URL": chain.url,
        "STARFISH_RELAY_DEPLOYMENT": str(manifest),
        "STARFISH_RELAY_RELAYER_KEY": relayer.key.hex(),
        "STARFISH_RELAY_DB_PATH": str(tmp_path / "queue.sqlite3"),
        "STARFISH_RELAY_POLL_INTERVAL": "0.05",
        "STARFISH_RELAY_RATE_PER_IP": "100000",
        "STARFISH_RELAY_GAS_PER_IP_PER_HOUR": str(10**12),
    }
    before = sf.membership.functions.memberCount().call()
    joiners = [Account.create() for _ in range(N)]
    bodies = []
    for account in joiners:
        data = sf.typed_data_for("Join", {"member": account.address, "generation": 0, "nonce": 0, "deadline": 2**255})
        signature = account.sign_message(td.signable(data)).signature
        bodies.append({"action": "Join", "typedData": data, "signature": "0x" + bytes(signature).hex()})
    log = tmp_path / "relay.log"
    chain._dev("evm_setAutomine", [False])
    chain._dev("evm_setIntervalMining", [1])  # blocks every second: the kill lands mid-way
    relay = _start(env, port, log)
    try:
        session = requests.Session()
        ids = []
        for body in bodies:
            answer = session.post(f"http://127.0.0.1:{port}/v1/actions", json=body, timeout=30)
            assert answer.status_code == 202, answer.text
            ids.append(answer.json()["id"])
        deadline = time.monotonic() + 60
        while sf.membership.functions.memberCount().call() == before and time.monotonic() < deadline:
            time.sleep(0.05)
        mined_at_kill = sf.membership.functions.memberCount().call() - before
        os.kill(relay.pid, signal.SIGKILL)
        relay.wait()
        assert 0 < mined_at_kill < N, f"the kill was not mid-way ({mined_at_kill} of {N} mined)"
        relay = _start(env, port, log)
        deadline = time.monotonic() + 120
        states: list[str] = []
        while time.monotonic() < deadline:
            states = [session.get(f"http://127.0.0.1:{port}/v1/actions/{i}", timeout=30).json()["status"] for i in ids]
            if all(s == "mined" for s in states):
                break
            time.sleep(0.5)
        assert states.count("mined") == N, {s: states.count(s) for s in set(states)}
    finally:
        relay.kill()
        relay.wait()
        chain._dev("evm_setIntervalMining", [0])
        chain._dev("evm_setAutomine", [True])
    assert sf.membership.functions.memberCount().call() == before + N
    assert all(sf.membership.functions.isMember(a.address).call() for a in joiners)
    # exactly once: the relayer sent one transaction per action, no more
    assert sf.w3.eth.get_transaction_count(relayer.address) == N
    joined = [e for e in sf.logs() if e["event"] == "Joined" and e["args"]["member"] in {a.address for a in joiners}]
    assert len(joined) == N
