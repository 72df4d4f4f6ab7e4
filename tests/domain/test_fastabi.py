"""The relay's hot-path encoders give exactly what the libraries they replace give."""

from __future__ import annotations

import contextlib
import os

from eth_abi import encode as abi_encode
from eth_account import Account
from eth_utils import keccak as eth_keccak
from eth_utils import to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from starfish_dao.domain import fastabi


@given(st.binary(min_size=20, max_size=20))
def test_checksum_is_eip55(raw: bytes) -> None:
    address = "0x" + raw.hex()
    assert fastabi.checksum(address) == to_checksum_address(address)
    assert fastabi.checksum(address.upper().replace("0X", "0x")) == to_checksum_address(address)
    assert fastabi.is_address(address) and not fastabi.is_address(address[:-1]) and not fastabi.is_address(7)


@given(st.binary(max_size=200))
def test_keccak(data: bytes) -> None:
    assert fastabi.keccak(data) == eth_keccak(data)


@settings(max_examples=200)
@given(
    st.binary(min_size=20, max_size=20), st.integers(0, 2**256 - 1), st.integers(0, 2**32 - 1),
    st.binary(min_size=32, max_size=32), st.binary(max_size=100), st.binary(max_size=70), st.integers(0, 255),
)  # fmt: skip
def test_encode_matches_eth_abi(addr: bytes, big: int, small: int, word: bytes, a: bytes, b: bytes, u8: int) -> None:
    types = ["address", "uint256", "bytes", "uint32", "bytes32", "bytes", "uint8"]
    values = ["0x" + addr.hex(), big, a, small, word, b, u8]
    assert fastabi.encode(types, values) == abi_encode(types, values)


def test_encode_refuses_what_does_not_fit() -> None:
    for types, values in ((["uint8"], [256]), (["address"], ["0x1234"]), (["bytes32"], [b"1"]), (["int8"], [1])):
        try:
            fastabi.encode(types, values)
        except ValueError:
            continue
        raise AssertionError(f"{types} {values} was encoded")


def test_recover_matches_eth_account() -> None:
    for _ in range(50):
        account = Account.create()
        digest = os.urandom(32)
        signature = bytes(Account.unsafe_sign_hash(digest, account.key).signature)
        assert fastabi.recover(digest, signature) == account.address
        assert fastabi.recover(digest, signature[:64] + bytes([signature[64] - 27])) == account.address
        tampered = signature[:10] + bytes([signature[10] ^ 1]) + signature[11:]
        with contextlib.suppress(ValueError):  # a tampered signature recovers another key, or none
            assert fastabi.recover(digest, tampered) != account.address


@settings(max_examples=60)
@given(st.integers(0, 2**64 - 1), st.integers(0, 10**12), st.integers(0, 10**13), st.integers(21_000, 10**7),
       st.binary(max_size=300), st.integers(0, 10**20), st.integers(1, 2**32))  # fmt: skip
def test_signed_transaction_matches_eth_account(nonce: int, tip: int, fee: int, gas: int, data: bytes, value: int,
                                                chain_id: int) -> None:  # fmt: skip
    account = Account.from_key(b"\x11" * 32)
    to = to_checksum_address("0x" + "ab" * 20)
    tx = {"nonce": nonce, "maxPriorityFeePerGas": tip, "maxFeePerGas": fee, "gas": gas, "to": to, "value": value,
          "data": data, "chainId": chain_id}  # fmt: skip
    expected = account.sign_transaction(tx)
    raw, tx_hash = fastabi.sign_eip1559(account.key, chain_id, nonce, tip, fee, gas, to, value, data)
    assert raw == bytes(expected.raw_transaction) and tx_hash == bytes(expected.hash)


_RLP_ITEMS = st.recursive(
    st.integers(0, 2**256) | st.binary(max_size=80),
    lambda children: st.lists(children, max_size=6),
    max_leaves=30,
)


@settings(max_examples=200)
@given(_RLP_ITEMS)
def test_rlp_matches_the_rlp_library(item: object) -> None:
    """The signer's own RLP (integers, bytes, nested lists; long strings and lists included)."""
    import rlp

    assert fastabi._rlp(item) == rlp.encode(item)  # type: ignore[arg-type]


def test_rlp_refuses_negative_integers() -> None:
    import pytest

    with pytest.raises(ValueError, match="unsigned"):
        fastabi._rlp(-1)
