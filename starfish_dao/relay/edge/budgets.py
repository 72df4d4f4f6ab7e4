"""Budgets: what one client may have the relay do per unit of time.

One token bucket per budget and key: requests per second per IP (checked by the Guard before a
body is read) and per signer, gas per hour per IP and per signer (charged when an action passes its
chain check), upload bytes per hour per IP. `Relay` holds one bucket of each, sized by its settings.

"Per IP" is per `client_key`: an IPv4 address, or an IPv6 address's /64 network. One IPv6 subscriber
is routinely given a whole /64 (2^64 addresses, RFC 6177), so keying by the full address would let
one client rotate through fresh keys for ever; a /64 is what one client holds.
"""

from __future__ import annotations

import functools
import ipaddress
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field


@functools.lru_cache(maxsize=4096)  # parsing an address costs more than the rest of the rate check
def client_key(host: str) -> str:
    """The key of a client's per-IP budgets: its IPv4 address (an IPv4-mapped IPv6 address counts as
    that IPv4 address), or its IPv6 address's /64 network; anything else (a test client's name, a
    Unix socket) as it is."""
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return host
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(ip) >> 64 << 64, 64)))
    return str(ip)


FORGET_PER_CALL = 4  # keys a call may forget: a bounded cost whatever the keys held


@dataclass
class TokenBucket:
    """`rate` units a second, at most `burst` saved up, per key (an IP, a signer).

    Keys are kept in order of last use. Past `max_keys`, the key used longest ago is forgotten when
    it is full again (it carries nothing); past `hard_cap`, it is forgotten anyway (its budget starts
    full when it returns, which takes a client with more than `hard_cap` keys in use, e.g. a million
    IPv6 /64s within an hour for the hourly budgets). Each call does O(1) work: the sweep this
    replaced read every key on every call once there were 100,000, 27 ms a call on the event loop,
    and keys of the hourly budgets stay below full for an hour after their use."""

    rate: float
    burst: float
    max_keys: int = 100_000
    hard_cap: int = 1_000_000
    tokens: dict[str, float] = field(default_factory=dict)
    stamps: OrderedDict[str, float] = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _level(self, key: str, now: float) -> float:
        last = self.stamps.get(key)
        return self.burst if last is None else min(self.burst, self.tokens[key] + (now - last) * self.rate)

    def allow(self, key: str, cost: float = 1.0) -> bool:
        now = time.monotonic()
        with self.lock:
            level = self._level(key, now)
            self.stamps[key] = now
            self.stamps.move_to_end(key)
            self._forget(now)
            if level < cost:
                self.tokens[key] = level
                return False
            self.tokens[key] = level - cost
            return True

    def _forget(self, now: float) -> None:
        """Over `max_keys`: at most `FORGET_PER_CALL` of the oldest keys that are full again go (the
        rest on later calls: a call adds at most one key, so the excess shrinks; an attacker session
        found that forgetting every full key at once could take 0.45 s in one call at the cap); over
        `hard_cap`, the oldest go whatever their level."""
        for _ in range(FORGET_PER_CALL):
            if len(self.stamps) <= self.max_keys:
                return
            oldest = next(iter(self.stamps))
            if len(self.stamps) <= self.hard_cap and self._level(oldest, now) < self.burst:
                return  # the oldest is still below full: the others, used later, likely too
            del self.stamps[oldest]
            self.tokens.pop(oldest, None)

    def wait_for(self, key: str, cost: float) -> float:
        """Seconds until `cost` is available for `key`."""
        with self.lock:
            level = self._level(key, time.monotonic())
        return max(0.0, (cost - level) / self.rate) if self.rate > 0 else float("inf")
