"""Logs over a dense chain are read a bounded number at a time, all of them, in order (issue 25's
scale: a verify of a million ratings must not hold one answer of gigabytes)."""

from __future__ import annotations

from typing import Any

import pytest

from starfish_dao.chain import logs as logs_module
from starfish_dao.chain.rpc import RawRpc
from tests.conftest import Dao


def test_a_dense_chain_is_read_a_bounded_number_of_logs_at_a_time(dao: Dao, monkeypatch: pytest.MonkeyPatch) -> None:
    chain, sf = dao.chain, dao.sf
    first = chain.w3.eth.block_number + 1
    chain._dev("evm_setAutomine", [False])
    try:
        ada = dao["ada"]
        nonce = chain.w3.eth.get_transaction_count(ada.address)
        for block in range(3):  # three blocks of 40 commitments each: 120 logs
            for i in range(40):
                commitment = bytes([block, i]) + b"\x00" * 30
                tx = sf.registry.functions.commit(commitment).build_transaction(
                    {"from": ada.address, "nonce": nonce, "gas": 100_000, "chainId": chain.w3.eth.chain_id}
                )
                chain.w3.eth.send_raw_transaction(ada.sign_transaction(tx).raw_transaction)
                nonce += 1
            chain._dev("evm_mine", [])
    finally:
        chain._dev("evm_setAutomine", [True])
    for _ in range(5):  # and a stretch of empty blocks
        chain._dev("evm_mine", [])
    last = chain.w3.eth.block_number
    sizes: list[int] = []
    request = RawRpc.request

    def counted(self: Any, method: str, params: Any, limit: int | None = None) -> Any:
        answer = request(self, method, params, limit)
        if method == "eth_getLogs":
            sizes.append(len(answer))
        return answer

    monkeypatch.setattr(RawRpc, "request", counted)
    monkeypatch.setattr(logs_module, "TARGET_LOGS", 50)
    monkeypatch.setattr(logs_module, "FIRST_CHUNK", 2)
    got = list(logs_module.fetch_logs(chain.w3, [sf.registry.address], first, last))
    assert len(got) == 120 and sum(sizes) == 120
    assert [(g["blockNumber"], g["logIndex"]) for g in got] == sorted((g["blockNumber"], g["logIndex"]) for g in got)
    # the first request took 2 blocks (80 logs: over the target), so the next took one (40: kept)
    assert sizes[:2] == [80, 40] and all(size == 0 for size in sizes[2:]), sizes
    # a range with few logs doubles the next one: the chain's whole history in a handful of requests
    sizes.clear()
    everything = list(logs_module.fetch_logs(chain.w3, [sf.registry.address], 0, last))
    assert len(everything) >= 120 and len(sizes) < 2 * last.bit_length() + 10, sizes


def test_an_answer_over_the_limit_is_refused_unread_and_its_range_asked_in_halves(
    dao: Dao, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sparse stretch grows the ranges; a dense one after it must not arrive as one answer."""
    chain, sf = dao.chain, dao.sf
    first = chain.w3.eth.block_number + 1
    for _ in range(6):  # sparse: empty blocks, so the ranges double
        chain._dev("evm_mine", [])
    chain._dev("evm_setAutomine", [False])
    try:
        ada = dao["ada"]
        nonce = chain.w3.eth.get_transaction_count(ada.address)
        for block in range(4):  # then dense: four blocks of 30 commitments
            for i in range(30):
                tx = sf.registry.functions.commit(bytes([9, block, i]) + b"\x00" * 29).build_transaction(
                    {"from": ada.address, "nonce": nonce, "gas": 100_000, "chainId": chain.w3.eth.chain_id}
                )
                chain.w3.eth.send_raw_transaction(ada.sign_transaction(tx).raw_transaction)
                nonce += 1
            chain._dev("evm_mine", [])
    finally:
        chain._dev("evm_setAutomine", [True])
    last = chain.w3.eth.block_number
    asked: list[tuple[int, int, int | None, int]] = []
    request = RawRpc.request

    def spied(self: Any, method: str, params: Any, limit: int | None = None) -> Any:
        try:
            answer = request(self, method, params, limit)
        except Exception:
            asked.append((int(params[0]["fromBlock"], 16), int(params[0]["toBlock"], 16), limit, -1))
            raise
        asked.append((int(params[0]["fromBlock"], 16), int(params[0]["toBlock"], 16), limit, len(answer)))
        return answer

    monkeypatch.setattr(RawRpc, "request", spied)
    monkeypatch.setattr(logs_module, "ANSWER_LIMIT", 25_000)  # bytes: about 30 logs of a commitment
    monkeypatch.setattr(logs_module, "TARGET_LOGS", 10_000)  # counts alone would never split these
    got = list(logs_module.fetch_logs(chain.w3, [sf.registry.address], first, last))
    assert len(got) == 120
    assert [(g["blockNumber"], g["logIndex"]) for g in got] == sorted((g["blockNumber"], g["logIndex"]) for g in got)
    refused = [a for a in asked if a[3] == -1]
    assert refused and all(lo < hi and limit == 25_000 for lo, hi, limit, _ in refused), asked
    # every multi-block answer that was read fit the limit; single blocks are read whatever their size
    assert all(n <= 30 or lo == hi for lo, hi, _, n in asked if n >= 0), asked
