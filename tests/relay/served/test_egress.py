"""A member's webhook URL cannot be turned against the relay's own network (server-side request
forgery): the checks of `served/egress.py`, with a stub resolver where a test needs a name to
resolve to a given address (DNS cannot be made to lie otherwise here), and a real receiver on
loopback for the pinned delivery."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import ClassVar

import pytest

from starfish_dao.relay.served.egress import EgressPolicy, EgressRefused, check_url, send

PUBLIC = EgressPolicy()
LAN = EgressPolicy(allow_http=True, allow_private=True)
TESTS = EgressPolicy(allow_http=True, allow_private=True, allow_loopback=True)


def resolver(table: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    return lambda host, port: table[host]


@pytest.mark.parametrize(
    ("url", "address", "why"),
    [
        ("https://hooks.example/x", "127.0.0.1", "loopback"),
        ("https://hooks.example/x", "::1", "loopback"),
        ("https://hooks.example/x", "::ffff:127.0.0.1", "loopback"),
        ("https://hooks.example/x", "10.1.2.3", "private"),
        ("https://hooks.example/x", "192.168.1.10", "private"),
        ("https://hooks.example/x", "172.16.0.1", "private"),
        ("https://hooks.example/x", "100.64.0.1", "private"),
        ("https://hooks.example/x", "169.254.169.254", "private"),
        ("https://hooks.example/x", "fd00::1", "private"),
        ("https://hooks.example/x", "0.0.0.0", "not an address"),
        ("https://hooks.example/x", "224.0.0.1", "not an address"),
    ],
)
def test_private_and_local_addresses_are_refused(url: str, address: str, why: str) -> None:
    with pytest.raises(EgressRefused, match=why):
        check_url(url, PUBLIC, resolver({"hooks.example": [address]}))


def test_one_private_address_among_public_ones_is_enough_to_refuse() -> None:
    with pytest.raises(EgressRefused, match=r"10\.0\.0\.5"):
        check_url("https://hooks.example/", PUBLIC, resolver({"hooks.example": ["93.184.215.14", "10.0.0.5"]}))


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://hooks.example/x", "must start with https://"),
        ("ftp://hooks.example/x", "must start with"),
        ("file:///etc/passwd", "must start with"),
        ("https://user:pw@hooks.example/x", "user name or password"),
        ("https:///x", "no host"),
        ("https://hooks.example:99999/x", "malformed"),
        ("https://hooks.example/" + "a" * 600, "longer than 512"),
    ],
)
def test_malformed_or_unsafe_urls_are_refused(url: str, why: str) -> None:
    with pytest.raises(EgressRefused, match=why):
        check_url(url, PUBLIC, resolver({"hooks.example": ["93.184.215.14"]}))


def test_a_public_https_url_is_allowed_and_pinned_to_the_checked_address() -> None:
    target = check_url("https://hooks.example:8443/a/b?c=1", PUBLIC, resolver({"hooks.example": ["93.184.215.14"]}))
    assert (target.scheme, target.host, target.port, target.path, target.address) == (
        "https", "hooks.example", 8443, "/a/b?c=1", "93.184.215.14",
    )  # fmt: skip


def test_a_lan_relay_may_allow_private_addresses_but_never_the_metadata_service_or_loopback() -> None:
    assert check_url("http://ntfy.lan/t", LAN, resolver({"ntfy.lan": ["192.168.1.20"]})).address == "192.168.1.20"
    with pytest.raises(EgressRefused, match="metadata"):
        check_url("http://x.lan/", LAN, resolver({"x.lan": ["169.254.169.254"]}))
    with pytest.raises(EgressRefused, match="loopback"):
        check_url("http://x.lan/", LAN, resolver({"x.lan": ["127.0.0.1"]}))


class _Receiver(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, str, str, bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.append((self.command, self.path, self.headers["Host"], body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[int]:
    _Receiver.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield int(server.server_address[1])
    server.shutdown()


def test_delivery_connects_to_the_address_checked_with_the_name_as_host(receiver: int) -> None:
    """The name resolves (in the stub) to loopback, where the receiver is: the request arrives there
    with the URL's own Host, and no second lookup happened (the stub answers once per call)."""
    lookups: list[str] = []

    def once(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"]

    url = f"http://hooks.example:{receiver}/in?x=1"
    status = send({"method": "POST", "url": url, "json": {"a": 1}, "headers": {}}, TESTS, 5, once)
    assert status == 204
    assert lookups == ["hooks.example"]
    assert _Receiver.seen == [("POST", "/in?x=1", f"hooks.example:{receiver}", b'{"a": 1}')]


def test_rebinding_between_registration_and_delivery_is_refused_at_delivery(receiver: int) -> None:
    """Registered while the name pointed at a public address; by delivery it points at the relay's
    own network: nothing is sent."""
    answers = iter([["93.184.215.14"], ["127.0.0.1"]])
    rebinding = lambda host, port: next(answers)  # noqa: E731
    url = f"https://hooks.example:{receiver}/in"
    check_url(url, PUBLIC, rebinding)
    with pytest.raises(EgressRefused, match="loopback"):
        send({"method": "POST", "url": url, "json": {}, "headers": {}}, PUBLIC, 5, rebinding)
    assert _Receiver.seen == []
