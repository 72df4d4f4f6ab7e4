"""The grid on a chain: registering as a host, fixing an epoch's seed, and reading who holds what.

Thin over `Starfish` (the contract calls) and `domain/grid.py` (everything computed): the
assignment is never read from a contract, it is recomputed from the chain's events.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount

from starfish_dao.chain.client import Starfish
from starfish_dao.domain.grid import Assignment, endpoint_problem
from starfish_dao.domain.model import Model


@dataclass
class SeedState:
    epoch: int
    seed_block: int  # 0: not scheduled
    seed: int  # 0: not fixed

    @property
    def fixed(self) -> bool:
        return self.seed != 0


def register(sf: Starfish, account: LocalAccount, endpoint: str) -> Any:
    """Registers `account` as a host at `endpoint` (or changes its endpoint). ValueError names a
    malformed endpoint before anything is sent; the contract refuses a member without standing."""
    problem = endpoint_problem(endpoint)
    if problem is not None:
        raise ValueError(f"the endpoint {problem}")
    return sf._send(account, sf.grid.functions.registerHost(endpoint.encode()))


def unregister(sf: Starfish, account: LocalAccount) -> Any:
    return sf._send(account, sf.grid.functions.unregisterHost())


def seed_of(sf: Starfish, epoch: int) -> SeedState:
    """`epoch`'s seed, or the block it waits for (0: not scheduled)."""
    seed, _ = (int(v) for v in sf.grid.functions.seedOf(epoch).call())
    pending, seed_block, _ = (int(v) for v in sf.grid.functions.pendingSeed().call())
    return SeedState(epoch, seed_block if pending == epoch else 0, seed)


def fix_seed(sf: Starfish, sender: LocalAccount, epoch: int, wait: float = 60.0) -> SeedState:
    """Fixes `epoch`'s seed: schedules its block if it waits for none (or its block's hash is gone),
    waits (up to `wait` seconds) for that block to be mined, then fixes it. Returns the state
    reached (not fixed: its block was not mined in time; run it again). Another sender (a relay's
    keeper) doing either step first is no error: its step stands."""
    from starfish_dao.domain.errors import ContractRevert

    def step(done_by_others: tuple[str, ...]) -> None:
        try:
            sf._send(sender, sf.grid.functions.fixSeed(epoch))
        except ContractRevert as exc:
            if exc.name not in done_by_others:
                raise

    state = seed_of(sf, epoch)
    if state.fixed:
        return state
    if state.seed_block == 0 or sf.w3.eth.block_number > state.seed_block + 256:
        step(("GridSeedNotReady", "GridSeedAlreadyFixed"))  # scheduled (or fixed) by someone else meanwhile
        state = seed_of(sf, epoch)
        if state.fixed:
            return state
    deadline = time.monotonic() + wait
    # the next transaction's block is past the seed block once the seed block itself is mined
    while sf.w3.eth.block_number < state.seed_block and time.monotonic() < deadline:
        time.sleep(0.5)
    if sf.w3.eth.block_number >= state.seed_block:
        step(("GridSeedAlreadyFixed",))
    return seed_of(sf, epoch)


def hosts(sf: Starfish) -> list[str]:
    """The registered hosts, as the contract lists them."""
    grid = sf.grid
    return [str(grid.functions.hostAt(i).call()) for i in range(int(grid.functions.hostCount().call()))]


def assignment(sf: Starfish, epoch: int | None = None, model: Model | None = None) -> tuple[int, Assignment | None]:
    """(the epoch, who holds what in it: None while the seed of the epoch before is not fixed),
    recomputed from the chain's events. `epoch` defaults to the current one."""
    model = model or Model().apply_all(sf.logs())
    if epoch is None:
        epoch = int(sf.charter.functions.currentEpoch().call())
    return epoch, model.grid.assignment(model, epoch)
