"""The relay under attack and under real traffic: one test (at least) for each defect an independent
review found (issue 15), each against a real relay process on a real anvil node.

1 free gas through Claim; 2 conflicting signed actions of one signer; 3 a second claim after new
revenue; 4 secrets in messages (tests/relay/routes/test_api.py); 5 a chain that rolls back; 6 size limits
while streaming, upload budgets and auth; 7 SSE fan-out; 8 header and body timeouts, connection
cap; 9 spoofed X-Forwarded-For; 10 cross-origin posts; 11 failure reasons of a transaction that was
not first in its block; 12 one error shape (tests/relay/routes/test_api.py); 13 nonces pushed by repeated
typed-data requests. And failover: two relays, one killed mid-stream, nothing lost or doubled.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount

from starfish_dao.chain.backends import RpcBackend, anvil_binary, anvil_home, free_port
from starfish_dao.relay.client import RelayClient
from tests.conftest import ETHER, Dao, deploy_dao, founders_first_work
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


@pytest.fixture()
def relay(dao: Dao, tmp_path: Path) -> Iterator[Running]:
    running = start_relay(dao, tmp_path)
    try:
        yield running
    finally:
        running.stop()


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


def _descendants(root: int) -> list[int]:
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


def _alive(pid: int) -> bool:
    """Running (not gone, not a zombie waiting to be reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def relayer_nonce(dao: Dao, relay: Running) -> int:
    return int(dao.sf.w3.eth.get_transaction_count(relay.relayer.address))


# ---------------------------------------------------------------- 1, 2, 3, 13: no free gas


def test_claims_of_nothing_and_finalizes_of_nothing_cost_the_relay_nothing(dao: Dao, relay: Running) -> None:
    answers = [
        requests.post(
            f"{relay.url}/v1/actions", json={"action": "Claim", "member": Account.create().address}, timeout=10
        )
        for _ in range(30)
    ]
    assert {a.status_code for a in answers} == {422}
    assert {a.json()["code"] for a in answers} == {"nothing_to_claim"}
    finalized = requests.post(f"{relay.url}/v1/actions", json={"action": "Finalize", "contribution": 999}, timeout=10)
    assert finalized.status_code == 422 and finalized.json()["code"] == "would_revert"
    assert relayer_nonce(dao, relay) == 0  # not one transaction was sent
    assert dao.sf.w3.eth.get_balance(relay.relayer.address) == 100 * ETHER  # nor a wei of gas spent


def test_conflicting_actions_of_one_signer_are_refused_before_they_cost_gas(dao: Dao, relay: Running) -> None:
    """60 Joins from one fresh key, some with the same nonce, some with other nonces, all at once:
    exactly one is accepted; the others are refused before 202; nothing reverts on chain."""
    newcomer = Account.create()
    bodies = []
    for i in range(60):
        nonce = 0 if i % 2 else i  # half reuse nonce 0, half take their own
        bodies.append(signed(dao.sf, newcomer, "Join", nonce=nonce, deadline=dao.sf.now() + 3600 + i))

    def post(body: dict[str, Any]) -> requests.Response:
        return requests.post(f"{relay.url}/v1/actions", json=body, timeout=30)

    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(post, bodies))
    accepted = [a for a in answers if a.status_code == 202]
    refused = [a for a in answers if a.status_code != 202]
    assert len(accepted) == 1, [a.text for a in answers if a.status_code not in (409,)]
    assert {a.json()["code"] for a in refused} <= {
        "conflicts_with_pending",
        "nonce_pending",
        "nonce_used",
        "would_revert",
    }
    assert relay.wait(accepted[0].json()["id"])["status"] == "mined"
    # once it is mined, another Join is refused by the plain simulation, still before any gas
    late = post(signed(dao.sf, newcomer, "Join", nonce=7, deadline=dao.sf.now() + 3600))
    assert late.status_code == 422 and late.json()["contractError"] == "MembershipAlreadyMember"
    assert relayer_nonce(dao, relay) == 1  # one transaction, and it succeeded


