"""Logs over a dense chain are read a bounded number at a time, all of them, in order (issue 25's
scale: a verify of a million ratings must not hold one answer of gigabytes)."""

from __future__ import annotations

from typing import Any

import pytest

from starfish_dao.chain import logs as logs_module
from starfish_dao.chain.rpc import RawRpc
from starfish_dao.domain.errors import ChainError
from tests.conftest import Dao


def _dense_blocks(dao: Dao, blocks: int, per_block: int, tag: int) -> None:
    """Mines `blocks` blocks of `per_block` commitments each (one log apiece)."""
    chain, ada = dao.chain, dao["ada"]
    chain._dev("evm_setAutomine", [False])
    try:
        nonce = chain.w3.eth.get_transaction_count(ada.address)
        for block in range(blocks):
            for i in range(per_block):
                tx = dao.sf.registry.functions.commit(bytes([tag, block, i]) + b"\x00" * 29).build_transaction(
                    {"from": ada.address, "nonce": nonce, "gas": 100_000, "chainId": chain.w3.eth.chain_id}
                )
                chain.w3.eth.send_raw_transaction(ada.sign_transaction(tx).raw_transaction)
                nonce += 1
            chain._dev("evm_mine", [])
    finally:
        chain._dev("evm_setAutomine", [True])


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int, int | None, int]]:
    """Every eth_getLogs asked: (from, to, the answer's byte limit, logs in the answer or -1 if refused)."""
    asked: list[tuple[int, int, int | None, int]] = []
    request = RawRpc.request

    def spied(self: Any, method: str, params: Any, limit: int | None = None) -> Any:
        span = (
            (int(params[0]["fromBlock"], 16), int(params[0]["toBlock"], 16), limit) if method == "eth_getLogs" else None
        )
        try:
            answer = request(self, method, params, limit)
        except Exception:
            if span is not None:
                asked.append((*span, -1))
            raise
        if span is not None:
            asked.append((*span, len(answer)))
        return answer

    monkeypatch.setattr(RawRpc, "request", spied)
    return asked


def _in_order(got: list[Any]) -> bool:
    return [(g["blockNumber"], g["logIndex"]) for g in got] == sorted((g["blockNumber"], g["logIndex"]) for g in got)


def test_a_dense_chain_is_read_a_bounded_number_of_logs_at_a_time(dao: Dao, monkeypatch: pytest.MonkeyPatch) -> None:
    chain, sf = dao.chain, dao.sf
    first = chain.w3.eth.block_number + 1
    _dense_blocks(dao, 3, 40, tag=1)  # three blocks of 40 commitments each: 120 logs
    for _ in range(5):  # and a stretch of empty blocks
        chain._dev("evm_mine", [])
    last = chain.w3.eth.block_number
    asked = _spy(monkeypatch)
    monkeypatch.setattr(logs_module, "TARGET_LOGS", 50)
    monkeypatch.setattr(logs_module, "FIRST_CHUNK", 2)
    got = list(logs_module.fetch_logs(chain.w3, [sf.registry.address], first, last))
    sizes = [n for *_, n in asked]
    assert len(got) == 120 and sum(sizes) == 120 and _in_order(got)
    # the first request took 2 blocks (80 logs: over the target), so the next took one (40: kept)
    assert sizes[:2] == [80, 40] and all(size == 0 for size in sizes[2:]), sizes
    # a range with few logs doubles the next one: the chain's whole history in a handful of requests
    asked.clear()
    everything = list(logs_module.fetch_logs(chain.w3, [sf.registry.address], 0, last))
    assert len(everything) >= 120 and len(asked) < 2 * last.bit_length() + 10, asked


