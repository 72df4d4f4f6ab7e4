"""JSON for machines: amounts as decimal strings, always; counts, ids and times as numbers."""

from __future__ import annotations

from typing import Any

#: JSON fields that hold amounts (wei, points in 18 decimals): always strings, whatever their size, so
#: that no consumer ever meets a JSON number that lost precision.
AMOUNT_KEYS = frozenset({
    "points", "claimable", "claimed", "received", "treasury", "undistributed", "dust", "dustBound", "spent",
    "paid", "amount", "wei", "weight", "weights", "quorumWeight", "for", "against", "abstain", "quorum",
    "genesisPoints", "proposalThreshold", "minReviewerStanding", "hostMinStanding",
})  # fmt: skip


def jsonable(value: Any, amount: bool = False) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str | float):
        return value
    if isinstance(value, int):
        return str(value) if amount or abs(value) >= 2**53 else value
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, dict):
        return {str(k): jsonable(v, amount or k in AMOUNT_KEYS) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v, amount) for v in value]
    return str(value)