def test_a_member_claims_through_the_relay_again_after_new_revenue(dao: Dao, relay: Running) -> None:
    founders_first_work(dao)  # genesis standing earns no pay: the founders' first work does
    ada = dao["ada"].address
    for round_ in range(3):
        dao.sf.pay_eth(dao["zed"], ETHER)
        owed = dao.sf.claimable(ada)
        before = dao.sf.w3.eth.get_balance(ada)
        first = requests.post(f"{relay.url}/v1/actions", json={"action": "Claim", "member": ada}, timeout=10)
        again = requests.post(f"{relay.url}/v1/actions", json={"action": "Claim", "member": ada}, timeout=10)
        assert first.status_code == 202, (round_, first.text)
        # asked again while the first is in flight: the same action, not a second transaction
        if again.status_code == 200:
            assert again.json()["id"] == first.json()["id"] and again.json()["duplicate"] is True
        else:  # the first was mined already: nothing is owed any more
            assert again.status_code == 422 and again.json()["code"] == "nothing_to_claim"
        state = relay.wait(first.json()["id"])
        assert state["status"] == "mined" and state["result"] == {"amount": owed}
        assert dao.sf.w3.eth.get_balance(ada) == before + owed


def test_typed_data_hands_out_the_same_lowest_free_nonce_however_often_it_is_asked(dao: Dao, relay: Running) -> None:
    member = Account.create().address
    nonces = {
        requests.post(
            f"{relay.url}/v1/actions/typed-data", json={"action": "Join", "signer": member}, timeout=10
        ).json()["typedData"]["message"]["nonce"]
        for _ in range(40)
    }
    assert nonces == {0}


def test_gas_budgets_per_ip_and_per_signer(dao: Dao, tmp_path: Path) -> None:
    relay = start_relay(dao, tmp_path, gas_per_ip_per_hour="450000", gas_per_signer_per_hour="10000000")
    try:
        codes = []
        for _ in range(3):  # a Join may use 200,000 gas: two fit in 450,000, the third does not
            answer = requests.post(f"{relay.url}/v1/actions", json=signed(dao.sf, Account.create(), "Join"), timeout=10)
            codes.append((answer.status_code, answer.json().get("code")))
        assert codes[:2] == [(202, None), (202, None)] and codes[2] == (429, "gas_budget"), codes
        assert int(answer.headers["Retry-After"]) > 0
    finally:
        relay.stop()


def test_a_signers_gas_budget_holds_whatever_ip_it_comes_from(dao: Dao, tmp_path: Path) -> None:
    """One signer may have the relay spend GAS_PER_SIGNER_PER_HOUR: a Join (200,000) fits in
    300,000, the same member's Leave (150,000) does not; another signer is not held back."""
    relay = start_relay(dao, tmp_path, gas_per_signer_per_hour="300000")
    try:
        member = Account.create()
        joined = requests.post(f"{relay.url}/v1/actions", json=signed(dao.sf, member, "Join"), timeout=10)
        assert joined.status_code == 202, joined.text
        assert relay.wait(joined.json()["id"])["status"] == "mined"
        dao.chain.increase_time(1)
        leave = requests.post(f"{relay.url}/v1/actions", json=signed(dao.sf, member, "Leave"), timeout=10)
        assert leave.status_code == 429 and leave.json()["code"] == "gas_budget", leave.text
        assert member.address in leave.json()["detail"]
        other = requests.post(f"{relay.url}/v1/actions", json=signed(dao.sf, Account.create(), "Join"), timeout=10)
        assert other.status_code == 202, other.text
    finally:
        relay.stop()


def test_no_single_action_above_the_gas_cap_and_signatures_live_signature_ttl(dao: Dao, tmp_path: Path) -> None:
    """A Finalize may need 350,000 + 60,000 per listed token: above GAS_CAP it is refused before any
    simulation; typed data is valid for SIGNATURE_TTL unless the client asks otherwise."""
    relay = start_relay(dao, tmp_path, gas_cap="300000", signature_ttl="7200")
    try:
        answer = requests.post(f"{relay.url}/v1/actions", json={"action": "Finalize", "contribution": 1}, timeout=10)
        assert answer.status_code == 422 and answer.json()["code"] == "gas_cap", answer.text
        assert "300,000" in answer.json()["detail"]
        ada = dao["ada"].address

        def deadline(**extra: Any) -> int:
            body = {"action": "Leave", "signer": ada, **extra}
            typed = requests.post(f"{relay.url}/v1/actions/typed-data", json=body, timeout=10)
            assert typed.status_code == 200, typed.text
            return int(typed.json()["typedData"]["message"]["deadline"])

        assert abs(deadline() - dao.sf.now() - 7200) <= 5
        assert abs(deadline(ttl=600) - dao.sf.now() - 600) <= 5
    finally:
        relay.stop()