def test_an_answer_over_the_limit_is_refused_unread_and_its_range_asked_in_halves(
    dao: Dao, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sparse stretch grows the ranges; a dense one after it must not arrive as one answer."""
    chain, sf = dao.chain, dao.sf
    first = chain.w3.eth.block_number + 1
    for _ in range(6):  # sparse: empty blocks, so the ranges double
        chain._dev("evm_mine", [])
    _dense_blocks(dao, 4, 30, tag=9)  # then dense: four blocks of 30 commitments
    last = chain.w3.eth.block_number
    asked = _spy(monkeypatch)
    monkeypatch.setattr(logs_module, "ANSWER_LIMIT", 25_000)  # bytes: about 30 logs of a commitment
    monkeypatch.setattr(logs_module, "TARGET_LOGS", 10_000)  # counts alone would never split these
    got = list(logs_module.fetch_logs(chain.w3, [sf.registry.address], first, last))
    assert len(got) == 120 and _in_order(got)
    refused = [a for a in asked if a[3] == -1]
    assert refused and all(lo < hi and limit == 25_000 for lo, hi, limit, _ in refused), asked
    # every multi-block answer that was read fit the limit; single blocks are read whatever their size
    assert all(n <= 30 or lo == hi for lo, hi, _, n in asked if n >= 0), asked


def test_a_reader_that_keeps_its_ranges_asks_a_sparse_chain_once(dao: Dao, monkeypatch: pytest.MonkeyPatch) -> None:
    """The relay follows the head with one `LogRanges`: once it has learned the chain is sparse, its
    next read of 40 new blocks is one request, not one block, then two, then four (six at 200
    blocks a second, a third of its state thread's CPU before)."""
    chain, sf = dao.chain, dao.sf
    ranges = logs_module.LogRanges()
    chain._dev("anvil_mine", [hex(64)])  # a sparse history of at least 64 blocks: the ranges grow past 40
    list(logs_module.fetch_logs(chain.w3, [sf.registry.address], 0, chain.w3.eth.block_number, ranges=ranges))
    start = chain.w3.eth.block_number + 1
    for _ in range(40):
        chain._dev("evm_mine", [])
    asked = _spy(monkeypatch)
    list(logs_module.fetch_logs(chain.w3, [sf.registry.address], start, chain.w3.eth.block_number, ranges=ranges))
    assert len(asked) == 1, asked
    asked.clear()
    list(logs_module.fetch_logs(chain.w3, [sf.registry.address], start, chain.w3.eth.block_number))
    assert len(asked) > 1, "a fresh reader starts small: the test above proves nothing"


def test_event_times_from_the_logs_are_the_blocks_times(dao: Dao, monkeypatch: pytest.MonkeyPatch) -> None:
    """anvil (like geth since 1.16) puts each log's block time in the log; where a node does not,
    the blocks are read. Both give every event its block's timestamp."""
    sf = dao.sf
    with_times = list(sf.logs())
    assert with_times and all(isinstance(e["timestamp"], int) for e in with_times)
    blocks = {e["block"]: int(sf.w3.eth.get_block(e["block"])["timestamp"]) for e in with_times}
    assert all(e["timestamp"] == blocks[e["block"]] for e in with_times)
    request = RawRpc.request
    block_reads: list[int] = []

    def without_times(self: Any, method: str, params: Any, limit: int | None = None) -> Any:
        answer = request(self, method, params, limit)
        if method == "eth_getLogs":
            for log in answer:
                log.pop("blockTimestamp", None)
        return answer

    post = RawRpc._post

    def counted(self: Any, payload: Any, *args: Any) -> Any:
        block_reads.extend(1 for p in payload if p["method"] == "eth_getBlockByNumber")
        return post(self, payload, *args)

    monkeypatch.setattr(RawRpc, "request", without_times)
    monkeypatch.setattr(RawRpc, "_post", counted)
    read_from_blocks = list(sf.logs(to_block=with_times[-1]["block"]))
    assert read_from_blocks == with_times
    assert len(block_reads) >= len(blocks), "the blocks were not read: the log times were not removed"


def test_reading_ahead_yields_the_same_logs_and_raises_the_nodes_error(
    dao: Dao, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`starfish verify` asks for the next range while it decodes this one: the same logs in the
    same order, its progress the same, an error of the node's raised to the reader, and a reader
    that stops early stops the thread."""
    import threading

    chain, sf = dao.chain, dao.sf
    first = chain.w3.eth.block_number + 1
    _dense_blocks(dao, 3, 20, tag=3)
    for _ in range(4):
        chain._dev("evm_mine", [])
    last = chain.w3.eth.block_number
    monkeypatch.setattr(logs_module, "TARGET_LOGS", 30)
    monkeypatch.setattr(logs_module, "FIRST_CHUNK", 1)
    seen: dict[bool, list[int]] = {False: [], True: []}
    got: dict[bool, list[Any]] = {}
    for ahead in (False, True):
        reader = logs_module.fetch_logs(chain.w3, [sf.registry.address], first, last, ahead=ahead,
                                        progress=seen[ahead].append)  # fmt: skip
        got[ahead] = list(reader)
    assert len(got[True]) == 60 and got[True] == got[False] and seen[True] == seen[False]
    assert sum(seen[True]) == last - first + 1

    request = RawRpc.request
    calls = []

    def failing(self: Any, method: str, params: Any, limit: int | None = None) -> Any:
        calls.append(method)
        if method == "eth_getLogs" and len(calls) >= 2:  # the first range answers, then the node fails
            raise ValueError("the node says: no such block (not transient)")
        return request(self, method, params, limit)

    monkeypatch.setattr(RawRpc, "request", failing)
    read: list[Any] = []
    with pytest.raises(ChainError, match="no such block"):
        for log in logs_module.fetch_logs(chain.w3, [sf.registry.address], first, last, ahead=True):
            read.append(log)
    assert read == got[False][: len(read)] and calls.count("eth_getLogs") >= 2
    monkeypatch.setattr(RawRpc, "request", request)
    reader = logs_module.fetch_logs(chain.w3, [sf.registry.address], first, last, ahead=True)
    next(reader)
    reader.close()  # the reader stops after one log
    assert not any(t.name == "logs-ahead" and t.is_alive() for t in threading.enumerate())
