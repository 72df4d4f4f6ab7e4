"""The batching workers never leave a request unanswered (issue 24, finding 1): a chain check that came
back with no answers once killed its thread, and every later POST /v1/actions waited for ever."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from starfish_dao.relay.edge.problems import Refusal
from starfish_dao.relay.runtime.batching import Batcher
from tests.relay.conftest import RelayHarness


def test_a_worker_that_answers_too_few_results_fails_its_batch_and_lives_on() -> None:
    calls = {"n": 0}
    release = threading.Event()

    def work(items: list[int]) -> list[int]:
        calls["n"] += 1
        if calls["n"] == 1:
            release.wait(5)  # hold the first batch so that both items land in it
            return []  # the bug: no answers (on_chain_many once returned [] after a clock jump)
        return [i * 2 for i in items]

    batcher: Batcher[int, int] = Batcher([work], "test", limit=10)
    try:
        first = batcher.submit(1)
        release.set()
        with pytest.raises(RuntimeError, match="0 results for a batch of 1"):
            first.result(timeout=5)
        assert batcher.submit(21).result(timeout=5) == 42  # the thread is alive and answers
        assert all(t.is_alive() for t in batcher._threads)
    finally:
        batcher.stop()


def test_a_worker_that_raises_fails_its_batch_and_lives_on() -> None:
    calls = {"n": 0}

    def work(items: list[int]) -> list[int]:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("node down")
        return items

    batcher: Batcher[int, int] = Batcher([work], "test")
    try:
        with pytest.raises(ConnectionError):
            batcher.submit(1).result(timeout=5)
        assert batcher.submit(7).result(timeout=5) == 7
    finally:
        batcher.stop()


def test_a_chain_clock_that_keeps_moving_gets_a_refusal_for_every_action(
    relay: RelayHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    checker = relay.relay.checkers[0]
    # both attempts find the chain's time past the one they simulated at (a fault anvil gives only by
    # racing evm_increaseTime against the check)
    monkeypatch.setattr(checker, "_on_chain_batch", lambda items, at, reserved=0: None)
    items: list[Any] = [(object(), []), (object(), [])]
    answers = checker.on_chain_many(items)
    assert len(answers) == 2
    assert all(isinstance(a, Refusal) and a.status == 503 and a.code == "chain_clock_moving" for a in answers)


def test_a_finalize_is_parsed_while_the_node_is_stalled(relay: RelayHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 24, finding 3: the revenue-token count behind a Finalize's gas was read on the event loop;
    with the node stalled every request of every client waited. Now the read runs beside it."""
    import time

    from starfish_dao.relay.intake.checked import FINALIZE_GAS

    checker = relay.relay.checkers[0]
    gate = threading.Event()

    class Stalled:  # a node that answers only when the test lets it
        def call(self) -> list[str]:
            gate.wait(30)
            return ["0x" + "11" * 20, "0x" + "22" * 20, "0x" + "33" * 20]

    monkeypatch.setattr(checker.sf.charter.functions, "revenueTokens", lambda: Stalled())
    monkeypatch.setattr(checker, "_tokens_at", -1e9)  # the count is due for a read
    before = checker._tokens
    checked = checker.parse({"action": "Finalize", "contribution": 1})  # returns while the read waits
    assert not gate.is_set()
    assert checked.gas == FINALIZE_GAS + 60_000 * before
    gate.set()
    deadline = time.monotonic() + 10
    while checker._tokens != 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert checker.parse({"action": "Finalize", "contribution": 1}).gas == FINALIZE_GAS + 60_000 * 3


def test_awaited_items_get_their_results_errors_and_a_waiter_that_gave_up_harms_nobody() -> None:
    import asyncio

    release = threading.Event()

    def work(items: list[int]) -> list[int]:
        if 0 in items:
            raise ConnectionError("node down")
        release.wait(5)
        return [i * 2 for i in items]

    batcher: Batcher[int, int] = Batcher([work], "test")

    async def scenario() -> None:
        gave_up = asyncio.ensure_future(batcher.run(1))  # its batch is held, then its waiter gives up
        await asyncio.sleep(0.05)
        gave_up.cancel()
        release.set()
        assert await batcher.run(21) == 42  # the thread lives on after answering a cancelled waiter
        with pytest.raises(ConnectionError):
            await batcher.run(0)
        assert await asyncio.gather(*(batcher.run(i) for i in range(1, 6))) == [2, 4, 6, 8, 10]

    try:
        asyncio.run(scenario())
        assert all(t.is_alive() for t in batcher._threads)
    finally:
        batcher.stop()


def test_items_arriving_within_the_gather_window_share_one_batch_and_a_full_batch_goes_at_once() -> None:
    """At a modest rate each action once had a chain check and an fsync of its own: a worker now
    waits up to `gather` seconds for more (two workers: the other waits meanwhile)."""
    import time

    sizes: list[int] = []

    def work(items: list[int]) -> list[int]:
        sizes.append(len(items))
        return items

    gathering: Batcher[int, int] = Batcher([work, work], "test", limit=3, gather=0.5)
    try:
        futures = []
        for i in range(3):  # one every 20 ms: without a window, three batches of one
            futures.append(gathering.submit(i))
            time.sleep(0.02)
        started = time.monotonic()
        assert [f.result(timeout=5) for f in futures] == [0, 1, 2]
        assert time.monotonic() - started < 0.4  # full (the limit): sent before the window ends
        assert sizes == [3]
        late = gathering.submit(9)
        assert late.result(timeout=5) == 9  # alone: answered when the window ends, not never
        assert sizes == [3, 1]
    finally:
        gathering.stop()
    sizes.clear()
    plain: Batcher[int, int] = Batcher([work, work], "test", limit=3)
    try:
        futures = []
        for i in range(3):
            futures.append(plain.submit(i))
            time.sleep(0.02)
        assert [f.result(timeout=5) for f in futures] == [0, 1, 2]
        assert sizes == [1, 1, 1]  # the same arrivals, no window: one batch each
    finally:
        plain.stop()
