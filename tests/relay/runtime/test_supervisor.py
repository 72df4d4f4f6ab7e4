"""The supervisor (issue 24, finding 1's rule): a part of the relay that stops running — a thread
ended by an exception its loop does not catch, a child process killed — is started again, what it
held is answered or kept, and /v1/info says unhealthy while it is down."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from fastapi.testclient import TestClient

from starfish_dao.ipfs.local import LocalStore
from starfish_dao.relay.app import create_app
from starfish_dao.relay.runtime.supervisor import Loop, Part, Supervisor
from starfish_dao.relay.service import Relay
from tests.conftest import ETHER, Dao
from tests.relay.conftest import RelayHarness, relay_settings

# the threads these tests crash on purpose print their traceback (the relay's hook scrubs it)
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")


class Crash(BaseException):
    """What no loop of the relay catches (as a bug in its `except` would let through)."""


def test_a_thread_that_ended_is_started_again_and_reported_unhealthy_until_then() -> None:
    rounds: list[int] = []
    fail_once = threading.Event()
    fail_once.set()

    def work() -> None:
        if fail_once.is_set():
            fail_once.clear()
            raise Crash()
        rounds.append(1)
        time.sleep(30)

    loop = Loop(work, "worker")
    loop.join(5)
    supervisor = Supervisor([Part("worker", lambda: True, lambda: loop.alive, loop.revive)], interval=3600)
    assert supervisor.health() == {"worker": False}
    supervisor.look()
    deadline = time.monotonic() + 5
    while not rounds and time.monotonic() < deadline:
        time.sleep(0.01)
    assert rounds == [1] and loop.alive
    assert supervisor.health() == {"worker": True} and supervisor.restarts == {"worker": 1}
    supervisor.look()  # alive: nothing more
    assert supervisor.restarts == {"worker": 1}


def test_a_chain_check_worker_that_dies_is_started_again_and_the_waiting_action_answered(
    relay: RelayHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks = relay.relay.checks
    supervisor = relay.relay.supervisor
    assert checks is not None and supervisor is not None
    real = checks._collect
    dead: list[str] = []

    def crash_every_worker() -> None:  # each worker dies taking its next batch, the action still waiting
        name = threading.current_thread().name
        if name not in dead:
            dead.append(name)
            raise Crash()
        real()

    monkeypatch.setattr(checks, "_collect", crash_every_worker)
    joiner = Account.create()
    answer = relay.client.post("/v1/actions", json=relay.signed(joiner, "Join", member=joiner.address))
    assert answer.status_code == 202, answer.text  # answered: the revived worker took it
    assert len(dead) >= 1 and supervisor.restarts["chainChecks"] >= 1
    assert relay.wait(answer.json()["id"])["status"] == "mined"
    deadline = time.monotonic() + 5  # the other worker may die on its first batch too: revived within a look
    while not relay.client.get("/v1/info").json()["parts"]["chainChecks"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert relay.client.get("/v1/info").json()["parts"]["chainChecks"] is True


def test_the_keeper_thread_is_started_again_after_it_died(relay: RelayHarness) -> None:
    keepers, supervisor = relay.relay.keepers, relay.relay.supervisor
    assert supervisor is not None and keepers._thread is not None  # keepers other than finalize are on
    keepers._stop.set()  # the running keeper ends ...
    keepers._thread.join(10)
    keepers._stop.clear()
    runs: list[int] = []
    original = keepers._keep

    def crash_then_keep() -> None:
        runs.append(1)
        if len(runs) == 1:
            raise Crash()
        original()

    keepers._thread = Loop(crash_then_keep, "keeper")  # ... and one that crashes at once takes its place
    keepers._thread.join(5)
    assert not keepers._thread.alive
    assert relay.client.get("/v1/info").json()["parts"]["keeper"] is False
    assert relay.client.get("/v1/info").json()["healthy"] is False
    deadline = time.monotonic() + 5
    while not keepers._thread.alive and time.monotonic() < deadline:
        time.sleep(0.05)
    assert keepers._thread.alive and len(runs) == 2 and supervisor.restarts["keeper"] == 1
    assert relay.client.get("/v1/info").json()["parts"]["keeper"] is True


def _info(client: TestClient) -> dict[str, Any]:
    answer = client.get("/v1/info")
    assert answer.status_code == 200, answer.text
    info: dict[str, Any] = answer.json()
    return info


@contextlib.contextmanager
def _with_submitter_process(dao: Dao, tmp_path: Path) -> Iterator[RelayHarness]:
    """The relay in process, its submitter a child process (as `starfish relay` runs it)."""
    relayer = Account.create()
    dao.chain.fund(relayer.address, 100 * ETHER)
    settings = relay_settings(tmp_path, relayer, submitter_process=True)
    service = Relay(settings, sf=dao.sf, store=LocalStore(tmp_path / "ipfs"))
    with TestClient(create_app(settings, service)) as client:
        yield RelayHarness(client, service, dao, relayer)


def test_a_submitter_process_killed_is_replaced_and_what_it_had_not_sent_is_mined(
    dao: Dao, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with _with_submitter_process(dao, tmp_path) as harness:
        client, service = harness.client, harness.relay
        proc = service.submitter_process
        assert proc is not None and proc.proc is not None
        first = proc.proc.pid
        deadline = time.monotonic() + 30
        while not _info(client)["healthy"] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _info(client)["parts"] == {"chain": True, "chainChecks": True, "submitter": True, "keeper": True,
                                          "reminders": True}  # fmt: skip
        os.kill(first, signal.SIGKILL)
        proc.proc.wait(10)
        assert _info(client)["parts"]["submitter"] is False  # until the supervisor's next look
        joiner = Account.create()
        answer = client.post("/v1/actions", json=harness.signed(joiner, "Join", member=joiner.address))
        assert answer.status_code == 202, answer.text
        assert harness.wait(answer.json()["id"], timeout=60)["status"] == "mined"  # by the new submitter
        assert proc.proc.pid != first and proc.alive
        assert service.supervisor is not None and service.supervisor.restarts["submitter"] == 1
        assert dao.sf.membership.functions.isMember(joiner.address).call()
    assert "submitter process exited" in caplog.text


def test_a_submitter_process_stopped_or_hung_is_killed_and_replaced(dao: Dao, tmp_path: Path) -> None:
    """A child that still exists but does nothing (SIGSTOP, a hung call) writes no status: after
    `stale` seconds it is no longer alive (the supervisor's next look kills and replaces it), and
    what was accepted meanwhile is mined (before: healthy for as long as it hung, the action accepted
    and never sent)."""
    with _with_submitter_process(dao, tmp_path) as harness:
        client, service = harness.client, harness.relay
        proc = service.submitter_process
        assert proc is not None and proc.proc is not None
        proc.stale = 3.0
        first = proc.proc.pid
        os.kill(first, signal.SIGSTOP)  # at once: before or after its first status, it goes silent
        try:
            joiner = Account.create()
            answer = client.post("/v1/actions", json=harness.signed(joiner, "Join", member=joiner.address))
            assert answer.status_code == 202, answer.text
            assert harness.wait(answer.json()["id"], timeout=60)["status"] == "mined"  # by its successor
            assert proc.proc.pid != first
            assert service.supervisor is not None and service.supervisor.restarts["submitter"] >= 1
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.kill(first, signal.SIGKILL)
