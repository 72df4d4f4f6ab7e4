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
from collections import defaultdict
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


@dataclass
class TokenBucket:
    """`rate` units a second, at most `burst` saved up, per key (an IP, a signer)."""

    rate: float
    burst: float
    tokens: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    stamps: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _level(self, key: str, now: float) -> float:
        last = self.stamps.get(key)
        return self.burst if last is None else min(self.burst, self.tokens[key] + (now - last) * self.rate)

    def allow(self, key: str, cost: float = 1.0) -> bool:
        now = time.monotonic()
        with self.lock:
            level = self._level(key, now)
            self.stamps[key] = now
            if level < cost:
                self.tokens[key] = level
                return False
            self.tokens[key] = level - cost
            if len(self.stamps) > 100_000:  # forget keys that are full again: memory stays bounded
                full = [k for k, t in self.stamps.items() if self._level(k, now) >= self.burst]
                for k in full:
                    self.stamps.pop(k, None)
                    self.tokens.pop(k, None)
            return True

    def wait_for(self, key: str, cost: float) -> float:
        """Seconds until `cost` is available for `key`."""
        with self.lock:
            level = self._level(key, time.monotonic())
        return max(0.0, (cost - level) / self.rate) if self.rate > 0 else float("inf")
