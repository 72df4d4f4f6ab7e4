"""One pattern behind the relay's group commit and its batched chain checks: callers hand in items
and get futures; worker threads take every waiting item (up to a limit) and handle them as one
batch, so one fsync or one JSON-RPC round trip serves many requests."""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[T, R]):
    """Each worker is a function from a batch of items to their results, in order; one thread per
    worker, so two workers keep two batches in flight. Every item's future is answered, with a
    result or an error, whatever the worker does: a worker that raises, or answers with the wrong
    number of results, fails that batch and goes on with the next. On stop, waiting items are handled
    (`drain`) or told that the relay is stopping; later submissions are refused."""

    def __init__(self, workers: list[Callable[[list[T]], list[R]]], name: str, limit: int = 100_000,
                 drain: bool = False) -> None:  # fmt: skip
        self.limit = limit
        self.drain = drain
        self.batches = 0
        self.items = 0
        self._waiting: list[tuple[T, concurrent.futures.Future[R]]] = []
        self._cv = threading.Condition()
        self._stop = False
        self._threads = [threading.Thread(target=self._run, args=(work,), name=f"{name}-{i}", daemon=True)
                         for i, work in enumerate(workers)]  # fmt: skip
        for thread in self._threads:
            thread.start()

    def submit(self, item: T) -> concurrent.futures.Future[R]:
        future: concurrent.futures.Future[R] = concurrent.futures.Future()
        with self._cv:
            if self._stop:
                raise RuntimeError("the relay is stopping")
            self._waiting.append((item, future))
            self._cv.notify()
        return future

    def stop(self) -> None:
        with self._cv:
            self._stop = True
            self._cv.notify_all()
        for thread in self._threads:
            thread.join(10)

    def _run(self, work: Callable[[list[T]], list[R]]) -> None:
        while True:
            with self._cv:
                while not self._waiting and not self._stop:
                    self._cv.wait()
                if self._stop and not (self.drain and self._waiting):
                    for _, future in self._waiting:
                        future.set_exception(RuntimeError("the relay is stopping"))
                    self._waiting = []
                    return
                batch, self._waiting = self._waiting[: self.limit], self._waiting[self.limit :]
            try:
                results = work([item for item, _ in batch])
                if len(results) != len(batch):  # a worker's bug must not silence its waiters
                    raise RuntimeError(f"{len(results)} results for a batch of {len(batch)}")
            except BaseException as exc:  # noqa: BLE001 - every waiter hears why (node down, disk full)
                for _, future in batch:
                    future.set_exception(exc)
                continue
            self.batches += 1
            self.items += len(batch)
            for (_, future), result in zip(batch, results, strict=True):
                future.set_result(result)
