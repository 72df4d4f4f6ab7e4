"""What the relay's outbox sends, against a real relay process on a real anvil node (issue 15): a node
restarted from an older state loses nothing the relay accepted (5); at most MAX_IN_FLIGHT
transactions in the pool; the failure reason is the transaction's own, not a replay (11); and
failover: two relays, one killed mid-stream, nothing lost or doubled.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from pathlib import Path
from typing import Any

import requests
from eth_account import Account

from starfish_dao.chain.backends import RpcBackend, free_port
from starfish_dao.relay.client import RelayClient
from tests.conftest import ETHER, Dao, deploy_dao
from tests.relay.processes import Running, alive, anvil_process, descendants, relayer_nonce, signed, start_relay

# ---------------------------------------------------------------- 5: a chain that rolls back


def test_a_node_restarted_from_an_older_state_loses_nothing_the_relay_accepted(tmp_path: Path) -> None:
    port = free_port()
    state, old = tmp_path / "state.json", tmp_path / "old-state.json"
    node = anvil_process(port, state, None, tmp_path / "anvil.log")
    relay: Running | None = None
    try:
        chain = RpcBackend(f"http://127.0.0.1:{port}")
        dao = deploy_dao(chain)
        relay = start_relay(dao, tmp_path)
        first = [Account.create() for _ in range(5)]
        for account in first:
            answer = requests.post(f"{relay.url}/v1/actions", json=signed(dao.sf, account, "Join"), timeout=10)
            assert relay.wait(answer.json()["id"])["status"] == "mined"
        node.send_signal(signal.SIGTERM)  # anvil writes its state on the way out
        node.wait(20)
        shutil.copy(state, old)  # the "older state": five joins in
        node = anvil_process(port, state, None, tmp_path / "anvil.log")
        later = [Account.create() for _ in range(20)]
        ids = []
        for account in later:
            answer = requests.post(f"{relay.url}/v1/actions", json=signed(dao.sf, account, "Join"), timeout=10)
            assert answer.status_code == 202, answer.text
            ids.append(answer.json()["id"])
        for action_id in ids:
            assert relay.wait(action_id)["status"] == "mined"
        # the node dies without saving and comes back from the older dump: 20 joins are gone
        # the relay (and its submitter process) is paused while we look, so that it cannot
        # re-send before the loss is seen
        family = descendants(relay.proc.pid)
        for pid in family:
            os.kill(pid, signal.SIGSTOP)
        try:
            node.kill()
            node.wait(10)
            node = anvil_process(port, state, old, tmp_path / "anvil.log")
            members = dao.sf.membership.functions.memberCount().call()
        finally:
            for pid in family:
                os.kill(pid, signal.SIGCONT)
        assert len(family) == 3  # the relay, its submitter and its verifier
        assert members == 5 + 5  # the five founders' and members' joins, and the first five
        # the relay notices (its mined rows are above the chain's nonce), sends the same bytes
        # again, and the chain ends with every accepted action on it exactly once
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and dao.sf.membership.functions.memberCount().call() < 30:
            time.sleep(0.2)
        assert dao.sf.membership.functions.memberCount().call() == 30
        assert all(dao.sf.membership.functions.tokenOf(a.address).call() for a in first + later)
        assert relayer_nonce(dao, relay) == 25  # no gap, nothing doubled
        # new actions go through on the restored chain, and the relay's books follow it
        newcomer = Account.create()
        answer = requests.post(f"{relay.url}/v1/actions", json=signed(dao.sf, newcomer, "Join"), timeout=10)
        assert relay.wait(answer.json()["id"])["status"] == "mined"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if requests.get(f"{relay.url}/v1/members/{newcomer.address}", timeout=10).json()["member"]:
                break
            time.sleep(0.2)
        info = requests.get(f"{relay.url}/v1/members", timeout=10).json()
        assert sum(1 for m in info if m["member"]) == 31
        states = [requests.get(f"{relay.url}/v1/actions/{i}", timeout=10).json() for i in ids]
        assert all(s["status"] == "mined" for s in states)
        assert "rollback" in relay.log.read_text()
    finally:
        if relay is not None:
            relay.stop()
        node.kill()


def test_the_relayer_keeps_at_most_max_in_flight_transactions_in_the_pool(dao: Dao, tmp_path: Path) -> None:
    """A node keeps only a few transactions per sender (and anvil slows with a long pool): with
    automine off, ten accepted actions put only MAX_IN_FLIGHT in the pool; the rest follow as
    blocks are mined, all of them, each once."""
    relay = start_relay(dao, tmp_path, max_in_flight="4")
    rpc = dao.sf.w3.provider.make_request
    rpc("evm_setAutomine", [False])
    try:
        ids = []
        for _ in range(10):
            answer = requests.post(f"{relay.url}/v1/actions", json=signed(dao.sf, Account.create(), "Join"), timeout=10)
            assert answer.status_code == 202, answer.text
            ids.append(answer.json()["id"])
        address = relay.relayer.address

        def in_pool() -> int:
            eth = dao.sf.w3.eth
            return int(eth.get_transaction_count(address, "pending")) - int(eth.get_transaction_count(address))

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and in_pool() < 4:
            time.sleep(0.05)
        time.sleep(1)  # time for the submitter to (wrongly) send more
        assert in_pool() == 4
        statuses = [requests.get(f"{relay.url}/v1/actions/{i}", timeout=10).json()["status"] for i in ids]
        assert statuses.count("sent") == 4 and statuses.count("accepted") == 6, statuses
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and relayer_nonce(dao, relay) < 10:
            assert in_pool() <= 4
            rpc("evm_mine", [])
            time.sleep(0.1)
        rpc("evm_mine", [])
    finally:
        rpc("evm_setAutomine", [True])
    try:
        assert relayer_nonce(dao, relay) == 10
        assert all(relay.wait(i)["status"] == "mined" for i in ids)
    finally:
        relay.stop()


# ---------------------------------------------------------------- 11: why it failed


def test_the_failure_reason_is_the_transactions_own_not_a_replay(dao: Dao, relay_process: Running) -> None:
    """The relay's joinBySig lands second in a block, after the member joined directly: it reverts
    (the signature's generation is stale now), which a replay at the start of the block would not
    show: there it succeeds."""
    newcomer = Account.create()
    dao.chain.fund(newcomer.address, ETHER)
    dao.chain._dev("evm_setAutomine", [False])
    try:
        answer = requests.post(f"{relay_process.url}/v1/actions", json=signed(dao.sf, newcomer, "Join"), timeout=10)
        assert answer.status_code == 202
        action_id = answer.json()["id"]
        deadline = time.monotonic() + 20
        while requests.get(f"{relay_process.url}/v1/actions/{action_id}", timeout=10).json()["status"] != "sent":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        call = dao.sf.membership.functions.join()
        tx = call.build_transaction({"from": newcomer.address, "nonce": 0, "gas": 300_000, "chainId": 31337,
                                     "maxFeePerGas": 10**12, "maxPriorityFeePerGas": 10**11})  # fmt: skip
        dao.sf.w3.eth.send_raw_transaction(newcomer.sign_transaction(tx).raw_transaction)
        dao.chain._dev("evm_mine", [])
    finally:
        dao.chain._dev("evm_setAutomine", [True])
    state = relay_process.wait(action_id)
    assert state["status"] == "failed"
    assert state["error"]["name"] == "MembershipStaleSignature", state["error"]
    assert "replayed" not in state["error"]  # from the transaction's own trace
    block = dao.sf.w3.eth.get_block(state["block"])
    assert len(block["transactions"]) == 2  # it was not first in its block


# ---------------------------------------------------------------- failover


def test_two_relays_one_killed_mid_stream_nothing_lost_or_doubled(dao: Dao, tmp_path: Path) -> None:
    first = start_relay(dao, tmp_path, name="first")
    second = start_relay(dao, tmp_path, name="second")
    try:
        joiners = [Account.create() for _ in range(40)]
        bodies = [signed(dao.sf, a, "Join") for a in joiners]
        results: list[dict[str, Any]] = []
        killed = threading.Event()

        family: list[int] = []

        def kill_first_soon() -> None:
            time.sleep(0.4)
            family.extend(descendants(first.proc.pid))
            first.proc.kill()  # kill -9, mid-stream
            killed.set()

        threading.Thread(target=kill_first_soon, daemon=True).start()
        client = RelayClient([first.url, second.url], timeout=5)
        for body in bodies:
            results.append(client.submit(body, timeout=30))
            time.sleep(0.02)
        assert killed.is_set()
        # its submitter and verifier died with it (an orphan submitter would go on sending what the
        # second relay carries)
        assert len(family) == 3
        for pid in family[1:]:
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and alive(pid):
                time.sleep(0.05)
            assert not alive(pid)
        assert all(r["status"] == "mined" for r in results), [r for r in results if r["status"] != "mined"]
        relays = {r["relay"] for r in results}
        assert relays == {first.url, second.url}  # both carried some
        for account in joiners:
            assert dao.sf.membership.functions.tokenOf(account.address).call() != 0
        joined = dao.sf.membership.events.Joined().get_logs(from_block=dao.deployment.deploy_block)
        assert len([e for e in joined if e["args"]["member"] in {a.address for a in joiners}]) == len(joiners)
        for relay in (first, second):  # and not one transaction of either relay reverted
            for block_number in range(dao.deployment.deploy_block, dao.sf.w3.eth.block_number + 1):
                for tx_hash in dao.sf.w3.eth.get_block(block_number)["transactions"]:
                    tx = dao.sf.w3.eth.get_transaction(tx_hash)
                    if tx["from"] == relay.relayer.address:
                        assert dao.sf.w3.eth.get_transaction_receipt(tx_hash)["status"] == 1
    finally:
        first.stop()
        second.stop()
