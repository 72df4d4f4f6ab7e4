"""The fields of a request, checked and normalized, or refused (400 malformed) saying which and why:
integers in their range, checksummed addresses, 0x-hex bytes, and a typed-data message with exactly
its type's fields. Pure: nothing here reads the chain."""

from __future__ import annotations

from typing import Any

from starfish_dao.domain import fastabi as fast
from starfish_dao.domain import typed_data as td
from starfish_dao.domain.address import address_problem
from starfish_dao.relay.edge.problems import Refusal


def int_field(value: Any, field: str, bits: int = 256) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise Refusal(400, "malformed", f"{field} must be an integer")
    try:
        number = int(value, 0) if isinstance(value, str) else value
    except ValueError:
        raise Refusal(400, "malformed", f"{field} must be an integer, got {value!r}") from None
    if not 0 <= number < 2**bits:
        raise Refusal(400, "malformed", f"{field} must be in [0, 2^{bits})")
    return number


def address_field(value: Any, field: str) -> str:
    problem = address_problem(value)
    if problem is not None:
        raise Refusal(400, "malformed", f"{field} {problem}")
    return fast.checksum(value)


def hex_field(value: Any, field: str, limit: int = 128) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise Refusal(400, "malformed", f"{field} must be 0x-prefixed hex")
    try:
        raw = bytes.fromhex(value[2:])
    except ValueError:
        raise Refusal(400, "malformed", f"{field} is not valid hex") from None
    if len(raw) > limit:
        raise Refusal(400, "malformed", f"{field} is longer than {limit} bytes")
    return raw


def field_value(value: Any, name: str, typ: str) -> Any:
    """One typed-data field, checked and normalized: checksum address, 0x-hex bytes, or an integer."""
    if typ == "address":
        return address_field(value, name)
    if typ == "bytes":
        return "0x" + hex_field(value, name).hex()
    if typ == "bytes32":
        raw = hex_field(value, name, 32)
        if len(raw) != 32:
            raise Refusal(400, "malformed", f"{name} must be 32 bytes")
        return "0x" + raw.hex()
    return int_field(value, name, int(typ[4:]))


def message_fields(action: str, message: Any) -> dict[str, Any]:
    """A signed action's typed-data message: exactly its type's fields, each checked."""
    if not isinstance(message, dict):
        raise Refusal(400, "malformed", "typedData.message must be an object")
    names = [f["name"] for f in td.ACTION_TYPES[action]]
    missing = [n for n in names if n not in message]
    extra = [n for n in message if n not in names]
    if missing or extra:
        raise Refusal(400, "malformed", f"{action} message: missing {missing}, unexpected {extra}")
    return {f["name"]: field_value(message[f["name"]], f["name"], f["type"]) for f in td.ACTION_TYPES[action]}