def test_secrets_in_the_node_url_never_reach_the_log_or_an_answer(dao: Dao, tmp_path: Path) -> None:
    """The node's URL carries its API key: when the node goes away the relay and its submitter log
    and answer what failed, never the key."""
    port = free_port()
    node = _anvil(port, tmp_path / "state.json", None, tmp_path / "anvil.log")
    relay: Running | None = None
    try:
        url = f"http://127.0.0.1:{port}/?apikey=SECRET-KEY-42"
        own = deploy_dao(RpcBackend(url))
        relay = start_relay(own, tmp_path, rpc=url)
        joined = requests.post(f"{relay.url}/v1/actions", json=signed(own.sf, Account.create(), "Join"), timeout=10)
        assert relay.wait(joined.json()["id"])["status"] == "mined"
        node.kill()
        node.wait(10)
        down = requests.post(f"{relay.url}/v1/actions", json={"action": "Claim", "member": own["ada"].address},
                             timeout=30)  # fmt: skip
        assert down.status_code == 503 and down.json()["code"] == "chain_unavailable", down.text
        time.sleep(2)  # the submitter and the state poller fail a few times meanwhile
        log = relay.log.read_text()
        assert "SECRET-KEY-42" not in down.text
        # both processes logged what failed (host and port, never the URL's path or query)
        assert "submitter: " in log and "state refresh: " in log and "connection failed" in log
        assert "SECRET-KEY-42" not in log and "apikey" not in log
    finally:
        if relay is not None:
            relay.stop()
        node.kill()


# ---------------------------------------------------------------- found by an attacker after the fixes


def _reverted(dao: Dao, relay: Running) -> int:
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


def test_a_signature_that_expires_before_it_can_be_mined_costs_nothing(dao: Dao, relay: Running) -> None:
    """A deadline at the latest block's time passes a check at that time and reverts in the next
    block (20 of 20 did, 535,190 gas): the relay checks and simulates at the time it will mine."""
    latest = int(dao.sf.w3.eth.get_block("latest")["timestamp"])
    for deadline in (latest, latest + 1, latest + 30):
        answer = requests.post(f"{relay.url}/v1/actions", timeout=10,
                               json=signed(dao.sf, Account.create(), "Join", deadline=deadline))  # fmt: skip
        assert answer.status_code == 422 and answer.json()["code"] == "expired", answer.text
    later = max(latest, int(time.time())) + 600
    ok = requests.post(f"{relay.url}/v1/actions", json=signed(dao.sf, Account.create(), "Join", deadline=later),
                       timeout=10)  # fmt: skip
    assert ok.status_code == 202, ok.text
    assert relay.wait(ok.json()["id"])["status"] == "mined"
    assert relayer_nonce(dao, relay) == 1 and _reverted(dao, relay) == 0


def test_a_signer_with_code_cannot_make_the_relay_pay_for_a_revert(dao: Dao, relay: Running) -> None:
    """An EOA delegated (EIP-7702) to code whose isValidSignature answers yes only when the gas price
    is 0 passes every simulation and reverts in every real transaction: the relay does not relay
    for a signer with code."""
    w3 = dao.sf.w3
    attacker = Account.create()
    dao.chain.fund(attacker.address, ETHER)

    def send(tx: dict[str, Any]) -> Any:
        tx.update(chainId=31337, nonce=w3.eth.get_transaction_count(attacker.address), maxFeePerGas=2 * 10**9,
                  maxPriorityFeePerGas=10**9, gas=tx.get("gas", 300_000))  # fmt: skip
        raw = attacker.sign_transaction(tx).raw_transaction
        return w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(raw))

    runtime = bytes.fromhex("631626ba7e60e01b3a150260005260206000f3")  # magic value iff tx.gasprice == 0
    init = bytes.fromhex(f"60{len(runtime):02x}80600b6000396000f3") + runtime
    delegate = send({"data": "0x" + init.hex(), "value": 0}).contractAddress
    signer = Account.create()
    authorization = signer.sign_authorization({"chainId": 31337, "address": delegate, "nonce": 0})
    assert send({"to": attacker.address, "value": 0, "authorizationList": [authorization], "gas": 100_000}).status == 1
    assert len(w3.eth.get_code(signer.address)) > 0
    for _ in range(3):
        answer = requests.post(f"{relay.url}/v1/actions", json=signed(dao.sf, signer, "Join"), timeout=10)
        assert answer.status_code == 422 and answer.json()["code"] == "contract_signer", answer.text
    assert relayer_nonce(dao, relay) == 0


