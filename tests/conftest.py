"""Shared fixtures: a real anvil per test session (per xdist worker), a deployed DAO, snapshots per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from starfish_dao.chain.backends import AnvilNode, RpcBackend
from starfish_dao.chain.client import Starfish
from starfish_dao.chain.deployment import Deployment, _deploy_one, deploy
from starfish_dao.domain.charter import DAY, POINT, CharterConfig, Founder, Params
from starfish_dao.domain.model import Model
from starfish_dao.domain.unixfs import cid_of
from tests.ipfs.jsipfs import IpfsDaemon

ETHER = 10**18
FOUNDER_POINTS = 600 * POINT
PARAMS = Params(
    epoch_length=7 * DAY,
    review_window=3 * DAY,
    min_reviewers=2,
    half_life=26,
    reserve_bps=1000,
    max_effort=2400,
    max_effort_per_epoch=4800,
    min_reviewer_standing=1 * POINT,
    # every member sits on every panel (as with self-selected review) unless a test draws panels:
    # tests/chain/test_panels.py and the state machine use small panels
    panel_size=100,
    # reviewers are paid nothing unless a test pays them (tests/chain/test_review_pay.py, the state
    # machine, the demo's defaults), so that the other tests' arithmetic of receipts stays short
    reviewer_bps=0,
    hosting_bps=0,  # likewise hosts (tests/chain/test_hosting_pay.py, the state machine, the demo)
)


@pytest.fixture(scope="session", autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    os.environ["STARFISH_HOME"] = str(tmp_path_factory.mktemp("starfish-home"))


@pytest.fixture(scope="session")
def ipfs_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IpfsDaemon]:
    """A real IPFS node (Kubo RPC API) for the session."""
    daemon = IpfsDaemon(tmp_path_factory.mktemp("ipfs-repo")).start()
    try:
        yield daemon
    finally:
        daemon.stop()


@pytest.fixture(scope="session")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RpcBackend]:
    node = AnvilNode(tmp_path_factory.mktemp("anvil")).start()
    try:
        yield RpcBackend(node.url, name="anvil", node=node)
    finally:
        node.stop()


@dataclass
class Dao:
    chain: RpcBackend
    sf: Starfish
    deployment: Deployment
    people: dict[str, LocalAccount]
    token: str

    def __getitem__(self, name: str) -> LocalAccount:
        return self.people[name]

    def model(self) -> Model:
        return Model().apply_all(self.sf.logs())

    @property
    def governance(self) -> str:
        return str(self.sf.charter.functions.governance().call())

    def govern(self, fn: Any, value: int = 0) -> Any:
        """Sends `fn` as governance: the timelock, impersonated on anvil. A test shortcut for what a
        passed proposal does (tests/governance runs the real propose-vote-queue-execute cycle)."""
        return send_as(self.chain, self.governance, fn, value)


NAMES = ("ada", "bo", "cy", "dee", "eli", "zed", "relay")
MEMBERS = ("ada", "bo", "cy", "dee", "eli")  # zed is an outsider; relay only pays gas
FOUNDERS = ("ada", "bo", "cy")


def deploy_dao(
    chain: RpcBackend,
    params: Params = PARAMS,
    founders: tuple[str, ...] = FOUNDERS,
    extra_founders: tuple[str, ...] = (),
    founder_points: int = FOUNDER_POINTS,
) -> Dao:
    people = {name: Account.create() for name in NAMES}
    for account in people.values():
        chain.fund(account.address, 1000 * ETHER)
    w3 = chain.w3
    token, _ = _deploy_one(w3, people["ada"], "TestToken", "Coworking Credit", "CWC")
    cfg = CharterConfig(
        params=params,
        document_cid=cid_of(b"# charter\n").bytes,
        revenue_tokens=(token,),
        founders=tuple(Founder(a, founder_points) for a in [*(people[n].address for n in founders), *extra_founders]),
    )
    deployment = deploy(w3, people["ada"], cfg)
    sf = Starfish(w3, deployment)
    for name in MEMBERS:
        sf.join(people[name])
    return Dao(chain, sf, deployment, people, token)


@pytest.fixture(scope="session")
def _dao_session(chain: RpcBackend) -> Dao:
    return deploy_dao(chain)


@pytest.fixture()
def dao(_dao_session: Dao) -> Iterator[Dao]:
    """The deployed DAO, reverted to its fresh state after each test."""
    snapshot = _dao_session.chain.snapshot()
    try:
        yield _dao_session
    finally:
        _dao_session.chain.revert(snapshot)


def _effort_for(points: int) -> int:
    effort, rest = divmod(points * 3, 5 * POINT)
    assert rest == 0, f"{points} points is no whole number of minutes at 5 stars"
    return effort


def founders_first_work(dao: Dao, points: int = FOUNDER_POINTS, authors: tuple[str, ...] = FOUNDERS) -> list[int]:
    """Genesis standing weighs reviews and votes but earns no revenue (docs/economics.md): the
    founders' first work, each accepted at 5 stars by the other founders, gives each of `authors`
    `points` that do. Returns the contributions; ends just after the next epoch begins, so that the
    review budgets spent on it are fresh again and the new points weigh in reviews."""
    sf = dao.sf
    effort = _effort_for(points)
    ids = {name: sf.submit(dao[name], artifact_cid(f"{name}'s first work"), effort) for name in authors}
    for author, contribution in ids.items():
        for reviewer in FOUNDERS:
            if reviewer != author:
                sf.review(dao[reviewer], contribution, 5)
    window = int(sf.charter.functions.params().call()[1])
    dao.chain.increase_time(window + 1)
    for contribution in ids.values():
        assert sf.finalize(dao["zed"], contribution)["points"] == points
    epoch_length = int(sf.charter.functions.params().call()[0])
    next_start = int(sf.charter.functions.currentEpochStart().call()) + epoch_length
    dao.chain.increase_time(max(1, next_start - sf.now() + 1))
    return list(ids.values())


def earns_as(dao: Dao, address: str, send: Any, points: int, reviewers: tuple[str, ...] = ("ada", "bo")) -> int:
    """`address` (a contract, or an address without a key) joins and has work accepted at 5 stars,
    earning `points`; `send(fn)` sends a call from it (`send_as`, or a contract wallet's own call).
    Returns the contribution."""
    from starfish_dao.domain.commitment import commitment

    sf = dao.sf
    cid = artifact_cid(f"work of {address}")
    content_hash = cid[4:]  # a raw CID's digest
    salt = bytes(31) + b"\x01"
    if not sf.membership.functions.isMember(address).call():
        send(sf.membership.functions.join())
    send(sf.registry.functions.commit(commitment(address, content_hash, salt)))
    send(sf.registry.functions.submit(cid, content_hash, _effort_for(points), salt))
    contribution = int(sf.registry.functions.contributionCount().call())
    for reviewer in reviewers:
        sf.review(dao[reviewer], contribution, 5)
    dao.chain.increase_time(int(sf.charter.functions.params().call()[1]) + 1)
    assert sf.finalize(dao["zed"], contribution)["points"] == points
    return contribution


@pytest.fixture(scope="session")
def _earning_dao_session(chain: RpcBackend) -> Dao:
    dao = deploy_dao(chain)
    founders_first_work(dao)
    return dao


@pytest.fixture()
def earning_dao(_earning_dao_session: Dao) -> Iterator[Dao]:
    """A deployed DAO whose founders' first work was accepted (FOUNDER_POINTS each, which earn, beside
    their genesis standing, which does not), reverted to that state after each test."""
    snapshot = _earning_dao_session.chain.snapshot()
    try:
        yield _earning_dao_session
    finally:
        _earning_dao_session.chain.revert(snapshot)


@pytest.fixture()
def fresh_chain(chain: RpcBackend) -> Iterator[RpcBackend]:
    """The session's anvil, reverted after the test (for tests that deploy their own DAO)."""
    snapshot = chain.snapshot()
    try:
        yield chain
    finally:
        chain.revert(snapshot)


