"""One address rule for every command, route and form (EIP-55).

An address is 0x and 40 hex digits. All lower case or all upper case carries no checksum and is taken
as it is; mixed case is a checksum and must be the right one. A refusal never offers a "corrected"
form: the checksum of a mistyped address is just the mistyped address in capitals, and showing it
as the right one is how money went to a typo.
"""

from __future__ import annotations

from typing import Any

from starfish_dao.domain import fastabi as fast
from starfish_dao.domain.errors import ConfigError


def address_problem(value: Any) -> str | None:
    """Why `value` is not an acceptable address, or None when it is."""
    if not fast.is_address(value):
        return "is not an address: it must be 0x and 40 hex digits"
    digits = value[2:]
    if digits not in (digits.lower(), digits.upper()) and fast.checksum(value) != value:
        return "has a wrong checksum: a letter's case does not match (a typo?); check every character"
    return None


def checked_address(value: Any, what: str = "the address") -> str:
    """`value` in its checksummed form, or ConfigError naming what was wrong (never a guess)."""
    problem = address_problem(value)
    if problem is not None:
        raise ConfigError(f"{what} {value!r} {problem}")
    return fast.checksum(value)