def test_a_claim_and_the_members_claim_to_are_never_both_sent(dao: Dao, relay: Running) -> None:
    """Anyone's unsigned Claim and the member's signed ClaimTo of the same token: whichever comes
    second would pay nothing, so it is refused; a ClaimTo of nothing is refused too."""
    founders_first_work(dao)  # genesis standing earns no pay: the founders' first work does
    from starfish_dao.domain.model import ETH

    dao.sf.pay_eth(dao["zed"], ETHER)
    ada, bo = dao["ada"], dao["bo"]
    claim_to = requests.post(f"{relay.url}/v1/actions", timeout=10,
                             json=signed(dao.sf, ada, "ClaimTo", token=ETH, to=ada.address))  # fmt: skip
    claim = requests.post(f"{relay.url}/v1/actions", json={"action": "Claim", "member": ada.address}, timeout=10)
    assert claim_to.status_code == 202, claim_to.text
    assert claim.status_code == 409 and claim.json()["code"] == "claim_pending", claim.text
    # the other order, for another member
    claim = requests.post(f"{relay.url}/v1/actions", json={"action": "Claim", "member": bo.address}, timeout=10)
    claim_to = requests.post(f"{relay.url}/v1/actions", timeout=10,
                             json=signed(dao.sf, bo, "ClaimTo", token=ETH, to=bo.address))  # fmt: skip
    assert claim.status_code == 202, claim.text
    assert claim_to.status_code == 409 and claim_to.json()["code"] == "claim_pending", claim_to.text
    assert relay.wait(claim.json()["id"])["status"] == "mined"
    # once paid, a ClaimTo of nothing costs the relay nothing
    nothing = requests.post(f"{relay.url}/v1/actions", timeout=10,
                            json=signed(dao.sf, bo, "ClaimTo", token=ETH, to=bo.address))  # fmt: skip
    assert nothing.status_code == 422 and nothing.json()["code"] == "nothing_to_claim", nothing.text
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and relayer_nonce(dao, relay) < 2:
        time.sleep(0.05)
    assert relayer_nonce(dao, relay) == 2 and _reverted(dao, relay) == 0


def test_reveals_of_one_content_by_several_authors_cost_one_transaction(dao: Dao, relay: Running) -> None:
    """Six members who committed to the same content reveal at once: a reveal that loses to one in
    flight reverts (3 of 4 accepted did before), so each is simulated after the others in flight
    and the losers are refused before they cost gas."""
    import secrets

    from starfish_dao.domain.commitment import commitment, new_salt

    authors = [Account.create() for _ in range(6)]
    for author in authors:
        joined = requests.post(f"{relay.url}/v1/actions", json=signed(dao.sf, author, "Join"), timeout=10)
        assert relay.wait(joined.json()["id"])["status"] == "mined"
    content = secrets.token_bytes(32)
    salts = [new_salt() for _ in authors]
    for author, salt in zip(authors, salts, strict=True):  # in order: the first is the earliest
        body = signed_commit(dao.sf, author, commitment(author.address, content, salt))
        committed = requests.post(f"{relay.url}/v1/actions", json=body, timeout=10)
        assert relay.wait(committed.json()["id"])["status"] == "mined"
    dao.chain.increase_time(1)
    # dag-pb CIDs (a raw CID must carry its own digest as the content hash)
    bodies = [
        signed(dao.sf, author, "Submit", cid="0x01701220" + secrets.token_hex(32), effort=60,
               contentHash="0x" + content.hex(), salt="0x" + salt.hex())
        for author, salt in zip(authors, salts, strict=True)
    ]  # fmt: skip
    before = relayer_nonce(dao, relay)
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda b: requests.post(f"{relay.url}/v1/actions", json=b, timeout=30), bodies))
    accepted = [a for a in answers if a.status_code == 202]
    refused = [a.json()["code"] for a in answers if a.status_code != 202]
    # a later commitment's reveal accepted first is superseded by the earliest's (both succeed and
    # change state); any reveal that would lose to one in flight is refused
    assert len(accepted) >= 1 and set(refused) <= {"conflicts_with_pending", "would_revert"}, refused
    assert all(relay.wait(a.json()["id"])["status"] == "mined" for a in accepted)
    assert relayer_nonce(dao, relay) == before + len(accepted) and _reverted(dao, relay) == 0


