"""Requests to addresses a member chose (their own reminder webhook), made so that they cannot be
turned against the relay's own network (server-side request forgery).

A member's URL is checked when it is registered and again at every delivery: the scheme is http(s)
(https unless the operator allows plain http), there are no credentials in it, and every address its
host resolves to is a public one (not loopback, private, link-local, carrier-grade NAT, multicast,
reserved or unspecified: `ipaddress`'s `is_global`). The delivery then connects to the address that
was checked, not to a second lookup, so a name that resolves to a public address at the check and to
127.0.0.1 a moment later (DNS rebinding) reaches nothing it should not. Redirects are not followed.
An operator whose members run receivers on their own network (a LAN, the tests) may allow private
addresses with `STARFISH_RELAY_MEMBER_WEBHOOK_PRIVATE=true`; loopback stays refused unless they
also allow it, since it is the relay machine itself.
"""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import urllib3

Resolver = Callable[[str, int], list[str]]


class EgressRefused(ValueError):
    """A member's URL the relay will not call, with the reason in plain words."""


@dataclass(frozen=True)
class EgressPolicy:
    allow_http: bool = False  # plain http (a LAN receiver); https otherwise
    allow_private: bool = False  # private, link-local and CGNAT ranges (never loopback unless below)
    allow_loopback: bool = False  # the relay machine itself: tests only
    max_url: int = 512


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise EgressRefused(f"the host {host!r} does not resolve ({exc.strerror})") from exc
    return sorted({str(info[4][0]) for info in infos})


def _allowed(address: str, policy: EgressPolicy) -> str | None:
    """None when the relay may connect to `address`, else why not."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None if policy.allow_loopback else "it is the relay machine itself (loopback)"
    if ip.is_unspecified or ip.is_multicast or ip.is_reserved:
        return "it is not an address a receiver can have"
    if ip.is_global:
        return None
    if policy.allow_private and (ip.is_private or ip.is_link_local or ip in ipaddress.ip_network("100.64.0.0/10")):
        if str(ip) == "169.254.169.254" or str(ip).startswith("fd00:ec2::"):
            return "it is a cloud metadata service"
        return None
    return "it is a private address (the relay's own network), not a public one"


@dataclass(frozen=True)
class Target:
    """A checked URL and the address to connect to."""

    scheme: str
    host: str
    port: int
    path: str  # with its query
    address: str


def check_url(url: str, policy: EgressPolicy, resolve: Resolver = system_resolver) -> Target:
    """The URL's target when the relay may call it; raises EgressRefused saying why not."""
    if len(url) > policy.max_url:
        raise EgressRefused(f"the URL is longer than {policy.max_url} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise EgressRefused(f"the URL is malformed: {exc}") from exc
    schemes = ("https", "http") if policy.allow_http else ("https",)
    if parts.scheme not in schemes:
        raise EgressRefused(f"the URL must start with {' or '.join(s + '://' for s in schemes)}")
    if parts.username or parts.password:
        raise EgressRefused("the URL must not carry a user name or password")
    host = parts.hostname
    if not host:
        raise EgressRefused("the URL has no host")
    port = port or (443 if parts.scheme == "https" else 80)
    addresses = resolve(host, port)
    if not addresses:
        raise EgressRefused(f"the host {host!r} does not resolve")
    for address in addresses:
        why = _allowed(address, policy)
        if why is not None:
            raise EgressRefused(f"the host {host!r} resolves to {address}: {why}")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port, path, addresses[0])


def send(kwargs: dict[str, Any], policy: EgressPolicy, timeout: float, resolve: Resolver = system_resolver) -> int:
    """Sends a request given as `requests.request` keyword arguments (method, url, and data or json,
    headers) to the address checked just now; answers the HTTP status. Raises EgressRefused when the
    URL is no longer allowed."""
    target = check_url(str(kwargs["url"]), policy, resolve)
    body = kwargs.get("data")
    headers = dict(kwargs.get("headers") or {})
    if "json" in kwargs:
        body = json.dumps(kwargs["json"]).encode()
        headers.setdefault("Content-Type", "application/json")
    default_port = 443 if target.scheme == "https" else 80
    headers["Host"] = target.host if target.port == default_port else f"{target.host}:{target.port}"
    pool: urllib3.HTTPConnectionPool
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            target.address, target.port, server_hostname=target.host, assert_hostname=target.host,
            timeout=timeout, retries=False, maxsize=1,
        )  # fmt: skip
    else:
        pool = urllib3.HTTPConnectionPool(target.address, target.port, timeout=timeout, retries=False, maxsize=1)
    try:
        answer = pool.urlopen(str(kwargs["method"]), target.path, body=body, headers=headers, redirect=False,
                              assert_same_host=False, preload_content=True)  # fmt: skip
        return int(answer.status)
    finally:
        pool.close()
