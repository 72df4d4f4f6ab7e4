"""The accept path's keyed locks: conflicting actions one after the other, in arrival order, never a
deadlock, and nothing left held whatever happens to a holder or a waiter."""

from __future__ import annotations

import asyncio

import pytest

from starfish_dao.relay.runtime.locks import KeyedLocks


def test_holders_of_one_key_take_turns_in_arrival_order() -> None:
    async def main() -> list[str]:
        locks, order = KeyedLocks(), []

        async def holder(name: str) -> None:
            async with locks.hold(["k"]):
                order.append(f"{name} in")
                await asyncio.sleep(0.01)
                order.append(f"{name} out")

        await asyncio.gather(*(holder(n) for n in "abc"))
        assert locks.held == {}
        return order

    assert asyncio.run(main()) == ["a in", "a out", "b in", "b out", "c in", "c out"]


def test_overlapping_key_sets_never_deadlock_and_keys_apart_do_not_wait() -> None:
    async def main() -> None:
        locks = KeyedLocks()
        inside: set[str] = set()

        async def holder(keys: list[str | None]) -> None:
            async with locks.hold(keys):
                mine = {k for k in keys if k}
                assert not inside & mine, "two holders of one key at once"
                inside.update(mine)
                await asyncio.sleep(0.001)
                inside.difference_update(mine)

        # each pair asked in opposite orders: sorted taking means no cycle
        sets: list[list[str | None]] = [["x", "y"], ["y", "x"], ["y", "z", None], ["z", "x"], ["x", "x"]]
        await asyncio.wait_for(asyncio.gather(*(holder(s) for s in sets * 20)), 5)
        assert locks.held == {}
        # keys apart: the second holder enters while the first is inside
        async with locks.hold(["p"]):
            await asyncio.wait_for(_enter_and_leave(locks, ["q"]), 1)

    asyncio.run(main())


async def _enter_and_leave(locks: KeyedLocks, keys: list[str]) -> None:
    async with locks.hold(keys):
        pass


def test_a_waiter_cancelled_or_a_holder_failing_leaves_nothing_held() -> None:
    async def main() -> None:
        locks = KeyedLocks()
        entered = asyncio.Event()
        release = asyncio.Event()

        async def first() -> None:
            async with locks.hold(["k", "m"]):
                entered.set()
                await release.wait()

        holder = asyncio.create_task(first())
        await entered.wait()
        waiter = asyncio.create_task(_enter_and_leave(locks, ["m", "k"]))
        third = asyncio.create_task(_enter_and_leave(locks, ["k"]))
        await asyncio.sleep(0.01)
        waiter.cancel()  # cancelled while waiting for "k"
        release.set()
        await holder
        await third  # the key passed over the cancelled waiter
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert locks.held == {}

        with pytest.raises(RuntimeError):
            async with locks.hold(["k"]):
                raise RuntimeError("the check failed")
        assert locks.held == {}

        # handed the key and cancelled before it ran: it passes the key on
        async with locks.hold(["k"]):
            late = asyncio.create_task(_enter_and_leave(locks, ["k"]))
            after = asyncio.create_task(_enter_and_leave(locks, ["k"]))
            await asyncio.sleep(0.01)
        late.cancel()  # the key was just handed to it, it has not run yet
        await asyncio.wait_for(after, 1)
        assert locks.held == {}

    asyncio.run(main())


def test_a_holding_says_whether_it_waited() -> None:
    """The accept path uses the in-flight actions it read before taking the locks only when no key
    was held by another (no await between the read and the taking)."""

    async def main() -> tuple[bool, bool]:
        locks = KeyedLocks()
        free = locks.hold(["a", "b"])
        async with free:
            contended = locks.hold(["b"])
            task = asyncio.create_task(_enter(contended))
            await asyncio.sleep(0.01)
        await task
        return free.waited, contended.waited

    assert asyncio.run(main()) == (False, True)


async def _enter(holding: object) -> None:
    async with holding:  # type: ignore[attr-defined]
        pass