def test_reviews_of_a_contribution_being_superseded_are_refused_not_paid_for(dao: Dao, relay: Running) -> None:
    """C reveals content that X committed to earlier; while X's reveal is in flight (it supersedes
    C's contribution), Reviews of C's contribution would revert (3 did, 182,202 gas): they are
    simulated after X's reveal and refused."""
    import secrets

    from starfish_dao.domain.commitment import commitment, new_salt

    x, c = Account.create(), Account.create()
    for author in (x, c):
        joined = requests.post(f"{relay.url}/v1/actions", json=signed(dao.sf, author, "Join"), timeout=10)
        assert relay.wait(joined.json()["id"])["status"] == "mined"
    content, salts = secrets.token_bytes(32), {x.address: new_salt(), c.address: new_salt()}
    for author in (x, c):  # X commits first
        body = signed_commit(dao.sf, author, commitment(author.address, content, salts[author.address]))
        assert (
            relay.wait(requests.post(f"{relay.url}/v1/actions", json=body, timeout=10).json()["id"])["status"]
            == "mined"
        )
    dao.chain.increase_time(1)

    def reveal(author: LocalAccount) -> dict[str, Any]:
        return signed(dao.sf, author, "Submit", cid="0x01701220" + secrets.token_hex(32), effort=60,
                      contentHash="0x" + content.hex(), salt="0x" + salts[author.address].hex())  # fmt: skip

    assert (
        relay.wait(requests.post(f"{relay.url}/v1/actions", json=reveal(c), timeout=10).json()["id"])["status"]
        == "mined"
    )
    number = int(dao.sf.registry.functions.contributionCount().call())
    deadline = time.monotonic() + 30  # the relay's model has C's contribution
    while (
        time.monotonic() < deadline
        and requests.get(f"{relay.url}/v1/contributions/{number}", timeout=10).status_code != 200
    ):
        time.sleep(0.1)
    rpc = dao.sf.w3.provider.make_request
    rpc("evm_setAutomine", [False])  # type: ignore[arg-type]
    try:
        superseding = requests.post(f"{relay.url}/v1/actions", json=reveal(x), timeout=10)
        assert superseding.status_code == 202, superseding.text
        before = relayer_nonce(dao, relay)
        for name in ("ada", "bo", "cy"):
            mine = dao.sf.sign_review(dao[name], number, 5)
            body = {"action": "SealedReview", "typedData": mine.typed_data, "signature": "0x" + mine.signature.hex()}
            review = requests.post(f"{relay.url}/v1/actions", json=body, timeout=10)
            assert review.status_code == 409 and review.json()["code"] == "conflicts_with_pending", review.text
    finally:
        rpc("evm_setAutomine", [True])  # type: ignore[arg-type]
        rpc("evm_mine", [])  # type: ignore[arg-type]
    assert relay.wait(superseding.json()["id"])["status"] == "mined"
    assert relayer_nonce(dao, relay) == before + 1 and _reverted(dao, relay) == 0  # the reveal, no sealed review


def test_a_ballot_that_would_arrive_after_the_vote_ends_costs_nothing(dao: Dao, relay: Running) -> None:
    """Ballots posted while the latest block sits at the vote's last second passed the check and all
    reverted when mined (5 of 5): the vote must still be open when the relay can mine them."""
    from starfish_dao.chain.governance import Governance, governor_setting

    governance = Governance(dao.sf)
    proposal = governance.propose(dao["ada"], governor_setting("votingDelay", str(2 * 3600)), "a test")
    end = int(governance.governor.functions.proposalDeadline(proposal).call())
    dao.sf.w3.provider.make_request("evm_setNextBlockTimestamp", [end])  # type: ignore[arg-type]
    dao.sf.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    for name in ("ada", "bo", "cy"):
        body = signed(dao.sf, dao[name], "Ballot", proposalId=proposal, support=1)
        answer = requests.post(f"{relay.url}/v1/actions", json=body, timeout=10)
        assert answer.status_code == 422 and answer.json()["code"] == "expired", answer.text
    assert relayer_nonce(dao, relay) == 0


