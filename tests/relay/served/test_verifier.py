"""The relay's comparison of what it serves with the contracts runs in a process of its own (the
accepting process only pickles a snapshot of its model): it answers, it sees a served number that
the chain contradicts, and a verifier that dies is started again."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from fastapi.testclient import TestClient

from starfish_dao.relay.app import create_app
from starfish_dao.relay.service import Relay
from tests.conftest import ETHER, Dao
from tests.relay.conftest import relay_settings


@pytest.fixture()
def client(dao: Dao, tmp_path: Path) -> Iterator[tuple[TestClient, Relay]]:
    from starfish_dao.ipfs.local import LocalStore

    relayer = Account.create()
    dao.chain.fund(relayer.address, 10 * ETHER)
    settings = relay_settings(tmp_path, relayer, verifier_process=True, verify_interval=0.3)
    service = Relay(settings, sf=dao.sf, store=LocalStore(tmp_path / "ipfs"))
    with TestClient(create_app(settings, service)) as c:
        yield c, service


def _until(check: Callable[[dict[str, Any]], bool], c: TestClient, limit: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + limit
    while True:
        served = c.get("/v1/verification").json()
        if check(served):
            return dict(served)
        assert time.monotonic() < deadline, served
        time.sleep(0.1)


def test_the_comparison_runs_in_its_own_process_and_sees_a_wrong_number(client: tuple[TestClient, Relay]) -> None:
    c, relay = client
    remote = relay.state.remote
    assert remote is not None
    ok = _until(lambda v: v["ok"] is True and v["checks"] > 0, c)
    assert remote.proc is not None and remote.proc.pid != os.getpid() and remote.proc.poll() is None
    assert ok["block"] is not None and ok["stale"] is False
    # a served number the chain contradicts: a member the model says left
    state = relay.state
    with state.lock:
        member = next(iter(state.model.members.values()))
        member.suspended = not member.suspended
    bad = _until(lambda v: v["ok"] is False, c)
    assert any(member.address.lower() in f.lower() for f in bad["failures"]), bad["failures"]


def test_a_verifier_that_dies_is_started_again(client: tuple[TestClient, Relay]) -> None:
    c, relay = client
    remote = relay.state.remote
    assert remote is not None
    _until(lambda v: v["ok"] is True, c)
    first = remote.proc
    assert first is not None
    first.kill()
    first.wait(10)
    before = relay.state.verified_at
    _until(lambda v: relay.state.verified_at > before + 0.5 and v["ok"] is True, c)
    assert remote.proc is not None and remote.proc is not first and remote.proc.poll() is None


def test_a_rollback_unverifies_the_served_numbers_until_they_are_checked_again(dao: Dao) -> None:
    """An attacker session: after a rollback the relay rebuilt its model, but still showed the last
    verification, of a chain that was gone, for up to `verify_interval` (30 s). Now the numbers
    read as unverified until the rebuilt model is checked, which the next refresh starts."""
    from starfish_dao.relay.served.state import ChainState

    state = ChainState(dao.sf, verify_interval=3600)  # no check would come by the interval
    snapshot = dao.chain._dev("evm_snapshot", [])
    dao.sf.pay_eth(dao["zed"], ETHER)
    state.refresh()
    assert state.verify()["ok"] is True
    dao.chain._dev("evm_revert", [snapshot])
    dao.chain._dev("evm_mine", [])
    state.refresh()
    assert state.rebuilds == 1 and state.verification["ok"] is None
    state.start(interval=0.05)
    try:
        deadline = time.monotonic() + 30
        while state.verification["ok"] is None and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        state.stop()
    assert state.verification["ok"] is True and state.verification["block"] == state.block
