"""The budgets' token buckets do O(1) work a call however many clients they have seen (issue 24: the
sweep they had read every key on every call past 100,000 keys, 27 ms a call on the event loop, and
a key of an hourly budget stays below full for an hour: a client with a free IPv6 /48 tunnel holds
65,536 keys), and forget only what carries nothing until a hard cap."""

from __future__ import annotations

import pytest

from starfish_dao.relay.edge.budgets import TokenBucket


class Counted(TokenBucket):
    reads = 0

    def _level(self, key: str, now: float) -> float:
        Counted.reads += 1
        return super()._level(key, now)


def test_a_call_reads_a_bounded_number_of_keys_whatever_the_keys_held() -> None:
    hourly = Counted(rate=1_000 / 3600, burst=1_000, max_keys=1_000, hard_cap=5_000)
    for i in range(4_000):  # each /64 uploads a little: below full for the next hour
        assert hourly.allow(f"2001:db8:{i:x}::/64", 10)
    Counted.reads = 0
    for i in range(100):
        hourly.allow(f"2001:db9:{i:x}::/64", 10)
    assert Counted.reads <= 2 * 100, Counted.reads  # the key's own level and the oldest one's
    assert len(hourly.stamps) == 4_100, "keys below full are kept until the hard cap"
    for i in range(2_000):
        hourly.allow(f"2001:dba:{i:x}::/64", 10)
    assert len(hourly.stamps) == 5_000, "past the hard cap the oldest go"


def test_a_key_still_owing_keeps_its_level_and_full_ones_go_first(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr("starfish_dao.relay.edge.budgets.time.monotonic", lambda: clock[0])
    bucket = TokenBucket(rate=1.0, burst=10.0, max_keys=3, hard_cap=100)
    assert bucket.allow("spender", 10)  # now empty: 10 s to refill
    for name in ("a", "b", "c"):
        bucket.allow(name, 1)
    assert not bucket.allow("spender", 1), "its budget is spent"
    clock[0] += 5  # a, b and c are full again (1 owed, 1 a second); the spender is at 5 of 10
    for name in ("d", "e", "f", "g"):
        bucket.allow(name, 1)
    assert "spender" in bucket.stamps and "a" not in bucket.stamps
    assert not bucket.allow("spender", 6) and bucket.allow("spender", 5), "its level was kept"


def test_keys_full_all_at_once_are_forgotten_a_few_a_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """An attacker session: 300,000 keys over the limit all full again at once were swept in one call
    (0.14 s; 0.45 s at the cap). Now a call forgets a few, and the excess shrinks call by call."""
    clock = [0.0]
    monkeypatch.setattr("starfish_dao.relay.edge.budgets.time.monotonic", lambda: clock[0])
    bucket = Counted(rate=1.0, burst=10.0, max_keys=100, hard_cap=10_000)
    for i in range(3_000):
        bucket.allow(f"k{i}", 5)  # each below full for 5 s
    clock[0] += 60  # all full again
    Counted.reads = 0
    bucket.allow("next", 1)
    assert Counted.reads <= 6, Counted.reads  # its own level and at most a few of the oldest
    for i in range(1_000):
        bucket.allow(f"later{i}", 1)
    assert not any(key.startswith("k") for key in bucket.stamps), "the full ones went, a few a call"
