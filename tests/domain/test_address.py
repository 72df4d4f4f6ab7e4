"""One address rule (issue 23, "money to a typo"): mixed case must be the right checksum, a refusal
never offers a corrected form, and the governance templates and the relay apply the same rule."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_utils.address import to_checksum_address

from starfish_dao.chain.governance import TEMPLATES as T
from starfish_dao.domain.address import address_problem, checked_address
from starfish_dao.domain.errors import ConfigError
from starfish_dao.relay.edge.problems import Refusal
from starfish_dao.relay.intake.fields import address_field as relay_address


def _typo(good: str) -> str:
    """`good` with one letter's case flipped: still hex, a wrong checksum."""
    i = next(i for i, c in enumerate(good) if i > 1 and c.isalpha())
    return good[:i] + good[i].swapcase() + good[i + 1 :]


@pytest.mark.parametrize("seed", range(20))
def test_the_rule_against_eth_utils(seed: int) -> None:
    good = Account.from_key(bytes([seed + 1]) * 32).address
    assert checked_address(good) == good == to_checksum_address(good)
    assert checked_address(good.lower()) == good  # no checksum to check: taken as it is
    assert checked_address("0x" + good[2:].upper()) == good
    assert address_problem(_typo(good)) is not None


def test_a_refusal_names_the_fault_and_never_offers_a_corrected_form() -> None:
    good = Account.from_key(b"\x07" * 32).address
    typo = _typo(good)
    with pytest.raises(ConfigError) as caught:
        checked_address(typo, "the recipient")
    message = str(caught.value)
    assert "wrong checksum" in message and "the recipient" in message
    assert to_checksum_address(typo.lower()) not in message.replace(repr(typo), "")
    for bad in ("0x1234", "1234" * 10, 7, None, "0x" + "g" * 40):
        with pytest.raises(ConfigError, match="is not an address"):
            checked_address(bad)


def test_a_spend_to_a_mistyped_address_never_goes_to_a_vote() -> None:
    good = Account.from_key(b"\x09" * 32).address
    with pytest.raises(ConfigError, match="wrong checksum"):
        T["spend"]("eth", _typo(good), 5 * 10**16)
    assert T["spend"]("eth", good, 1)[0].args[1] == good


def test_the_relay_refuses_a_mistyped_address() -> None:
    good = Account.from_key(b"\x0b" * 32).address
    with pytest.raises(Refusal) as caught:
        relay_address(_typo(good), "member")
    assert caught.value.status == 400 and "wrong checksum" in caught.value.message
    assert relay_address(good.lower(), "member") == good
