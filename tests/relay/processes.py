"""Relays and nodes as real processes for the tests: a relay started as `starfish relay` on a real
anvil node (`start_relay`, the `relay_process` fixture in tests/relay/conftest.py), an anvil of
one's own (`anvil_process`), signed bodies as a client posts them, and what to look at afterwards
(the relayer's nonce, its reverted transactions, a process's descendants)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount

from starfish_dao.chain.backends import anvil_binary, anvil_home, free_port
from tests.conftest import ETHER, Dao
from tests.relay.test_crash import _start


@dataclass
class Running:
    url: str
    port: int
    proc: subprocess.Popen[bytes]
    log: Path
    relayer: LocalAccount

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def fds(self) -> int:
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def wait(self, action_id: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = requests.get(f"{self.url}/v1/actions/{action_id}", timeout=10).json()
            if state["status"] in ("mined", "failed"):
                return dict(state)
            time.sleep(0.05)
        raise AssertionError(f"{action_id} still {state['status']}")


def start_relay(dao: Dao, tmp: Path, name: str = "relay", rpc: str | None = None,
                preexec_fn: Any = None, **settings: str) -> Running:  # fmt: skip
    relayer = Account.create()
    dao.chain.fund(relayer.address, 100 * ETHER)
    port = free_port()
    tmp.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "STARFISH_HOME": str(tmp / f"{name}-home"),
        "STARFISH_RPC_URL": rpc or dao.chain.url,
        "STARFISH_RELAY_DEPLOYMENT": str(dao.deployment.save(tmp / f"{name}-deployments")),
        "STARFISH_RELAY_RELAYER_KEY": relayer.key.hex(),
        "STARFISH_RELAY_DB_PATH": str(tmp / f"{name}.sqlite3"),
        "STARFISH_RELAY_POLL_INTERVAL": "0.05",
        "STARFISH_RELAY_RATE_PER_IP": "100000",
        "STARFISH_RELAY_GAS_PER_IP_PER_HOUR": str(10**12),
        "STARFISH_RELAY_CONFIRMATIONS": "1",
        **{f"STARFISH_RELAY_{k.upper()}": v for k, v in settings.items()},
    }
    log = tmp / f"{name}.log"
    return Running(f"http://127.0.0.1:{port}", port, _start(env, port, log, preexec_fn), log, relayer)


def signed(sf: Any, account: LocalAccount, action: str, **fields: Any) -> dict[str, Any]:
    signed_action = sf.sign(account, action, **fields)
    return {"action": action, "typedData": signed_action.typed_data, "signature": "0x" + signed_action.signature.hex()}


def signed_commit(sf: Any, account: LocalAccount, commitment: bytes) -> dict[str, Any]:
    """A Commit as the relay carries it: signed by the member (a RelayCommit, for the relay only)."""
    from starfish_dao.domain import typed_data as td
    from starfish_dao.relay.intake import commits

    data = commits.typed_data(sf.deployment.chain_id, sf.registry.address, account.address, "0x" + commitment.hex(),
                              sf.now() + 3600)  # fmt: skip
    return {
        "action": "Commit",
        "typedData": data,
        "signature": "0x" + bytes(account.sign_message(td.signable(data)).signature).hex(),
    }


def descendants(root: int) -> list[int]:
    """``root`` and every process below it (read from /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, []))
    return found


def alive(pid: int) -> bool:
    """Running (not gone, not a zombie waiting to be reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def relayer_nonce(dao: Dao, relay: Running) -> int:
    """How many transactions the relay's relayer has sent (and had mined)."""
    return int(dao.sf.w3.eth.get_transaction_count(relay.relayer.address))


def reverted(dao: Dao, relay: Running) -> int:
    """How many of the relayer's mined transactions reverted."""
    from web3.exceptions import BlockNotFound

    count = 0
    for number in range(int(dao.sf.w3.eth.block_number) + 1):
        try:
            block = dao.sf.w3.eth.get_block(number, full_transactions=True)
        except BlockNotFound:  # a block a rollback took away after the height was read: nothing mined in it
            continue
        for tx in block["transactions"]:
            if tx["from"] == relay.relayer.address:
                count += int(dao.sf.w3.eth.get_transaction_receipt(tx["hash"])["status"]) == 0
    return count


def anvil_process(port: int, state: Path, load: Path | None, log: Path) -> subprocess.Popen[bytes]:
    """An anvil node on `port` keeping its state in `state` (started from a copy of `load` if given)."""
    binary = anvil_binary()
    assert binary is not None
    args = [str(binary), "--host", "127.0.0.1", "--port", str(port), "--chain-id", "31337", "--accounts", "1",
            "--block-base-fee-per-gas", "0", "--silent", "--state", str(state)]  # fmt: skip
    if load is not None:
        shutil.copy(load, state)  # start from the older dump
    proc = subprocess.Popen(args, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
                            env=anvil_home(state.parent))  # fmt: skip
    for _ in range(200):
        try:
            if requests.post(f"http://127.0.0.1:{port}", json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId",
                                                                "params": []}, timeout=1).ok:  # fmt: skip
                return proc
        except requests.RequestException:
            time.sleep(0.05)
    raise AssertionError("anvil did not start")


def raw_request(port: int, data: bytes, read: bool = True, timeout: float = 10) -> bytes:
    """`data` sent as is to 127.0.0.1:`port`, and all that comes back until it closes or times out."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        if not read:
            return b""
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)
