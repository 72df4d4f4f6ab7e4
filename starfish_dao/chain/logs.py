"""Fetching every log of a few contracts over a long block range, robustly.

Ranges are fetched in chunks sized to bring about `TARGET_LOGS` logs each (`LogRanges`, which a
caller reading the same chain again and again keeps, so that what it learned of the chain's density
carries over); a provider that refuses a range (too many results, range too large) gets it split in
half, down to single blocks; transient errors (timeouts, dropped connections, rate limits) are
retried with backoff.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from web3 import Web3

from starfish_dao.domain.errors import ChainError

DEFAULT_CHUNK = 5000  # blocks per request at most
FIRST_CHUNK = 1  # blocks in the first request (a block of a dense chain holds tens of thousands)
TARGET_LOGS = 10_000  # logs per request, about
ANSWER_LIMIT = 64 * 1024 * 1024  # bytes of one answer for several blocks (~100,000 logs)
RETRIES = 4
_TRANSIENT = ("timeout", "timed out", "connection", "temporarily", "rate limit", "429", "503", "502")


def _transient(exc: BaseException) -> bool:
    text = f"{type(exc).__name__} {exc}".lower()
    return any(word in text for word in _TRANSIENT)


def _normalize(log: Any) -> dict[str, Any]:
    """One shape for raw JSON-RPC logs (hex strings) and web3's (bytes and ints)."""
    if isinstance(log.get("data"), str):
        return {
            "address": log["address"].lower(),
            "topics": [bytes.fromhex(t[2:]) for t in log["topics"]],
            "data": bytes.fromhex(log["data"][2:]),
            "blockNumber": int(log["blockNumber"], 16),
            "logIndex": int(log["logIndex"], 16),
            "transactionHash": log["transactionHash"],
            # the block's time, where the node says it (geth since 1.16, anvil, reth): no block read
            "blockTimestamp": int(log["blockTimestamp"], 16) if log.get("blockTimestamp") else None,
        }
    return {
        "address": str(log["address"]).lower(),
        "topics": [bytes(t) for t in log["topics"]],
        "data": bytes(log["data"]),
        "blockNumber": int(log["blockNumber"]),
        "logIndex": int(log["logIndex"]),
        "transactionHash": "0x" + bytes(log["transactionHash"]).hex(),
        "blockTimestamp": int(log["blockTimestamp"]) if log.get("blockTimestamp") is not None else None,
    }


class LogRanges:
    """How many blocks the next request asks for. Ranges start at `first` blocks and double while a
    request brings fewer than half of `TARGET_LOGS`, up to `chunk` blocks; past `TARGET_LOGS` they
    halve. A dense chain (thousands of logs a block) is then read a few blocks at a time, never as
    one huge answer; a caller that keeps one (the relay following the head) asks a sparse chain for
    all its new blocks at once, not one block, then two, then four."""

    def __init__(self, chunk: int = DEFAULT_CHUNK, first: int | None = None) -> None:
        self.chunk = max(1, chunk)
        self.size = max(1, min(self.chunk, FIRST_CHUNK if first is None else first))

    def answered(self, logs: int) -> None:
        if logs > TARGET_LOGS:
            self.size = max(1, self.size // 2)
        elif logs < TARGET_LOGS // 2:
            self.size = min(self.chunk, self.size * 2)

    def refused(self, lo: int, hi: int) -> None:
        """The range [lo, hi] was too large: ask for half of it."""
        self.size = max(1, (hi - lo + 1) // 2)


def fetch_logs(
    w3: Web3,
    addresses: Sequence[str],
    start: int,
    end: int,
    chunk: int = DEFAULT_CHUNK,
    progress: Callable[[int], None] | None = None,
    ranges: LogRanges | None = None,
    ahead: bool = False,
) -> Iterator[Any]:
    """Yields the logs of `addresses` in blocks [start, end], in chain order, normalized: address
    (lower case), topics and data (bytes), blockNumber, logIndex, transactionHash (hex),
    blockTimestamp (None where the node does not say it). Ranges are sized by `ranges` (a fresh
    `LogRanges(chunk)` when not given). At most
    one answer is held at a time (two with `ahead`: the next range is asked for while the caller
    handles this one), and an answer over `ANSWER_LIMIT` bytes is refused unread and its
    range asked again in halves (a single block's, whatever its size, is read)."""

    from starfish_dao.chain.rpc import RawRpc
    from starfish_dao.chain.transport import AnswerTooLarge

    rpc = RawRpc(w3)

    def get(lo: int, hi: int) -> list[Any]:
        """The range's logs; _Split when it should be asked in halves."""
        delay = 0.5
        for attempt in range(RETRIES + 1):
            try:
                if rpc.url is not None:
                    params = {"fromBlock": hex(lo), "toBlock": hex(hi), "address": list(addresses)}
                    raw = rpc.request("eth_getLogs", [params], ANSWER_LIMIT if hi > lo else None)
                else:
                    raw = w3.eth.get_logs({"fromBlock": lo, "toBlock": hi, "address": list(addresses)})  # type: ignore[typeddict-item]
                logs = [_normalize(log) for log in raw]
                return sorted(logs, key=lambda log: (log["blockNumber"], log["logIndex"]))
            except AnswerTooLarge:
                raise _Split() from None
            except Exception as exc:
                if _transient(exc) and attempt < RETRIES:
                    time.sleep(delay)
                    delay *= 2
                    continue
                if hi > lo:  # a provider refusing the range (too many results, too many blocks)
                    raise _Split() from None
                raise ChainError(f"eth_getLogs failed for block {lo}: {exc}") from exc
        raise AssertionError("unreachable")

    ranges = LogRanges(chunk) if ranges is None else ranges

    def answers() -> Iterator[tuple[list[Any], int]]:
        lo = start
        while lo <= end:
            hi = min(end, lo + ranges.size - 1)
            try:
                logs = get(lo, hi)
            except _Split:
                ranges.refused(lo, hi)  # the same start, half the range
                continue
            yield logs, hi - lo + 1
            lo = hi + 1
            ranges.answered(len(logs))

    for logs, blocks in _ahead(answers()) if ahead else answers():
        yield from logs
        if progress is not None:
            progress(blocks)


def _ahead(answers: Iterator[tuple[list[Any], int]]) -> Iterator[tuple[list[Any], int]]:
    """`answers`, each asked for by a thread of its own while the caller handles the one before:
    the node's time to answer overlaps the caller's work. One answer waits at most, so two are
    held at a time. An error in the thread is raised here; a caller that stops reading stops it."""
    import queue
    import threading

    handoff: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(item: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for answer in answers:
                if not put(("answer", answer)):
                    return
            put(("end", None))
        except BaseException as exc:  # noqa: BLE001 - handed to the reader, raised there
            put(("error", exc))

    thread = threading.Thread(target=run, name="logs-ahead", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = handoff.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        thread.join(timeout=5)


class _Split(Exception):
    """Ask for this range in halves."""
