"""Turn revert data into `ContractRevert` naming the contract's custom error and its arguments."""

from __future__ import annotations

from functools import cache
from typing import Any

from eth_abi.abi import decode
from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.address import to_checksum_address

from starfish_dao.chain import artifacts
from starfish_dao.domain.errors import ContractRevert

_PANIC_CODES = {
    0x01: "assert failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division by zero",
    0x21: "invalid enum value",
    0x32: "array index out of bounds",
    0x41: "out of memory",
}


def _type_of(param: dict[str, Any]) -> str:
    if param["type"].startswith("tuple"):
        inner = ",".join(_type_of(c) for c in param["components"])
        return f"({inner}){param['type'][5:]}"
    return str(param["type"])


@cache
def error_table() -> dict[bytes, tuple[str, list[str], list[str]]]:
    """selector -> (name, argument names, argument types) over every compiled contract's errors."""
    table: dict[bytes, tuple[str, list[str], list[str]]] = {}
    for name in artifacts.names():
        for item in artifacts.abi(name):
            if item.get("type") != "error":
                continue
            types = [_type_of(i) for i in item["inputs"]]
            selector = function_signature_to_4byte_selector(f"{item['name']}({','.join(types)})")
            table[selector] = (item["name"], [i["name"] for i in item["inputs"]], types)
    table[bytes.fromhex("08c379a0")] = ("Error", ["message"], ["string"])
    table[bytes.fromhex("4e487b71")] = ("Panic", ["code"], ["uint256"])
    return table


def decode_revert(data: bytes | str | None) -> ContractRevert:
    if isinstance(data, str):
        data = bytes.fromhex(data.removeprefix("0x")) if data.startswith("0x") else b""
    if not data or len(data) < 4:
        return ContractRevert("", raw="no revert data")
    entry = error_table().get(data[:4])
    if entry is None:
        return ContractRevert("", raw="0x" + data.hex())
    name, arg_names, types = entry
    try:
        values = decode(types, data[4:])
    except Exception:  # noqa: BLE001 - malformed data: report it raw
        return ContractRevert(name, raw="0x" + data.hex())
    args: dict[str, object] = {}
    for arg, typ, value in zip(arg_names, types, values, strict=True):
        if typ == "address":
            value = to_checksum_address(value)
        elif typ.startswith("bytes"):
            value = "0x" + value.hex()
        args[arg or f"arg{len(args)}"] = value
    if name == "Panic":
        args["reason"] = _PANIC_CODES.get(int(args["code"]), "unknown")  # type: ignore[call-overload]
    return ContractRevert(name, args, raw="0x" + data.hex())


def _raw_bytes_in_chain(exc: BaseException) -> bytes | None:
    """eth-tester (py-evm) keeps the raw revert bytes in an exception earlier in the chain."""
    seen: BaseException | None = exc
    for _ in range(6):
        if seen is None:
            return None
        first = seen.args[0] if seen.args else None
        if isinstance(first, BaseException) and first.args:
            first = first.args[0]
        if isinstance(first, bytes) and len(first) >= 4:
            return first
        seen = seen.__cause__ or seen.__context__
    return None


def revert_from_exception(exc: BaseException) -> ContractRevert | None:
    """The revert carried by a web3 exception, if it carries one."""
    raw = _raw_bytes_in_chain(exc)
    if raw is not None:
        return decode_revert(raw)
    data = getattr(exc, "data", None)
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str | bytes) and data:
        return decode_revert(data)
    message = getattr(exc, "message", None) or (exc.args[0] if exc.args else "")
    if isinstance(message, dict):
        inner = message.get("data")
        if isinstance(inner, str | bytes):
            return decode_revert(inner)
    if "revert" in str(message).lower() or "execution reverted" in str(exc).lower():
        return ContractRevert("", raw=str(exc))
    return None
