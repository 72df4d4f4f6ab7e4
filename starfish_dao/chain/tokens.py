"""A token's units as its contract states them: `symbol()` and `decimals()`, read once per token and
chain. Every amount of a token a person reads or types goes through here (ETH: "ETH", 18)."""

from __future__ import annotations

import weakref
from typing import Any

from starfish_dao.domain.model import ETH

#: per Web3 connection: token -> (symbol, decimals or None when the token does not state them)
_READ: weakref.WeakKeyDictionary[Any, dict[str, tuple[str, int | None]]] = weakref.WeakKeyDictionary()


def short_token(token: str) -> str:
    """`0xAbCd12…`: a token named by its address, when it states no usable symbol."""
    return "ETH" if token == ETH else token[:8] + "…"


def stated_units(w3: Any, token: str) -> tuple[str, int | None]:
    """The token's symbol (its short address when the symbol is missing, odd, or claims to be ETH)
    and its decimals (None when it does not answer `decimals()`)."""
    if token == ETH:
        return "ETH", 18
    known = _READ.setdefault(w3, {})
    if token not in known:
        known[token] = _read(w3, token)
    return known[token]


def _read(w3: Any, token: str) -> tuple[str, int | None]:
    from starfish_dao.chain import artifacts

    erc20 = w3.eth.contract(address=token, abi=artifacts.abi("TestToken"))  # only symbol() and decimals()
    try:
        decimals: int | None = int(erc20.functions.decimals().call())
    except Exception:  # noqa: BLE001 - decimals() is optional in ERC-20
        decimals = None
    if decimals is not None and not 0 <= decimals <= 77:  # uint8; 10**77 is past any uint256 amount
        decimals = None
    try:
        symbol = str(erc20.functions.symbol().call()).strip()
    except Exception:  # noqa: BLE001 - so is symbol()
        symbol = ""
    printable = symbol and symbol.isprintable() and len(symbol) <= 12 and symbol.upper() != "ETH"
    return (symbol if printable else short_token(token)), decimals


def token_units(w3: Any, token: str) -> tuple[str, int]:
    """A token's symbol and decimals for showing an amount (ETH: "ETH", 18); a token that does not
    state its decimals is shown as if it had 18 (ERC-20's usual), named by its short address."""
    symbol, decimals = stated_units(w3, token)
    return (symbol, 18) if decimals is None else (symbol, decimals)
