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
