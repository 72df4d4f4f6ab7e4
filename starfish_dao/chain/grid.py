"""The grid on a chain: registering as a host, fixing an epoch's seed, and reading who holds what.

Thin over `Starfish` (the contract calls) and `domain/grid.py` (everything computed): the
assignment is never read from a contract, it is recomputed from the chain's events.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from web3.logs import DISCARD

from starfish_dao.chain.client import Starfish
from starfish_dao.domain.fastabi import keccak
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


# ----------------------------------------------------------------- checks and hosting pay


@dataclass(frozen=True)
class CheckResult:
    """What a checker seals and later reveals about one host for one epoch."""

    epoch: int
    host: str
    held: int  # the bytes of the files the host was to hold (`hosting.held_bytes`)
    passes: int  # of `CHALLENGES`
    evidence: bytes  # the CID (bytes) of the evidence, pinned by the checker; b"" for none
    failed: tuple[bytes, ...] = ()  # sha-256 digests of the blocks its failed walks stopped at

    def salt(self, private_key: bytes, grid: str) -> bytes:
        """A salt only the checker's key can make (so a lost journal loses no secret)."""
        return keccak(b"starfish.sealed-check" + private_key + bytes.fromhex(grid[2:]) +
                      self.epoch.to_bytes(32, "big") + bytes.fromhex(self.host[2:]))  # fmt: skip

    def seal(self, checker: str, salt: bytes) -> bytes:
        """`Grid.checkSeal`: keccak256(abi.encode(checker, epoch, host, held, passes, keccak256(evidence),
        keccak256(abi.encode(failed)), salt))."""
        from eth_abi.abi import encode

        return keccak(encode(
            ["address", "uint256", "address", "uint64", "uint8", "bytes32", "bytes32", "bytes32"],
            [checker, self.epoch, self.host, self.held, self.passes, keccak(self.evidence), self.failed_hash, salt],
        ))  # fmt: skip

    @property
    def failed_hash(self) -> bytes:
        from eth_abi.abi import encode

        return keccak(encode(["bytes32[]"], [list(self.failed)]))

    def as_struct(self) -> tuple[int, int, bytes, list[bytes]]:
        """`IGrid.Result`."""
        return (self.held, self.passes, self.evidence, list(self.failed))


def seal_check(sf: Starfish, account: LocalAccount, result: CheckResult) -> Any:
    """Seals `account`'s result (during epoch `result.epoch + 1`)."""
    seal = result.seal(account.address, result.salt(bytes(account.key), sf.grid.address))
    return sf._send(account, sf.grid.functions.sealCheck(result.epoch, result.host, seal))


def reveal_check(sf: Starfish, sender: LocalAccount, checker: LocalAccount, result: CheckResult) -> Any:
    """Reveals `checker`'s sealed result (during epoch `result.epoch + 2`; anyone may send it)."""
    salt = result.salt(bytes(checker.key), sf.grid.address)
    return sf._send(sender, sf.grid.functions.revealCheck(
        result.epoch, result.host, checker.address, result.as_struct(), salt))  # fmt: skip


def contest(sf: Starfish, sender: LocalAccount, epoch: int, host: str, checker: str, held: int, passes: int,
            failed: list[bytes], blocks: list[bytes]) -> int:  # fmt: skip
    """Proves on-chain the blocks `checker` said `host` failed to serve (during `epoch + 2`, or
    `epoch + 3`); returns the passes that result now counts."""
    receipt = sf._send(sender, sf.grid.functions.contest(epoch, host, checker, held, passes, failed, blocks))
    events = sf.grid.events.CheckContested().process_receipt(receipt, errors=DISCARD)
    return int(events[0]["args"]["passes"]) if events else passes


def attest(sf: Starfish, sender: LocalAccount, epoch: int, host: str) -> int:
    """Records `host`'s majority result for `epoch` (during `epoch + 4`); returns its units."""
    receipt = sf._send(sender, sf.grid.functions.attest(epoch, host))
    events = sf.grid.events.HostAttested().process_receipt(receipt, errors=DISCARD)
    return int(events[0]["args"]["units"]) if events else 0


def claim_hosting_pay(sf: Starfish, sender: LocalAccount, host: str, epoch: int, token: str) -> int:
    """Pays `host` its share of `epoch`'s hosting pot in `token` (from `epoch + 5`); returns the amount."""
    receipt = sf._send(sender, sf.grid.functions.claimHostingPay(host, epoch, token))
    events = sf.grid.events.HostingPayClaimed().process_receipt(receipt, errors=DISCARD)
    return int(events[0]["args"]["amount"]) if events else 0


class Journal:
    """The results this machine sealed, kept until revealed: `~/.starfish/checks/<chain>-<grid>.json`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def for_grid(cls, chain_id: int, grid: str) -> Journal:
        from starfish_dao.config import home

        return cls(home() / "checks" / f"{chain_id}-{grid.lower()}.json")

    def load(self) -> list[CheckResult]:
        if not self.path.is_file():
            return []
        try:
            rows = json.loads(self.path.read_text())
            return [CheckResult(int(r["epoch"]), str(r["host"]), int(r["held"]), int(r["passes"]),
                                bytes.fromhex(r["evidence"]), tuple(bytes.fromhex(f) for f in r.get("failed", [])))
                    for r in rows]  # fmt: skip
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(
                f"{self.path} is not a journal of sealed checks ({exc}); move it away to start anew"
            ) from exc

    def save(self, results: list[CheckResult]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        rows = [{"epoch": r.epoch, "host": r.host, "held": r.held, "passes": r.passes, "evidence": r.evidence.hex(),
                 "failed": [f.hex() for f in r.failed]} for r in results]  # fmt: skip
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(rows, indent=1))
        tmp.replace(self.path)
