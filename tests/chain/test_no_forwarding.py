"""The ERC-2771 + Multicall address-spoofing class cannot occur: no contract trusts a forwarder,
batches calls, or runs foreign code in its own context (no DELEGATECALL, no CALLCODE)."""

from __future__ import annotations

from starfish_dao.chain import artifacts
from starfish_dao.chain.artifacts import CONTRACTS

FORWARDING = {"multicall", "isTrustedForwarder", "trustedForwarder", "execute", "executeBatch", "aggregate"}
DELEGATECALL, CALLCODE = 0xF4, 0xF2


def opcodes(code: bytes) -> list[int]:
    """The opcodes of EVM bytecode, skipping PUSH data."""
    out, i = [], 0
    while i < len(code):
        op = code[i]
        out.append(op)
        i += 1 + (op - 0x5F if 0x60 <= op <= 0x7F else 0)
    return out


def test_opcode_walk_skips_push_data() -> None:
    # PUSH2 0xf4f4, DELEGATECALL: only the last byte is an opcode of interest
    assert opcodes(bytes([0x61, 0xF4, 0xF4, 0xF4])) == [0x61, 0xF4]


def test_no_contract_forwards_batches_or_delegates() -> None:
    for name in CONTRACTS:
        functions = {item["name"] for item in artifacts.abi(name) if item.get("type") == "function"}
        assert not functions & FORWARDING, f"{name} exposes {functions & FORWARDING}"
        runtime = bytes.fromhex(artifacts.load(name)["deployedBytecode"].removeprefix("0x"))
        # the CBOR metadata at the end is data, not code
        code = runtime[: len(runtime) - 2 - int.from_bytes(runtime[-2:], "big")]
        ops = opcodes(code)
        assert DELEGATECALL not in ops, f"{name} contains DELEGATECALL"
        assert CALLCODE not in ops, f"{name} contains CALLCODE"
