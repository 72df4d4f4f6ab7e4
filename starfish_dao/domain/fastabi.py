"""Hot-path encoding for the relay: ABI words, EIP-55 checksums and signature recovery, done with
the primitives directly (eth-abi, eth-utils and eth-account wrap the same operations in layers
of validation that cost several times more). Each is checked against the library it replaces in
tests/domain/test_fastabi.py."""

from __future__ import annotations

import functools
import re
from typing import Any

from Crypto.Hash import keccak as _keccak

_HEX40 = re.compile(r"0x[0-9a-fA-F]{40}\Z")


def keccak(data: bytes) -> bytes:
    return _keccak.new(digest_bits=256, data=data).digest()


def is_address(value: Any) -> bool:
    return isinstance(value, str) and _HEX40.match(value) is not None


def checksum(address: str) -> str:
    """EIP-55: `address` (0x + 40 hex digits, any case) with its checksum capitals."""
    lower = address[2:].lower()
    digest = keccak(lower.encode()).hex()
    return "0x" + "".join(c.upper() if c > "9" and digest[i] > "7" else c for i, c in enumerate(lower))


def encode(types: list[str], values: list[Any]) -> bytes:
    """ABI encoding of a flat list of address, uintN, bool, bytes32 and bytes values."""
    head: list[bytes] = []
    tail: list[bytes] = []
    offset = 32 * len(types)
    for typ, value in zip(types, values, strict=True):
        if typ == "bytes":
            data = bytes(value)
            padded = data + b"\x00" * (-len(data) % 32)
            head.append(offset.to_bytes(32, "big"))
            tail.append(len(data).to_bytes(32, "big") + padded)
            offset += 32 + len(padded)
        elif typ == "address":
            raw = bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)
            if len(raw) != 20:
                raise ValueError(f"not an address: {value!r}")
            head.append(b"\x00" * 12 + raw)
        elif typ == "bytes32":
            raw = bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)
            if len(raw) != 32:
                raise ValueError(f"not 32 bytes: {value!r}")
            head.append(raw)
        elif typ.startswith("uint") or typ == "bool":
            bits = 8 if typ == "bool" else int(typ[4:] or 256)
            number = int(value)
            if not 0 <= number < 2**bits:
                raise ValueError(f"{number} does not fit {typ}")
            head.append(number.to_bytes(32, "big"))
        else:
            raise ValueError(f"unsupported type {typ}")
    return b"".join(head) + b"".join(tail)


def recover(message_hash: bytes, signature: bytes) -> str:
    """The checksummed address that signed `message_hash` (65 bytes r, s, v with v 27/28 or 0/1)."""
    from coincurve import PublicKey

    if len(signature) != 65:
        raise ValueError("a signature is 65 bytes")
    v = signature[64] - 27 if signature[64] >= 27 else signature[64]
    if v not in (0, 1):
        raise ValueError(f"bad recovery id {signature[64]}")
    public = PublicKey.from_signature_and_message(signature[:64] + bytes([v]), message_hash, hasher=None)
    return checksum("0x" + keccak(public.format(compressed=False)[1:])[-20:].hex())


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
