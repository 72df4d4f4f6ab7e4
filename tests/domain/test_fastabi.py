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


@given(st.binary(max_size=300))
def test_keccak(data: bytes) -> None:
    """pysha3 (the relay's) against pycryptodome (eth-hash's first backend) and eth-utils, whichever
    backend eth-hash picked; 136 bytes is keccak-256's block, so inputs cross it."""
    from Crypto.Hash import keccak as pycryptodome

    expected = pycryptodome.new(digest_bits=256, data=data).digest()
    assert fastabi.keccak(data) == expected == eth_keccak(data)


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
    for types, values in ((["uint8"], [256]), (["address"], ["0x1234"]), (["bytes32"], [b"1" * 33]), (["int8"], [1])):
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


# ---------------------------------------------------------------- differential: refusals included

_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141  # secp256k1's order
_TYPES = ["address", "bool", "bytes", "bytes32", "uint8", "uint32", "uint256", "uint", "bytes1", "bytes20",
          "uint7", "uint264", "uint08", "bytes33", "bytes0"]  # fmt: skip


@st.composite
def _addresses(draw: st.DrawFn) -> object:
    """Every form eth-abi takes, and near misses: checksummed, a letter's case flipped, all lower, all
    upper, no 0x, 0X, raw bytes of 20 or 19."""
    raw = draw(st.binary(min_size=20, max_size=20))
    good = to_checksum_address("0x" + raw.hex())
    letters = [i for i, c in enumerate(good) if i > 1 and c.isalpha()]
    flip = draw(st.sampled_from(letters)) if letters else 2
    flipped = good[:flip] + good[flip].swapcase() + good[flip + 1 :]
    return draw(st.sampled_from([good, flipped, good.lower(), "0x" + good[2:].upper(), good[2:], "0X" + good[2:],
                                 flipped[2:], raw, bytearray(raw), raw[:19], good[:-1]]))  # fmt: skip


_VALUES = st.one_of(
    st.integers(-2, 2**256 + 1), st.integers(0, 300), st.booleans(), st.floats(0, 10), st.binary(max_size=40),
    st.binary(max_size=40).map(bytearray), st.binary(max_size=40).map(lambda b: "0x" + b.hex()), st.none(),
    st.sampled_from(["1", "0x01", 1.0, 0.0]), _addresses(),
)  # fmt: skip


def _eth_abi_and_web3(types: list[str], values: list[object]) -> bytes | None:
    """What eth-abi encodes (None where it refuses), refusing as web3 does a mixed-case address
    whose checksum is wrong."""
    try:
        expected = abi_encode(types, values)
    except Exception:  # noqa: BLE001 - every kind of refusal
        return None
    for typ, value in zip(types, values, strict=True):
        if typ == "address" and isinstance(value, str):
            digits = value[-40:]
            if digits not in (digits.lower(), digits.upper()) and to_checksum_address("0x" + digits) != "0x" + digits:
                return None
    return expected


_FITTING = {"address": _addresses(), "bool": st.booleans(), "bytes": st.binary(max_size=70),
            "bytes32": st.binary(max_size=33), "uint8": st.integers(0, 256),
            "uint32": st.integers(0, 2**32)}  # fmt: skip


@st.composite
def _pairs(draw: st.DrawFn) -> tuple[str, object]:
    """A type and, mostly, a value of its kind (near misses included), else anything."""
    typ = draw(st.sampled_from(_TYPES))
    fitting = _FITTING.get(typ)
    return typ, draw(fitting if fitting is not None and draw(st.integers(0, 3)) else _VALUES)


@settings(max_examples=600, deadline=None)
@given(st.lists(_pairs(), max_size=3))
def test_encode_encodes_and_refuses_as_eth_abi_does(pairs: list[tuple[str, object]]) -> None:
    """Issue 24, finding 9: floats, bools for uintN, integers for bool and bytes, and wrong
    checksums were encoded."""
    types, values = [t for t, _ in pairs], [v for _, v in pairs]
    expected = _eth_abi_and_web3(types, values)
    try:
        got: bytes | None = fastabi.encode(types, values)
    except ValueError:
        got = None
    assert got == expected, (types, values)


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.integers(0, 255), st.integers(0, 4), st.integers(0, 4),
       st.integers(1, _N - 1), st.sampled_from([31, 32, 32, 32, 33]))  # fmt: skip
def test_recover_recovers_and_refuses_as_eth_account_does(
    digest: bytes, v: int, r_kind: int, s_kind: int, other: int, size: int
) -> None:
    """Issue 24, finding 9: v of 35 and above (EIP-155's form, which eth-account reads) was refused.
    r and s: the signer's, 0, the group's order, a random value, or s mirrored (high s)."""
    account = Account.from_key(b"\x07" * 32)
    signed = bytes(Account.unsafe_sign_hash(digest, account.key).signature)
    r, s = int.from_bytes(signed[:32], "big"), int.from_bytes(signed[32:64], "big")
    r = [r, 0, _N, other, r][r_kind]
    s = [s, 0, _N, other, _N - s][s_kind]
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([v])
    message = digest[:size] if size <= 32 else digest + b"\x00"
    try:
        expected: str | None = Account._recover_hash(message, signature=signature)
    except Exception:  # noqa: BLE001 - every kind of refusal
        expected = None
    try:
        got: str | None = fastabi.recover(message, signature)
    except ValueError:
        got = None
    assert got == expected, (v, r_kind, s_kind, size)
