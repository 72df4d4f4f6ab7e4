"""The relay's HTTP API against a real anvil: every endpoint and every refusal."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from eth_account import Account
from fastapi.testclient import TestClient

from starfish_dao.domain import typed_data as td
from starfish_dao.domain.commitment import commitment, new_salt
from starfish_dao.domain.errors import KeyError_
from starfish_dao.domain.unixfs import CID, cid_of, content_hash
from starfish_dao.ipfs.local import LocalStore
from starfish_dao.relay.app import create_app
from starfish_dao.relay.service import Relay
from starfish_dao.relay.settings import RelaySettings
from tests.conftest import ETHER, PARAMS, Dao, artifact_cid
from tests.relay.conftest import RelayHarness, relay_settings


def test_refuses_to_start_without_a_key(dao: Dao, tmp_path: Path) -> None:
    with pytest.raises(KeyError_, match="refuses to start without a relayer key"):
        Relay(RelaySettings(db_path=tmp_path / "q.sqlite3"), sf=dao.sf)
    with pytest.raises(KeyError_, match="not a valid private key"):
        Relay(RelaySettings(relayer_key="nope", db_path=tmp_path / "q.sqlite3"), sf=dao.sf)  # type: ignore[arg-type]


def test_a_member_without_eth_joins_submits_reviews_and_is_paid(relay: RelayHarness) -> None:
    c, dao = relay.client, relay.dao
    newcomer = Account.create()  # a key and nothing else: no ETH at all
    answer = c.post("/v1/actions", json=relay.signed(newcomer, "Join"))
    assert answer.status_code == 202, answer.text
    assert relay.wait(answer.json()["id"])["status"] == "mined"
    assert dao.sf.membership.functions.isActive(newcomer.address).call()
    assert dao.sf.w3.eth.get_balance(newcomer.address) == 0
    work = b"newcomer's work\n" * 100
    digest, salt = content_hash(work), new_salt()
    # first the commitment (it reveals nothing; signed: the relay pays for members' commits only),
    # then the file, then the signed reveal
    posted = c.post(
        "/v1/actions",
        json=relay.signed(newcomer, "Commit", commitment="0x" + commitment(newcomer.address, digest, salt).hex()),
    )
    assert posted.status_code == 202, posted.text
    assert relay.wait(posted.json()["id"])["status"] == "mined"
    upload = c.post("/v1/artifacts", files={"file": ("w.txt", work)})
    assert upload.status_code == 201
    assert CID.parse(upload.json()["cid"]) == cid_of(work)
    sent = c.post(
        "/v1/actions",
        json=relay.signed(
            newcomer,
            "Submit",
            cid=upload.json()["cidHex"],
            contentHash="0x" + digest.hex(),
            salt="0x" + salt.hex(),
            effort=60,
        ),
    )
    assert sent.status_code == 202, sent.text
    assert relay.wait(sent.json()["id"])["status"] == "mined"
    contribution = dao.sf.registry.functions.contributionCount().call()
    for name in ("ada", "bo"):
        sent = c.post("/v1/actions", json=relay.sealed_review(dao[name], contribution, 4))
        assert relay.wait(sent.json()["id"])["status"] == "mined"
    dao.chain.increase_time(PARAMS.review_window + 1)
    for body in relay.reveals(contribution):  # the openings, posted unsigned: no wallet, no ETH
        opened = c.post("/v1/actions", json=body)
        assert opened.status_code == 202, opened.text
        assert relay.wait(opened.json()["id"])["status"] == "mined"
    again = c.post("/v1/actions", json=relay.reveals(contribution)[0])  # the same opening: the same action
    assert again.status_code == 200 and again.json()["duplicate"] is True, again.text
    finalize = c.post("/v1/actions", json={"action": "Finalize", "contribution": contribution})
    assert relay.wait(finalize.json()["id"])["status"] == "mined"
    dao.sf.pay_eth(dao["zed"], ETHER)
    claim = c.post("/v1/actions", json={"action": "Claim", "member": newcomer.address})
    assert relay.wait(claim.json()["id"])["status"] == "mined"
    assert dao.sf.w3.eth.get_balance(newcomer.address) > 0  # paid, never having held ETH
    relay.relay.state.refresh()
    member = c.get(f"/v1/members/{newcomer.address}").json()
    assert member["member"] and int(member["points"]) == 80 * 10**18
    detail = c.get(f"/v1/contributions/{contribution}").json()
    assert detail["status"] == "accepted" and len(detail["reviews"]) == 2


def test_relayed_and_direct_join_end_in_the_same_state(relay: RelayHarness) -> None:
    sf = relay.dao.sf
    relayed, direct = Account.create(), Account.create()
    relay.dao.chain.fund(direct.address, ETHER)
    answer = relay.client.post("/v1/actions", json=relay.signed(relayed, "Join"))
    relay.wait(answer.json()["id"])
    sf.join(direct)
    m = sf.membership.functions
    for who in (relayed, direct):
        token = m.tokenOf(who.address).call()
        assert (m.ownerOf(token).call(), m.isActive(who.address).call(), m.locked(token).call()) == (
            who.address,
            True,
            True,
        )


def test_reads(relay: RelayHarness) -> None:
    c = relay.client
    info = c.get("/v1/info").json()
    assert info["chainId"] == relay.dao.deployment.chain_id and info["contracts"] == relay.dao.deployment.addresses
    assert info["charter"]["parameters"]["minReviewers"] == str(PARAMS.min_reviewers)
    assert len(c.get("/v1/members").json()) >= 5
    assert c.get("/v1/members/0x123").status_code == 400
    assert c.get("/v1/contributions/999").status_code == 404
    assert c.get("/v1/contributions?limit=0").status_code == 400
    assert "tokens" in c.get("/v1/treasury").json()
    assert c.get("/v1/actions/nope").status_code == 404
    assert c.get("/openapi.json").json()["info"]["title"] == "Starfish DAO relay"


def test_idempotent_by_request_digest(relay: RelayHarness) -> None:
    body = relay.signed(Account.create(), "Join")
    first = relay.client.post("/v1/actions", json=body)
    again = relay.client.post("/v1/actions", json=body)
    assert first.status_code == 202 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"] and again.json()["duplicate"] is True


JSON = {"Content-Type": "application/json"}


def refused_self(contribution: int) -> str:
    return f"you cannot review your own contribution #{contribution}"


def _refusal(c: TestClient, body: object, status: int, code: str) -> dict[str, object]:
    if isinstance(body, bytes):
        answer = c.post("/v1/actions", content=body, headers=JSON)
    else:
        answer = c.post("/v1/actions", json=body)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    data = answer.json()
    # one shape for every refusal: RFC 9457 problem details
    assert data["code"] == code and data["status"] == status and data["type"] == f"urn:starfish:relay:{code}", data
    assert isinstance(data["title"], str) and isinstance(data["detail"], str)
    return dict(data)


def test_refusals(relay: RelayHarness) -> None:
    c, dao = relay.client, relay.dao
    zed, eli = dao["zed"], dao["eli"]
    # a signature by someone else than the signer named in the message
    body = relay.signed(zed, "Join")
    forged = {**body, "signature": "0x" + bytes(eli.sign_message(td.signable(body["typedData"])).signature).hex()}  # type: ignore[arg-type]
    _refusal(c, forged, 422, "bad_signature")
    # another chain / another contract in the domain
    other_chain = json.loads(json.dumps(body))
    other_chain["typedData"]["domain"]["chainId"] += 1
    other_chain["signature"] = "0x" + bytes(zed.sign_message(td.signable(other_chain["typedData"])).signature).hex()
    assert _refusal(c, other_chain, 422, "wrong_domain")["field"] == "chainId"
    other_contract = json.loads(json.dumps(body))
    other_contract["typedData"]["domain"]["verifyingContract"] = dao.deployment.addresses["registry"]
    assert _refusal(c, other_contract, 422, "wrong_domain")["field"] == "verifyingContract"
    # expired
    expired = relay.signed(zed, "Join")
    expired["typedData"]["message"]["deadline"] = dao.sf.now() - 10  # type: ignore[index]
    expired["signature"] = "0x" + bytes(zed.sign_message(td.signable(expired["typedData"])).signature).hex()  # type: ignore[arg-type]
    _refusal(c, expired, 422, "expired")
    # replayed nonce
    used = relay.signed(zed, "Join")
    relay.wait(c.post("/v1/actions", json=used).json()["id"])
    replay = relay.signed(eli, "Leave")
    relay.wait(c.post("/v1/actions", json=replay).json()["id"])
    resent = json.loads(json.dumps(used))
    resent["typedData"]["message"]["deadline"] += 1  # a new request with the same, spent nonce
    resent["signature"] = "0x" + bytes(zed.sign_message(td.signable(resent["typedData"])).signature).hex()
    _refusal(c, resent, 409, "nonce_used")
    # the contract would revert: named by its custom error
    cid_id = dao.sf.submit(dao["dee"], artifact_cid("self"), 10)
    refused = _refusal(c, relay.sealed_review(dao["dee"], cid_id, 5), 422, "would_revert")
    assert refused["contractError"] == "RegistrySelfReview"
    # its detail is the CLI's sentence (one table, cli/errors.py); the relay's own words stay in `reason`
    assert refused["detail"] == f"you cannot review your own contribution #{cid_id}", refused
    assert "RegistrySelfReview(" in refused["reason"]
    refused = _refusal(c, {"action": "Finalize", "contribution": cid_id}, 422, "would_revert")
    assert refused["contractError"] == "RegistryReviewWindowOpen"
    assert str(refused["detail"]).startswith(f"the review window of #{cid_id} closes in "), refused
    # the check the page asks before a wallet signs or a file is pinned: the same sentence, nothing stored
    check = c.post("/v1/actions/check", json={"action": "SealedReview", "signer": dao["dee"].address,
                                              "fields": {"contribution": cid_id}})  # fmt: skip
    assert check.status_code == 422 and check.json()["detail"] == refused_self(cid_id), check.text
    ok = c.post("/v1/actions/check", json={"action": "SealedReview", "signer": dao["ada"].address,
                                           "fields": {"contribution": cid_id}})  # fmt: skip
    assert ok.status_code == 200 and ok.json() == {"ok": True}, ok.text
    big = c.post("/v1/actions/check", json={"action": "Contribute", "signer": dao["ada"].address,
                                            "fields": {"effort": PARAMS.max_effort + 1}})  # fmt: skip
    assert big.status_code == 422 and big.json()["contractError"] == "RegistryInvalidEffort", big.text
    # malformed
    _refusal(c, {"action": "Transfer"}, 400, "unknown_action")
    _refusal(c, [1, 2], 400, "malformed")
    _refusal(c, b"{not json", 400, "malformed")
    _refusal(c, {"action": "Join", "typedData": body["typedData"], "signature": "0x12"}, 400, "malformed")
    _refusal(c, {"action": "Claim", "member": "0xnope"}, 400, "malformed")
    # a claim of nothing would succeed on chain and change nothing: the relay pays no gas for it
    _refusal(c, {"action": "Claim", "member": Account.create().address}, 422, "nothing_to_claim")
    _refusal(c, {"action": "Finalize", "contribution": -1}, 400, "malformed")
    answer = c.post("/v1/actions", content=b"{" + b" " * 70_000 + b"}", headers=JSON)
    assert answer.status_code == 413 and answer.json()["code"] == "too_large"


def test_upload_limit(dao: Dao, tmp_path: Path) -> None:
    relayer = Account.create()
    settings = relay_settings(tmp_path, relayer, max_upload_bytes=1000)
    with TestClient(
        create_app(settings, Relay(settings, sf=dao.sf, store=LocalStore(tmp_path / "s")), start=False)
    ) as c:
        assert c.post("/v1/artifacts", files={"file": ("a", b"x" * 1001)}).status_code == 413
        assert c.post("/v1/artifacts", files={"file": ("a", b"x" * 1000)}).status_code == 201


def test_rate_limits(dao: Dao, tmp_path: Path) -> None:
    relayer = Account.create()
    dao.chain.fund(relayer.address, ETHER)
    settings = relay_settings(tmp_path, relayer, rate_per_signer=0.2, rate_per_ip=1000)
    service = Relay(settings, sf=dao.sf, store=LocalStore(tmp_path / "s"))
    with TestClient(create_app(settings, service, start=False)) as c:
        harness = RelayHarness(c, service, dao, relayer)
        eli = dao["eli"]
        first = c.post("/v1/actions", json=harness.signed(eli, "Leave"))
        second = c.post("/v1/actions", json=harness.signed(eli, "Leave"))
        assert first.status_code == 202 and second.status_code == 429
        assert second.json()["code"] == "rate_limited" and eli.address in second.json()["detail"]
        assert second.headers["Retry-After"] == "1"
    settings = relay_settings(tmp_path / "b", relayer, rate_per_signer=0.2, rate_per_ip=0.2)
    service = Relay(settings, sf=dao.sf, store=LocalStore(tmp_path / "s2"))
    with TestClient(create_app(settings, service, start=False)) as c:
        codes = [
            c.post("/v1/actions", json={"action": "Claim", "member": dao["zed"].address}).status_code for _ in range(3)
        ]
        assert codes[-1] == 429


def test_events_stream(relay: RelayHarness) -> None:
    relay.relay.state.refresh()
    with relay.client.stream("GET", "/v1/events?replay=3") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = []
        for line in response.iter_lines():
            lines.append(line)
            if line.startswith(": connected"):
                break
    assert sum(1 for line in lines if line.startswith("event:")) == 3


def test_chain_down_answers_503_and_accepted_actions_wait(relay: RelayHarness) -> None:
    c = relay.client
    body = relay.signed(Account.create(), "Join")
    submitter_rpc = relay.relay.submitter.rpc
    real = submitter_rpc.url
    submitter_rpc.url = "http://127.0.0.1:9"  # the submitter loses the chain
    accepted = c.post("/v1/actions", json=body)
    assert accepted.status_code == 202
    time.sleep(0.5)
    assert c.get(f"/v1/actions/{accepted.json()['id']}").json()["status"] == "accepted"
    assert relay.relay.checks is not None
    checkers = [c.rpc for c in relay.relay.checkers]
    checker_real = checkers[0].url
    for rpc in checkers:
        rpc.url = "http://127.0.0.1:9/v3/0123456789abcdef?apikey=SECRET-KEY-42"  # a node URL with its key
    down = c.post("/v1/actions", json={"action": "Claim", "member": relay.dao["ada"].address})
    assert down.status_code == 503 and down.json()["code"] == "chain_unavailable"
    # defect 4: the message says what failed, never the node's URL or its key
    assert "SECRET-KEY-42" not in down.text and "0123456789abcdef" not in down.text, down.text
    for rpc in checkers:
        rpc.url = checker_real
    submitter_rpc.url = real  # the chain returns: the waiting action goes out
    assert relay.wait(accepted.json()["id"])["status"] == "mined"


def test_a_signed_vote_through_the_relay(relay: RelayHarness) -> None:
    """Members vote without ETH: the relay carries the governor's own signed ballot."""
    from starfish_dao.chain.governance import TEMPLATES, Governance
    from starfish_dao.domain.charter import GovernanceSettings

    dao, settings = relay.dao, GovernanceSettings()
    gov = Governance(dao.sf)
    pid = gov.propose(dao["ada"], TEMPLATES["set-parameter"]("minReviewers", "3"), "Three reviewers")
    dao.chain.increase_time(settings.voting_delay + 1)
    body = relay.signed(dao["bo"], "Ballot", proposalId=str(pid), support=1)
    assert body["typedData"]["domain"]["name"] == "Starfish Governor"  # type: ignore[index]
    sent = relay.client.post("/v1/actions", json=body)
    assert sent.status_code == 202, sent.text
    assert relay.wait(sent.json()["id"])["status"] == "mined"
    assert dao.sf.contracts["governor"].functions.hasVoted(pid, dao["bo"].address).call()
    # a proposal id is beyond JavaScript's exact integers: the typed data carries it as a string
    assert body["typedData"]["message"]["proposalId"] == str(pid) and pid > 2**53  # type: ignore[index]
    again = relay.client.post("/v1/actions", json=relay.signed(dao["bo"], "Ballot", proposalId=str(pid), support=0))
    assert again.status_code == 422 and "GovernorAlreadyCastVote" in again.text