# ---------------------------------------------------------------- 5: a chain that rolls back


def _anvil(port: int, state: Path, load: Path | None, log: Path) -> subprocess.Popen[bytes]:
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


def test_a_node_restarted_from_an_older_state_loses_nothing_the_relay_accepted(tmp_path: Path) -> None:
    port = free_port()
    state, old = tmp_path / "state.json", tmp_path / "old-state.json"
    node = _anvil(port, state, None, tmp_path / "anvil.log")
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
        node = _anvil(port, state, None, tmp_path / "anvil.log")
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
        family = _descendants(relay.proc.pid)
        for pid in family:
            os.kill(pid, signal.SIGSTOP)
        try:
            node.kill()
            node.wait(10)
            node = _anvil(port, state, old, tmp_path / "anvil.log")
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


# ---------------------------------------------------------------- 6, 8: size, time and connections


def _raw(port: int, data: bytes, read: bool = True, timeout: float = 10) -> bytes:
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


def test_bodies_are_limited_while_they_stream(relay: Running) -> None:
    rss = relay.rss_kib()
    # a declared 300 MiB body is refused before a byte of it is read
    answer = _raw(relay.port, b"POST /v1/actions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 314572800\r\nConnection: close\r\n\r\n")  # fmt: skip
    assert answer.startswith(b"HTTP/1.1 413") and b"too_large" in answer

    # an undeclared (chunked) body is cut off once it passes the limit: the relay does not buffer it
    def chunks() -> Iterator[bytes]:
        for _ in range(300):
            yield b" " * (1024 * 1024)

    try:
        response = requests.post(f"{relay.url}/v1/actions", data=chunks(), timeout=60,
                                 headers={"Content-Type": "application/json"})  # fmt: skip
        assert response.status_code == 413
    except requests.ConnectionError:
        pass  # the relay answered 413 and closed while the client was still sending
    # and uploads: 16 MiB by default; a 1 GiB upload is refused by its header
    answer = _raw(relay.port, b"POST /v1/artifacts HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
                  b"boundary=b\r\nContent-Length: 1073741824\r\nConnection: close\r\n\r\n")  # fmt: skip
    assert answer.startswith(b"HTTP/1.1 413")
    assert relay.rss_kib() - rss < 64 * 1024, "the relay buffered a body it should have refused"


def test_uploads_need_the_token_when_one_is_set_and_have_a_budget_per_ip(dao: Dao, tmp_path: Path) -> None:
    relay = start_relay(dao, tmp_path, upload_token="a-long-upload-token", upload_bytes_per_ip_per_hour="300000")
    try:
        files = {"file": ("a.txt", b"x" * 100_000)}
        assert requests.post(f"{relay.url}/v1/artifacts", files=files, timeout=10).status_code == 401
        auth = {"Authorization": "Bearer a-long-upload-token"}
        codes = [requests.post(f"{relay.url}/v1/artifacts", files=files, headers=auth, timeout=10).status_code
                 for _ in range(4)]  # fmt: skip
        assert codes[:2] == [201, 201] and codes[-1] == 429
        assert "a-long-upload-token" not in relay.log.read_text()
    finally:
        relay.stop()


