"""What every router needs: the relay (a typed dependency), its model, and integers as text."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from starfish_dao.domain.model import Model
from starfish_dao.relay.service import Relay


async def get_relay(request: Request) -> Relay:  # async: no thread hop per request
    relay: Relay = request.app.state.relay
    return relay


RelayDep = Annotated[Relay, Depends(get_relay)]


def decimal(value: int) -> str:
    """An integer as a decimal string: JSON numbers beyond 2^53 lose digits in JavaScript."""
    return str(value)


def model_of(relay: Relay) -> Model:
    return relay.state.model


def chain_now(relay: Relay) -> int:
    """The chain's time as the relay's chain-state thread last read it (every `state_interval`): a
    request never waits on the node for it (a stalled node would hold a worker thread per request)."""
    return relay.state.head_time or relay.sf.now()  # before the first read only