def test_the_page_reads(relay: RelayHarness) -> None:
    """What the page reads beyond the API: verification, member history, artifacts, the charter
    document, proposals, and the page's own files (a fixed list: nothing else on disk)."""
    dao, c, state = relay.dao, relay.client, relay.relay.state
    state.refresh()
    v = state.verify()
    assert v["ok"] is True and v["checks"] > 20 and v["failures"] == []
    served = c.get("/v1/verification").json()
    assert served["ok"] and served["stale"] is False and served["block"] == state.block
    state.verified_at -= 10 * state.verify_interval  # as if the checks had stopped running
    assert c.get("/v1/verification").json()["stale"] is True

    page = c.get("/")
    assert page.status_code == 200 and '<main id="main"' in page.text
    for asset in ("app.js", "style.css", "vendor/sha3-0.9.3.min.js"):
        assert c.get(f"/page/{asset}").status_code == 200
    for sneaky in ("../page.py", "index.html", "..%2Fpage.py", "vendor/sha3-LICENSE.txt"):
        assert c.get(f"/page/{sneaky}").status_code == 404

    ada = dao["ada"].address
    history = c.get(f"/v1/members/{ada}/history").json()
    assert history["address"] == ada and history["joined"] is not None and history["contributions"] == []
    assert c.get("/v1/members/nobody/history").status_code == 400

    doc = c.get("/v1/charter/document").json()
    assert doc["text"] is None and doc["cid"].startswith("0x")  # not in this relay's store yet
    uploaded = c.post("/v1/artifacts", files={"file": ("charter.md", b"# charter\n")}).json()
    doc = c.get("/v1/charter/document").json()
    assert doc == {"cid": uploaded["cid"], "text": "# charter\n"}
    assert c.get(f"/v1/artifacts/{uploaded['cid']}").content == b"# charter\n"
    assert c.get(f"/v1/artifacts/{cid_of(b'never uploaded')}").status_code == 404
    assert c.get("/v1/artifacts/not-a-cid").status_code == 400
    assert c.get("/v1/proposals").json() == []
    from eth_utils import keccak

    data = "0x" + keccak(text="MembershipAlreadyMember(address)")[:4].hex() + "00" * 12 + ada[2:].lower()
    named = c.post("/v1/decode-revert", json={"data": data}).json()
    assert named["error"] == "MembershipAlreadyMember" and named["args"] == {"account": ada}
    assert c.post("/v1/decode-revert", json={"data": "nonsense"}).status_code == 400
