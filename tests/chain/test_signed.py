"""Signed actions: each action's own EIP-712 struct, unordered nonces, deadlines, domains."""

from __future__ import annotations

import time

from eth_utils.crypto import keccak

from starfish_dao.chain.client import SignedAction
from starfish_dao.domain import typed_data as td
from starfish_dao.domain.model import ETH
from tests.conftest import ETHER, PARAMS, Dao, artifact_cid, reverts


def test_typehashes_and_domains_match_the_contracts(dao: Dao) -> None:
    sf = dao.sf
    assert sf.membership.functions.JOIN_TYPEHASH().call() == keccak(text=td.type_string("Join"))
    assert sf.membership.functions.LEAVE_TYPEHASH().call() == keccak(text=td.type_string("Leave"))
    assert sf.registry.functions.SUBMIT_TYPEHASH().call() == keccak(text=td.type_string("Submit"))
    assert sf.registry.functions.SEALED_REVIEW_TYPEHASH().call() == keccak(text=td.type_string("SealedReview"))
    assert sf.splitter.functions.CLAIM_TO_TYPEHASH().call() == keccak(text=td.type_string("ClaimTo"))
    for action, role in (("Join", "membership"), ("SealedReview", "registry"), ("ClaimTo", "splitter")):
        domain = td.domain_for(action, sf.deployment.chain_id, sf.deployment.addresses)
        from eth_account._utils.encode_typed_data.encoding_and_hashing import hash_domain

        assert sf.contracts[role].functions.DOMAIN_SEPARATOR().call() == hash_domain(domain.as_dict())


def test_relayed_and_direct_join_end_in_the_same_state(dao: Dao) -> None:
    sf, zed, relay = dao.sf, dao["zed"], dao["relay"]
    signed = sf.sign(zed, "Join")
    balance = sf.w3.eth.get_balance(zed.address)
    sf.submit_signed(relay, signed)
    assert sf.w3.eth.get_balance(zed.address) == balance  # zed paid nothing
    relayed = (sf.membership.functions.isActive(zed.address).call(), sf.membership.functions.ownerOf(
        sf.membership.functions.tokenOf(zed.address).call()).call())  # fmt: skip
    assert relayed == (True, zed.address)
    assert sf.nonce_used("Join", zed.address, signed.message["nonce"])


def test_every_action_works_relayed(dao: Dao) -> None:
    sf, relay = dao.sf, dao["relay"]
    cid = artifact_cid("relayed work")
    receipt = sf.submit_signed(relay, sf.sign(dao["dee"], "Submit", cid=cid, effort=30))
    cid_id = sf._submitted_id(receipt)
    assert sf.contribution(cid_id)["author"] == dao["dee"].address
    sf.submit_signed(relay, sf.sign_review(dao["ada"], cid_id, 4, b"\x01\x55"))
    assert sf.registry.functions.hasReviewed(cid_id, dao["ada"].address).call()
    dao.chain.increase_time(PARAMS.review_window + 1)
    assert sf.reveal_due(relay, cid_id) == 1  # the opening, sent by the relay's account: anyone may
    assert sf.registry.functions.tally(cid_id).call()[4] > 0
    sf.pay_eth(dao["zed"], ETHER)
    to = dao["zed"].address
    before = sf.w3.eth.get_balance(to)
    owed = sf.claimable(dao["ada"].address)
    sf.submit_signed(relay, sf.sign(dao["ada"], "ClaimTo", token=ETH, to=to))
    assert sf.w3.eth.get_balance(to) == before + owed  # ada's pay, at the address ada named
    sf.submit_signed(relay, sf.sign(dao["dee"], "Leave"))
    assert not sf.membership.functions.isMember(dao["dee"].address).call()
    assert dao.model().discrepancies == []


