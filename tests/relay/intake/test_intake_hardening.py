"""No gas for nothing: what the relay's intake refuses before it costs the relayer anything, each
against a real relay process on a real anvil node (issue 15, 1, 2, 3 and 13, and what an attacker
found after the fixes): claims and finalizes of nothing, conflicting actions of one signer, a second
claim after new revenue, typed-data nonces, gas budgets and the gas cap, signatures that expire
before they can be mined, signers with code, Claim against ClaimTo, reveals of one content, reviews
of a contribution being superseded, ballots after the vote ends.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount

from tests.conftest import ETHER, Dao, founders_first_work
from tests.relay.processes import Running, relayer_nonce, reverted, signed, signed_commit, start_relay

# ---------------------------------------------------------------- 1, 2, 3, 13: no free gas


def test_claims_of_nothing_and_finalizes_of_nothing_cost_the_relay_nothing(dao: Dao, relay_process: Running) -> None:
    answers = [
        requests.post(
            f"{relay_process.url}/v1/actions", json={"action": "Claim", "member": Account.create().address}, timeout=10
        )
        for _ in range(30)
    ]
    assert {a.status_code for a in answers} == {422}
    assert {a.json()["code"] for a in answers} == {"nothing_to_claim"}
    finalized = requests.post(
        f"{relay_process.url}/v1/actions", json={"action": "Finalize", "contribution": 999}, timeout=10
    )
    assert finalized.status_code == 422 and finalized.json()["code"] == "would_revert"
    assert relayer_nonce(dao, relay_process) == 0  # not one transaction was sent
    assert dao.sf.w3.eth.get_balance(relay_process.relayer.address) == 100 * ETHER  # nor a wei of gas spent


def test_conflicting_actions_of_one_signer_are_refused_before_they_cost_gas(dao: Dao, relay_process: Running) -> None:
    """60 Joins from one fresh key, some with the same nonce, some with other nonces, all at once:
    exactly one is accepted; the others are refused before 202; nothing reverts on chain."""
    newcomer = Account.create()
    bodies = []
    for i in range(60):
        nonce = 0 if i % 2 else i  # half reuse nonce 0, half take their own
        bodies.append(signed(dao.sf, newcomer, "Join", nonce=nonce, deadline=dao.sf.now() + 3600 + i))

    def post(body: dict[str, Any]) -> requests.Response:
        return requests.post(f"{relay_process.url}/v1/actions", json=body, timeout=30)

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
    assert relay_process.wait(accepted[0].json()["id"])["status"] == "mined"
    # once it is mined, another Join is refused by the plain simulation, still before any gas
    late = post(signed(dao.sf, newcomer, "Join", nonce=7, deadline=dao.sf.now() + 3600))
    assert late.status_code == 422 and late.json()["contractError"] == "MembershipAlreadyMember"
    assert relayer_nonce(dao, relay_process) == 1  # one transaction, and it succeeded


def test_a_member_claims_through_the_relay_again_after_new_revenue(dao: Dao, relay_process: Running) -> None:
    founders_first_work(dao)  # genesis standing earns no pay: the founders' first work does
    ada = dao["ada"].address
    for round_ in range(3):
        dao.sf.pay_eth(dao["zed"], ETHER)
        owed = dao.sf.claimable(ada)
        before = dao.sf.w3.eth.get_balance(ada)
        first = requests.post(f"{relay_process.url}/v1/actions", json={"action": "Claim", "member": ada}, timeout=10)
        again = requests.post(f"{relay_process.url}/v1/actions", json={"action": "Claim", "member": ada}, timeout=10)
        assert first.status_code == 202, (round_, first.text)
        # asked again while the first is in flight: the same action, not a second transaction
        if again.status_code == 200:
            assert again.json()["id"] == first.json()["id"] and again.json()["duplicate"] is True
        else:  # the first was mined already: nothing is owed any more
            assert again.status_code == 422 and again.json()["code"] == "nothing_to_claim"
        state = relay_process.wait(first.json()["id"])
        assert state["status"] == "mined" and state["result"] == {"amount": owed}
        assert dao.sf.w3.eth.get_balance(ada) == before + owed


def test_typed_data_hands_out_the_same_lowest_free_nonce_however_often_it_is_asked(
    dao: Dao, relay_process: Running
) -> None:
    member = Account.create().address
    nonces = {
        requests.post(
            f"{relay_process.url}/v1/actions/typed-data", json={"action": "Join", "signer": member}, timeout=10
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


# ---------------------------------------------------------------- found by an attacker after the fixes


def test_a_signature_that_expires_before_it_can_be_mined_costs_nothing(dao: Dao, relay_process: Running) -> None:
    """A deadline at the latest block's time passes a check at that time and reverts in the next
    block (20 of 20 did, 535,190 gas): the relay checks and simulates at the time it will mine."""
    latest = int(dao.sf.w3.eth.get_block("latest")["timestamp"])
    for deadline in (latest, latest + 1, latest + 30):
        answer = requests.post(f"{relay_process.url}/v1/actions", timeout=10,
                               json=signed(dao.sf, Account.create(), "Join", deadline=deadline))  # fmt: skip
        assert answer.status_code == 422 and answer.json()["code"] == "expired", answer.text
    later = max(latest, int(time.time())) + 600
    ok = requests.post(f"{relay_process.url}/v1/actions", json=signed(dao.sf, Account.create(), "Join", deadline=later),
                       timeout=10)  # fmt: skip
    assert ok.status_code == 202, ok.text
    assert relay_process.wait(ok.json()["id"])["status"] == "mined"
    assert relayer_nonce(dao, relay_process) == 1 and reverted(dao, relay_process) == 0


def test_a_signer_with_code_cannot_make_the_relay_pay_for_a_revert(dao: Dao, relay_process: Running) -> None:
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
        answer = requests.post(f"{relay_process.url}/v1/actions", json=signed(dao.sf, signer, "Join"), timeout=10)
        assert answer.status_code == 422 and answer.json()["code"] == "contract_signer", answer.text
    assert relayer_nonce(dao, relay_process) == 0


def test_a_claim_and_the_members_claim_to_are_never_both_sent(dao: Dao, relay_process: Running) -> None:
    """Anyone's unsigned Claim and the member's signed ClaimTo of the same token: whichever comes
    second would pay nothing, so it is refused; a ClaimTo of nothing is refused too."""
    founders_first_work(dao)  # genesis standing earns no pay: the founders' first work does
    from starfish_dao.domain.model import ETH

    dao.sf.pay_eth(dao["zed"], ETHER)
    ada, bo = dao["ada"], dao["bo"]
    claim_to = requests.post(f"{relay_process.url}/v1/actions", timeout=10,
                             json=signed(dao.sf, ada, "ClaimTo", token=ETH, to=ada.address))  # fmt: skip
    claim = requests.post(
        f"{relay_process.url}/v1/actions", json={"action": "Claim", "member": ada.address}, timeout=10
    )
    assert claim_to.status_code == 202, claim_to.text
    assert claim.status_code == 409 and claim.json()["code"] == "claim_pending", claim.text
    # the other order, for another member
    claim = requests.post(f"{relay_process.url}/v1/actions", json={"action": "Claim", "member": bo.address}, timeout=10)
    claim_to = requests.post(f"{relay_process.url}/v1/actions", timeout=10,
                             json=signed(dao.sf, bo, "ClaimTo", token=ETH, to=bo.address))  # fmt: skip
    assert claim.status_code == 202, claim.text
    assert claim_to.status_code == 409 and claim_to.json()["code"] == "claim_pending", claim_to.text
    assert relay_process.wait(claim.json()["id"])["status"] == "mined"
    # once paid, a ClaimTo of nothing costs the relay nothing
    nothing = requests.post(f"{relay_process.url}/v1/actions", timeout=10,
                            json=signed(dao.sf, bo, "ClaimTo", token=ETH, to=bo.address))  # fmt: skip
    assert nothing.status_code == 422 and nothing.json()["code"] == "nothing_to_claim", nothing.text
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and relayer_nonce(dao, relay_process) < 2:
        time.sleep(0.05)
    assert relayer_nonce(dao, relay_process) == 2 and reverted(dao, relay_process) == 0


def test_reveals_of_one_content_by_several_authors_cost_one_transaction(dao: Dao, relay_process: Running) -> None:
    """Six members who committed to the same content reveal at once: a reveal that loses to one in
    flight reverts (3 of 4 accepted did before), so each is simulated after the others in flight
    and the losers are refused before they cost gas."""
    import secrets

    from starfish_dao.domain.commitment import commitment, new_salt

    authors = [Account.create() for _ in range(6)]
    for author in authors:
        joined = requests.post(f"{relay_process.url}/v1/actions", json=signed(dao.sf, author, "Join"), timeout=10)
        assert relay_process.wait(joined.json()["id"])["status"] == "mined"
    content = secrets.token_bytes(32)
    salts = [new_salt() for _ in authors]
    for author, salt in zip(authors, salts, strict=True):  # in order: the first is the earliest
        body = signed_commit(dao.sf, author, commitment(author.address, content, salt))
        committed = requests.post(f"{relay_process.url}/v1/actions", json=body, timeout=10)
        assert relay_process.wait(committed.json()["id"])["status"] == "mined"
    dao.chain.increase_time(1)
    # dag-pb CIDs (a raw CID must carry its own digest as the content hash)
    bodies = [
        signed(dao.sf, author, "Submit", cid="0x01701220" + secrets.token_hex(32), effort=60,
               contentHash="0x" + content.hex(), salt="0x" + salt.hex())
        for author, salt in zip(authors, salts, strict=True)
    ]  # fmt: skip
    before = relayer_nonce(dao, relay_process)
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda b: requests.post(f"{relay_process.url}/v1/actions", json=b, timeout=30), bodies))
    accepted = [a for a in answers if a.status_code == 202]
    refused = [a.json()["code"] for a in answers if a.status_code != 202]
    # a later commitment's reveal accepted first is superseded by the earliest's (both succeed and
    # change state); any reveal that would lose to one in flight is refused
    assert len(accepted) >= 1 and set(refused) <= {"conflicts_with_pending", "would_revert"}, refused
    assert all(relay_process.wait(a.json()["id"])["status"] == "mined" for a in accepted)
    assert relayer_nonce(dao, relay_process) == before + len(accepted) and reverted(dao, relay_process) == 0


def test_reviews_of_a_contribution_being_superseded_are_refused_not_paid_for(dao: Dao, relay_process: Running) -> None:
    """C reveals content that X committed to earlier; while X's reveal is in flight (it supersedes
    C's contribution), Reviews of C's contribution would revert (3 did, 182,202 gas): they are
    simulated after X's reveal and refused."""
    import secrets

    from starfish_dao.domain.commitment import commitment, new_salt

    x, c = Account.create(), Account.create()
    for author in (x, c):
        joined = requests.post(f"{relay_process.url}/v1/actions", json=signed(dao.sf, author, "Join"), timeout=10)
        assert relay_process.wait(joined.json()["id"])["status"] == "mined"
    content, salts = secrets.token_bytes(32), {x.address: new_salt(), c.address: new_salt()}
    for author in (x, c):  # X commits first
        body = signed_commit(dao.sf, author, commitment(author.address, content, salts[author.address]))
        assert (
            relay_process.wait(requests.post(f"{relay_process.url}/v1/actions", json=body, timeout=10).json()["id"])[
                "status"
            ]
            == "mined"
        )
    dao.chain.increase_time(1)

    def reveal(author: LocalAccount) -> dict[str, Any]:
        return signed(dao.sf, author, "Submit", cid="0x01701220" + secrets.token_hex(32), effort=60,
                      contentHash="0x" + content.hex(), salt="0x" + salts[author.address].hex())  # fmt: skip

    assert (
        relay_process.wait(requests.post(f"{relay_process.url}/v1/actions", json=reveal(c), timeout=10).json()["id"])[
            "status"
        ]
        == "mined"
    )
    number = int(dao.sf.registry.functions.contributionCount().call())
    deadline = time.monotonic() + 30  # the relay's model has C's contribution
    while (
        time.monotonic() < deadline
        and requests.get(f"{relay_process.url}/v1/contributions/{number}", timeout=10).status_code != 200
    ):
        time.sleep(0.1)
    rpc = dao.sf.w3.provider.make_request
    rpc("evm_setAutomine", [False])  # type: ignore[arg-type]
    try:
        superseding = requests.post(f"{relay_process.url}/v1/actions", json=reveal(x), timeout=10)
        assert superseding.status_code == 202, superseding.text
        before = relayer_nonce(dao, relay_process)
        for name in ("ada", "bo", "cy"):
            mine = dao.sf.sign_review(dao[name], number, 5)
            body = {"action": "SealedReview", "typedData": mine.typed_data, "signature": "0x" + mine.signature.hex()}
            review = requests.post(f"{relay_process.url}/v1/actions", json=body, timeout=10)
            assert review.status_code == 409 and review.json()["code"] == "conflicts_with_pending", review.text
    finally:
        rpc("evm_setAutomine", [True])  # type: ignore[arg-type]
        rpc("evm_mine", [])  # type: ignore[arg-type]
    assert relay_process.wait(superseding.json()["id"])["status"] == "mined"
    assert (
        relayer_nonce(dao, relay_process) == before + 1 and reverted(dao, relay_process) == 0
    )  # the reveal, no sealed review


def test_a_ballot_that_would_arrive_after_the_vote_ends_costs_nothing(dao: Dao, relay_process: Running) -> None:
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
        answer = requests.post(f"{relay_process.url}/v1/actions", json=body, timeout=10)
        assert answer.status_code == 422 and answer.json()["code"] == "expired", answer.text
    assert relayer_nonce(dao, relay_process) == 0