def send_as(chain: RpcBackend, sender: str, fn: Any, value: int = 0) -> Any:
    """Sends `fn` from `sender` without its key: anvil impersonation (dev chains only)."""
    from starfish_dao.chain.tx import _raise_revert

    w3 = chain.w3
    chain._dev("anvil_impersonateAccount", [sender])
    if w3.eth.get_balance(sender) < 10**18:
        chain.fund(sender, 100 * ETHER)
    tx = {"from": sender, "to": fn.address, "data": fn._encode_transaction_data(), "value": value}
    try:
        gas = int(w3.eth.estimate_gas(tx))  # type: ignore[arg-type]
    except Exception as exc:  # noqa: BLE001 - decoded
        _raise_revert(exc)
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction({**tx, "gas": gas * 2}))  # type: ignore[arg-type]
    assert receipt["status"] == 1, receipt
    return receipt


def artifact_cid(tag: str) -> bytes:
    return cid_of(tag.encode()).bytes


VECTORS = Path(__file__).parent / "vectors"


class reverts:
    """Expects a ContractRevert naming `name` (and, optionally, these arguments)."""

    def __init__(self, name: str, **args: object) -> None:
        self.name = name
        self.args = args

    def __enter__(self) -> reverts:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> bool:
        from starfish_dao.domain.errors import ContractRevert

        if exc is None:
            raise AssertionError(f"expected a revert with {self.name}, but the call succeeded")
        if not isinstance(exc, ContractRevert):
            return False
        assert exc.name == self.name, f"expected {self.name}, got {exc}"
        for key, value in self.args.items():
            assert exc.error_args.get(key) == value, f"{self.name}.{key}: {exc.error_args.get(key)!r} != {value!r}"
        return True