def test_refusals(dao: Dao) -> None:
    sf, zed, relay, eli = dao.sf, dao["zed"], dao["relay"], dao["eli"]
    # a signature by someone else
    forged = sf.sign(eli, "Join")
    forged_msg = {**forged.message, "member": zed.address}
    forged = SignedAction("Join", zed.address, sf.typed_data_for("Join", forged_msg), forged.signature)
    with reverts("SignatureInvalid", signer=zed.address):
        sf.submit_signed(relay, forged)
    # expired
    with reverts("SignatureExpired"):
        sf.submit_signed(relay, sf.sign(zed, "Join", deadline=int(time.time()) - 10**6))
    # another chain's domain
    other = sf.typed_data_for("Join", {"member": zed.address, "generation": 0, "nonce": 1, "deadline": 2**255})
    other["domain"]["chainId"] += 1
    sig = zed.sign_message(td.signable(other)).signature
    with reverts("SignatureInvalid"):
        sf.submit_signed(relay, SignedAction("Join", zed.address, {**other, "domain": other["domain"]}, bytes(sig)))
    # another contract's domain (the registry's, for a Join)
    wrong = td.typed_data(
        "Join",
        td.Domain("Starfish Membership", "1", sf.deployment.chain_id, sf.deployment.addresses["registry"]),
        {"member": zed.address, "generation": 0, "nonce": 2, "deadline": 2**255},
    )
    sig = zed.sign_message(td.signable(wrong)).signature
    with reverts("SignatureInvalid"):
        sf.submit_signed(relay, SignedAction("Join", zed.address, wrong, bytes(sig)))
    # a malformed signature
    good = sf.sign(zed, "Join")
    with reverts("SignatureInvalid"):
        sf.submit_signed(relay, SignedAction("Join", zed.address, good.typed_data, b"\x00" * 65))
    # replay
    sf.submit_signed(relay, good)
    sf.leave(zed)
    with reverts("NonceAlreadyUsed", signer=zed.address, nonce=good.message["nonce"]):
        sf.submit_signed(relay, good)


def test_a_withheld_join_or_leave_cannot_undo_a_later_action(dao: Dao) -> None:
    """Finding 4: a relay that withheld a signed Leave could replay it after the member re-joined.
    A Join or Leave names the membership generation it was signed in."""
    sf, dee, relay = dao.sf, dao["dee"], dao["relay"]
    withheld_leave = sf.sign(dee, "Leave")  # handed to a relay that sits on it
    sf.leave(dee)  # dee leaves directly instead ...
    withheld_join = sf.sign(dee, "Join")
    sf.join(dee)  # ... and re-joins directly
    assert sf.generation(dee.address) == withheld_leave.message["generation"] + 2
    with reverts("MembershipStaleSignature", account=dee.address, currentGeneration=3):
        sf.submit_signed(relay, withheld_leave)
    with reverts("MembershipStaleSignature", signedGeneration=2, currentGeneration=3):
        sf.submit_signed(relay, withheld_join)
    assert sf.is_active(dee.address)
    sf.submit_signed(relay, sf.sign(dee, "Leave"))  # a fresh one works
    assert not sf.is_active(dee.address)
    assert dao.model().members[dee.address].generation == 4


def test_nonces_are_unordered_and_cancellable(dao: Dao) -> None:
    sf, relay, dee = dao.sf, dao["relay"], dao["dee"]
    first = sf.sign(dee, "Submit", cid=artifact_cid("n1"), effort=10, nonce=5)
    second = sf.sign(dee, "Submit", cid=artifact_cid("n2"), effort=10, nonce=2**200 + 3)
    sf.submit_signed(relay, second)  # out of order is fine
    sf.submit_signed(relay, first)
    third = sf.sign(dee, "Submit", cid=artifact_cid("n3"), effort=10, nonce=6)
    sf._send(dee, sf.registry.functions.cancelNonce(6))
    with reverts("NonceAlreadyUsed", nonce=6):
        sf.submit_signed(relay, third)
    # a failing action does not block the next one (its nonce is not consumed)
    failing = sf.sign(dee, "Submit", cid=artifact_cid("n1"), effort=10, nonce=7)  # duplicate artifact
    with reverts("RegistryArtifactAlreadyClaimed"):
        sf.submit_signed(relay, failing)
    assert not sf.nonce_used("Submit", dee.address, 7)
    sf.submit_signed(relay, sf.sign(dee, "Submit", cid=artifact_cid("n4"), effort=10, nonce=8))
