from __future__ import annotations

import pytest
from eth_account import Account

from starfish_dao.domain.typed_data import ACTION_TYPES, Domain, signable, type_string, typed_data


def test_type_strings_are_the_documented_ones() -> None:
    assert type_string("Join") == "Join(address member,uint256 generation,uint256 nonce,uint256 deadline)"
    assert type_string("SealedReview") == (
        "SealedReview(address reviewer,uint256 contribution,bytes32 sealed,uint256 nonce,uint256 deadline)"
    )
    assert type_string("Submit") == (
        "Submit(address author,bytes cid,bytes32 contentHash,uint32 effort,bytes32 salt,uint256 nonce,uint256 deadline)"
    )
    assert type_string("ClaimTo") == "ClaimTo(address member,address token,address to,uint256 nonce,uint256 deadline)"


def test_typed_data_rejects_unknown_actions_and_missing_fields() -> None:
    domain = Domain("Starfish Membership", "1", 1, "0x" + "11" * 20)
    with pytest.raises(ValueError, match="unknown action"):
        typed_data("Transfer", domain, {})
    with pytest.raises(ValueError, match="missing"):
        typed_data("Join", domain, {"member": "0x" + "22" * 20, "nonce": 1})


def test_signature_recovers_the_signer_and_depends_on_the_domain() -> None:
    account = Account.create()
    message = {"member": account.address, "generation": 0, "nonce": 7, "deadline": 10**10}
    d1 = typed_data("Join", Domain("Starfish Membership", "1", 1, "0x" + "11" * 20), message)
    d2 = typed_data("Join", Domain("Starfish Membership", "1", 2, "0x" + "11" * 20), message)
    sig = account.sign_message(signable(d1)).signature
    assert Account.recover_message(signable(d1), signature=sig) == account.address
    assert Account.recover_message(signable(d2), signature=sig) != account.address
    assert set(ACTION_TYPES) == {"Join", "Leave", "Submit", "SealedReview", "ClaimTo", "ClaimIncarnationTo", "Ballot",
                                 "RegisterHost", "UnregisterHost", "SealCheck"}  # fmt: skip


def test_fast_digest_equals_eth_account() -> None:
    from eth_account.messages import _hash_eip191_message

    from starfish_dao.domain.typed_data import digest, domain_separator

    domain = Domain("Starfish Contributions", "1", 31337, "0x" + "ab" * 20)
    message = {
        "reviewer": "0x" + "cd" * 20, "contribution": 7, "sealed": "0x" + "5e" * 32,
        "nonce": 2**200 + 5, "deadline": 10**10,
    }  # fmt: skip
    expected = _hash_eip191_message(signable(typed_data("SealedReview", domain, message)))
    assert digest("SealedReview", domain_separator(domain), message) == expected
    other = {**message, "sealed": "0x" + "5f" * 32}
    assert digest("SealedReview", domain_separator(domain), other) != expected
