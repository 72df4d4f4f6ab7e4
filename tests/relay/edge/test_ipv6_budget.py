"""Per-IP budgets are per client: an IPv6 client's /64 (issue 24)."""

from __future__ import annotations

from pathlib import Path

from eth_account import Account
from fastapi.testclient import TestClient

from starfish_dao.ipfs.local import LocalStore
from starfish_dao.relay.app import create_app
from starfish_dao.relay.edge.budgets import client_key
from starfish_dao.relay.service import Relay
from tests.conftest import Dao
from tests.relay.conftest import relay_settings


def test_an_ipv6_client_is_one_client_across_its_64(dao: Dao, tmp_path: Path) -> None:
    """Issue 24: per-IP limits keyed by the full IPv6 address let one subscriber rotate through 2^64
    keys. Keyed by the /64, a client that changes its address within it shares one budget; another
    /64, or an IPv4 client, has its own."""
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:ffff:1:2:3") == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::1") == "2001:db8:1:3::/64"
    assert client_key("::ffff:203.0.113.7") == client_key("203.0.113.7") == "203.0.113.7"
    assert client_key("fe80::1%eth0") == "fe80::/64" and client_key("testclient") == "testclient"
    relayer = Account.create()
    settings = relay_settings(tmp_path, relayer, rate_per_ip=0.2)  # a burst of one request, then 1 per 5 s
    service = Relay(settings, sf=dao.sf, store=LocalStore(tmp_path / "s"))
    app = create_app(settings, service, start=False)
    claim = {"action": "Claim", "member": dao["zed"].address}

    def post(host: str) -> int:
        with TestClient(app, client=(host, 50000)) as c:
            return c.post("/v1/actions", json=claim).status_code

    assert post("2001:db8:1:2::1") != 429
    assert post("2001:db8:1:2::2") == 429, "a fresh address in the same /64 had a fresh budget"
    assert post("2001:db8:1:2:ffff:ffff:ffff:ffff") == 429
    assert post("2001:db8:1:3::1") != 429  # another /64: another client
    assert post("203.0.113.7") != 429
