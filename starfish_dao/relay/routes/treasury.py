"""`/v1/treasury`: treasury, revenue and payouts per token, and the revenue history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from starfish_dao.relay.routes.deps import RelayDep, decimal, model_of

treasury = APIRouter(prefix="/v1/treasury", tags=["treasury"])


@treasury.get("", summary="Treasury, revenue and payouts per token, and the revenue history")
def get_treasury(relay: RelayDep) -> dict[str, Any]:
    with relay.state.lock:
        m = model_of(relay)
        tokens = {
            t: {
                "received": decimal(m.received[t]),
                "claimed": decimal(m.claimed[t]),
                "treasury": decimal(m.treasury[t]),
                "spent": decimal(m.spent[t]),
                "undistributed": decimal(m.undistributed[t]),
            }
            for t in m.all_tokens()
        }
        revenue = list(relay.state.revenue)
    return {"tokens": tokens, "revenue": revenue}
