"""Hot-path encoding for the relay: ABI words, EIP-55 checksums and signature recovery, done with
the primitives directly (eth-abi, eth-utils and eth-account wrap the same operations in layers
of validation that cost several times more). Each is checked against the library it replaces in
tests/domain/test_fastabi.py."""

from __future__ import annotations

import functools
import re
from typing import Any, TypeGuard

from sha3 import keccak_256 as _keccak_256

_HEX40 = re.compile(r"0x[0-9a-fA-F]{40}\Z")


def keccak(data: bytes) -> bytes:
    """Keccak-256 (pysha3: a C object per hash, about 0.6 µs; pycryptodome's wrapper costs 3.9 µs,
    most of it building the object; the two agree: tests/domain/test_fastabi.py)."""
    digest: bytes = _keccak_256(data).digest()
    return digest


def is_address(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and _HEX40.match(value) is not None


def checksum(address: str) -> str:
    """EIP-55: `address` (0x + 40 hex digits, any case) with its checksum capitals."""
    return _checksum_lower(address[2:].lower())


#: per byte of the hash: 0x20 where its high (or low) nibble is 8 or more, else 0
_HIGH_NIBBLE = bytes(0x20 if b & 0x80 else 0 for b in range(256))
_LOW_NIBBLE = bytes(0x20 if b & 0x08 else 0 for b in range(256))
#: per hex digit: 0xFF for a letter (which a capital changes), 0 for a digit
_LETTER = bytes(0xFF if chr(b) in "abcdef" else 0 for b in range(256))


@functools.lru_cache(maxsize=4096)
def _checksum_lower(lower: str) -> str:
    """EIP-55 of 40 lower-case hex digits, without a loop in Python: a letter is capitalised (0x20
    less) where the matching nibble of keccak(digits) is 8 or more. Cached by the lower-case form,
    so one address written two ways is hashed once."""
    digits = lower.encode()
    digest = keccak(digits)[:20]
    mask = bytearray(40)
    mask[0::2] = digest.translate(_HIGH_NIBBLE)
    mask[1::2] = digest.translate(_LOW_NIBBLE)
    capitals = int.from_bytes(mask, "big") & int.from_bytes(digits.translate(_LETTER), "big")
    return "0x" + (int.from_bytes(digits, "big") - capitals).to_bytes(40, "big").decode()


#: eth-utils' `is_hex_address`: 40 hex digits, 0x (or 0X) optional
_HEX_ADDRESS = re.compile(r"(0x)?[0-9a-f]{40}\Z", re.IGNORECASE | re.ASCII)


@functools.lru_cache(maxsize=64)
def _kind(typ: str) -> tuple[str, int]:
    """(kind, size) of an ABI type this encodes: address, bool, bytes, bytesN (size N), uintN (size N)."""
    if typ in ("address", "bool", "bytes"):
        return typ, 0
    for kind, sizes in (("uint", range(8, 257, 8)), ("bytes", range(1, 33))):
        digits = typ.removeprefix(kind)
        bare = digits == "" and kind == "uint"  # eth-abi's alias of uint256
        if digits != typ and (bare or (digits.isdigit() and digits[0] != "0")):
            size = int(digits or 256)
            if size in sizes:
                return kind + "N", size
    raise ValueError(f"unsupported type {typ}")


def _address(value: Any) -> bytes:
    """What eth-abi takes as an address (20 bytes, or 40 hex digits with or without 0x), less a mixed
    case that is not its EIP-55 checksum (web3 refuses it: a typo's checksum fails)."""
    if isinstance(value, bytes | bytearray):
        if len(value) == 20:
            return bytes(value)
    elif isinstance(value, str) and _HEX_ADDRESS.match(value):
        digits = value[-40:]
        if digits in (lower := digits.lower(), digits.upper()) or checksum("0x" + lower)[2:] == digits:
            return bytes.fromhex(digits)
        raise ValueError(f"{value!r} has a wrong EIP-55 checksum")
    raise ValueError(f"not an address: {value!r}")


def encode(types: list[str], values: list[Any]) -> bytes:
    """ABI encoding of a flat list of address, uintN, bool, bytesN and bytes values: eth-abi's bytes,
    and its refusals (a bool is no integer, an integer no bool nor bytes, a float nothing), plus
    web3's for a mixed-case address whose checksum is wrong. Each refusal a ValueError."""
    head: list[bytes] = []
    tail: list[bytes] = []
    offset = 32 * len(types)
    if len(types) != len(values):
        raise ValueError(f"{len(types)} types for {len(values)} values")
    for typ, value in zip(types, values, strict=True):
        kind, size = _kind(typ)
        if kind == "uintN":
            if type(value) is not int and (not isinstance(value, int) or isinstance(value, bool)):
                raise ValueError(f"{typ} takes an integer, not {type(value).__name__}")
            if not 0 <= value < 1 << size:
                raise ValueError(f"{value} does not fit {typ}")
            head.append(int(value).to_bytes(32, "big"))
        elif kind == "address":
            head.append(b"\x00" * 12 + _address(value))
        elif kind == "bytesN":
            if not isinstance(value, bytes | bytearray) or len(value) > size:
                raise ValueError(f"{typ} takes at most {size} bytes, not {value!r}")
            head.append(bytes(value) + b"\x00" * (32 - len(value)))
        elif kind == "bool":
            if not isinstance(value, bool):
                raise ValueError(f"bool takes True or False, not {value!r}")
            head.append(b"\x00" * 31 + (b"\x01" if value else b"\x00"))
        else:  # bytes
            if not isinstance(value, bytes | bytearray):
                raise ValueError(f"bytes takes bytes, not {type(value).__name__}")
            padded = bytes(value) + b"\x00" * (-len(value) % 32)
            head.append(offset.to_bytes(32, "big"))
            tail.append(len(value).to_bytes(32, "big") + padded)
            offset += 32 + len(padded)
    return b"".join(head) + b"".join(tail)


def recovery_id(v: int) -> int:
    """0 or 1 from a signature's v as eth-account reads it: 0/1, 27/28, or 35 and above (EIP-155's
    chain-id form); every other v is refused (ValueError)."""
    if v in (0, 1):
        return v
    if v in (27, 28):
        return v - 27
    if v >= 35:
        return (v - 35) % 2
    raise ValueError(f"bad recovery id {v}: v must be 0, 1, 27, 28 or 35+")


def recover(message_hash: bytes, signature: bytes) -> str:
    """The checksummed address that signed `message_hash` (65 bytes r, s, v; v as `recovery_id`
    reads it), where eth-account's `_recover_hash` recovers one, and a ValueError where it refuses."""
    return checksum(recover_lower(message_hash, signature))


def recover_lower(message_hash: bytes, signature: bytes) -> str:
    """`recover`'s address in lower case: compared with a known address, it needs no checksum."""
    from coincurve import PublicKey

    if len(message_hash) != 32:
        raise ValueError("the message hash must be 32 bytes")
    if len(signature) != 65:
        raise ValueError("a signature is 65 bytes")
    v = recovery_id(signature[64])
    public = PublicKey.from_signature_and_message(bytes(signature[:64]) + bytes([v]), message_hash, hasher=None)
    return "0x" + keccak(public.format(compressed=False)[1:])[-20:].hex()


def _rlp(item: int | bytes | list[Any]) -> bytes:
    """RLP of unsigned integers, byte strings and lists of them (what a transaction holds)."""
    if isinstance(item, list):
        payload = b"".join(_rlp(i) for i in item)
        return _rlp_length(len(payload), 0xC0) + payload
    if isinstance(item, int):
        if item < 0:
            raise ValueError("RLP integers are unsigned")
        item = item.to_bytes((item.bit_length() + 7) // 8, "big")
    if len(item) == 1 and item[0] < 0x80:
        return item
    return _rlp_length(len(item), 0x80) + item


def _rlp_length(length: int, offset: int) -> bytes:
    if length < 56:
        return bytes([offset + length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([offset + 55 + len(encoded)]) + encoded


@functools.lru_cache(maxsize=8)
def _private_key(secret: bytes) -> Any:
    from coincurve import PrivateKey

    return PrivateKey(secret)  # deriving its public key costs more than the signature itself


def sign_eip1559(private_key: bytes, chain_id: int, nonce: int, max_priority_fee: int, max_fee: int, gas: int,
                 to: str, value: int, data: bytes) -> tuple[bytes, bytes]:  # fmt: skip
    """A signed EIP-1559 transaction: (raw bytes, hash). The same bytes as eth-account's
    `sign_transaction` (RFC 6979 nonces, low s), in a fraction of the time."""
    fields: list[Any] = [chain_id, nonce, max_priority_fee, max_fee, gas, bytes.fromhex(to[2:]), value, data, []]
    signature = _private_key(bytes(private_key)).sign_recoverable(keccak(b"\x02" + _rlp(fields)), hasher=None)
    r, s, parity = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big"), signature[64]
    raw = b"\x02" + _rlp([*fields, parity, r, s])
    return raw, keccak(raw)