def test_slow_clients_are_cut_off_and_connections_are_capped(dao: Dao, tmp_path: Path) -> None:
    relay = start_relay(dao, tmp_path, header_timeout="1", body_timeout="2", max_connections="100")
    sockets: list[socket.socket] = []
    try:
        base = relay.fds()
        # 400 connections that never finish their headers (slow loris)
        for _ in range(400):
            s = socket.create_connection(("127.0.0.1", relay.port))
            s.sendall(b"GET /v1/info HTTP/1.1\r\nHost: x\r\n")
            sockets.append(s)
        time.sleep(0.5)
        assert relay.fds() - base <= 100 + 20, "connections beyond the cap were kept open"
        time.sleep(2.0)
        closed = 0
        for s in sockets:
            s.settimeout(0.5)
            try:
                closed += s.recv(1) == b""
            except (TimeoutError, ConnectionResetError):
                closed += 1
        assert closed == len(sockets)  # every one was closed by the relay
        assert requests.get(f"{relay.url}/v1/info", timeout=10).status_code == 200  # and it still serves
        # a body trickling in: 408 after the body timeout, and no traceback in the log
        with socket.create_connection(("127.0.0.1", relay.port), timeout=10) as s:
            s.sendall(b"POST /v1/actions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 100\r\n\r\n{")  # fmt: skip
            answer = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        # clients that hang up mid-body end quietly
        for _ in range(50):
            with socket.create_connection(("127.0.0.1", relay.port)) as s:
                s.sendall(b"POST /v1/actions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          b"Content-Length: 1000\r\n\r\n{\"action\"")  # fmt: skip
        time.sleep(0.5)
        assert "Traceback" not in relay.log.read_text()
    finally:
        for s in sockets:
            s.close()
        relay.stop()


# ---------------------------------------------------------------- 7: server-sent events


def test_many_event_streams_all_receive_and_the_cap_holds(dao: Dao, tmp_path: Path) -> None:
    relay = start_relay(dao, tmp_path, max_sse_clients="120")
    streams: list[socket.socket] = []
    try:
        for _ in range(120):
            s = socket.create_connection(("127.0.0.1", relay.port), timeout=10)
            s.sendall(b"GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n")
            streams.append(s)
        time.sleep(1.0)
        over = requests.get(f"{relay.url}/v1/events", timeout=10)
        assert over.status_code == 503 and over.json()["code"] == "busy"
        joiners = [Account.create() for _ in range(5)]
        for account in joiners:
            answer = requests.post(f"{relay.url}/v1/actions", json=signed(dao.sf, account, "Join"), timeout=10)
            assert relay.wait(answer.json()["id"])["status"] == "mined"
        time.sleep(1.5)
        for s in streams:
            s.settimeout(2)
            data = b""
            while data.count(b"event: Joined") < 5:
                chunk = s.recv(65536)
                assert chunk, "the stream ended"
                data += chunk
            for account in joiners:
                assert account.address.encode() in data
    finally:
        for s in streams:
            s.close()
        relay.stop()


# ---------------------------------------------------------------- 9, 10: who may post


def test_a_spoofed_forwarded_for_does_not_escape_the_per_ip_limit(dao: Dao, tmp_path: Path) -> None:
    relay = start_relay(dao, tmp_path, rate_per_ip="0.5")
    try:
        codes = []
        for i in range(6):
            headers = {"X-Forwarded-For": f"10.0.0.{i}"}
            answer = requests.post(f"{relay.url}/v1/actions", json={"action": "Claim", "member": dao["ada"].address},
                                   headers=headers, timeout=10)  # fmt: skip
            codes.append(answer.status_code)
        assert 429 in codes  # burst 2.5 from one address, whatever the header says
    finally:
        relay.stop()


def test_a_foreign_page_cannot_make_a_visitors_browser_post(dao: Dao, relay: Running) -> None:
    body = json.dumps({"action": "Claim", "member": dao["ada"].address})
    # the "simple request" a form or fetch(no-cors) can send without asking: text/plain
    evil = {"Content-Type": "text/plain", "Origin": "https://evil.example"}
    plain = requests.post(f"{relay.url}/v1/actions", data=body, headers=evil, timeout=10)
    assert plain.status_code in (403, 415)
    plain = requests.post(f"{relay.url}/v1/actions", data=body, headers={"Content-Type": "text/plain"}, timeout=10)
    assert plain.status_code == 415 and plain.json()["code"] == "unsupported_media_type"
    foreign = requests.post(f"{relay.url}/v1/actions", data=body, timeout=10,
                            headers={"Content-Type": "application/json", "Origin": "https://evil.example"})  # fmt: skip
    assert foreign.status_code == 403 and foreign.json()["code"] == "forbidden_origin"
    upload = requests.post(f"{relay.url}/v1/artifacts", files={"file": ("a", b"x")},
                           headers={"Origin": "https://evil.example"}, timeout=10)  # fmt: skip
    assert upload.status_code == 403
    # the relay's own page (same origin) and clients without a browser (no Origin) may
    own = requests.post(f"{relay.url}/v1/actions/typed-data", timeout=10,
                        json={"action": "Join", "signer": dao["zed"].address},
                        headers={"Origin": relay.url})  # fmt: skip
    assert own.status_code == 200
    assert relayer_nonce(dao, relay) == 0


def test_dns_rebinding_does_not_pass_as_the_relays_own_page(dao: Dao, relay: Running) -> None:
    """Issue 24, finding 6: a page on rebind.example, its name rebound to the relay's address, sends
    Origin http://rebind.example:PORT with Host rebind.example:PORT: same origin, once accepted."""
    port = relay.url.rsplit(":", 1)[1]
    body = {"action": "Claim", "member": dao["ada"].address}
    headers = {"Host": f"rebind.example:{port}", "Origin": f"http://rebind.example:{port}"}
    rebound = requests.post(f"{relay.url}/v1/actions", json=body, timeout=10, headers=headers)
    assert rebound.status_code == 403 and rebound.json()["code"] == "forbidden_origin"
    assert relayer_nonce(dao, relay) == 0


def test_a_listed_host_is_the_relays_own_page() -> None:
    from starfish_dao.relay.edge.guard import Guard
    from starfish_dao.relay.settings import RelaySettings

    guard = Guard(None, RelaySettings(hosts=["relay.example.org"]))  # type: ignore[arg-type]
    assert guard._origin_ok("https://relay.example.org", "relay.example.org", "http")
    assert guard._origin_ok("http://127.0.0.1:8645", "127.0.0.1:8645", "http")
    assert guard._origin_ok("http://[::1]:8645", "[::1]:8645", "http")
    assert not guard._origin_ok("http://rebind.example", "rebind.example", "http")
    assert not guard._origin_ok("http://127.0.0.1.rebind.example", "127.0.0.1.rebind.example", "http")


# ---------------------------------------------------------------- 11: why it failed


def test_the_failure_reason_is_the_transactions_own_not_a_replay(dao: Dao, relay: Running) -> None:
    """The relay's joinBySig lands second in a block, after the member joined directly: it reverts
    (the signature's generation is stale now), which a replay at the start of the block would not
    show: there it succeeds."""
    newcomer = Account.create()
    dao.chain.fund(newcomer.address, ETHER)
    dao.chain._dev("evm_setAutomine", [False])
    try:
        answer = requests.post(f"{relay.url}/v1/actions", json=signed(dao.sf, newcomer, "Join"), timeout=10)
        assert answer.status_code == 202
        action_id = answer.json()["id"]
        deadline = time.monotonic() + 20
        while requests.get(f"{relay.url}/v1/actions/{action_id}", timeout=10).json()["status"] != "sent":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        call = dao.sf.membership.functions.join()
        tx = call.build_transaction({"from": newcomer.address, "nonce": 0, "gas": 300_000, "chainId": 31337,
                                     "maxFeePerGas": 10**12, "maxPriorityFeePerGas": 10**11})  # fmt: skip
        dao.sf.w3.eth.send_raw_transaction(newcomer.sign_transaction(tx).raw_transaction)
        dao.chain._dev("evm_mine", [])
    finally:
        dao.chain._dev("evm_setAutomine", [True])
    state = relay.wait(action_id)
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
            family.extend(_descendants(first.proc.pid))
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
            while time.monotonic() < deadline and _alive(pid):
                time.sleep(0.05)
            assert not _alive(pid)
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


def test_scrub_removes_what_a_url_carries_from_any_message() -> None:
    """web3 and urllib3 put the node's URL in their errors (the relay's own JSON-RPC errors name only
    host and port): every log line and answer passes through `scrub`."""
    from starfish_dao.relay.edge.redaction import scrub

    urllib3 = ("HTTPConnectionPool(host='node.example', port=8545): Max retries exceeded with url: "
               "/v3/0123456789abcdef?apikey=SECRET-KEY-42 (Caused by NewConnectionError)")  # fmt: skip
    web3 = "Could not connect to https://user:pw@node.example/v3/0123456789abcdef?apikey=SECRET-KEY-42"
    for text in (urllib3, web3):
        clean = scrub(text)
        assert "[redacted]" in clean and "node.example" in clean, clean
        assert "SECRET-KEY-42" not in clean and "0123456789abcdef" not in clean and "pw@" not in clean, clean
