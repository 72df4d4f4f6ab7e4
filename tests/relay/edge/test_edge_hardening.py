"""The relay's edge under attack, each against a real relay process on a real anvil node (issue 15):
size limits while streaming, upload budgets and auth (6); header and body timeouts, the connection
cap (8); server-sent events fan-out and its cap (7); spoofed X-Forwarded-For (9); cross-origin posts
and DNS rebinding (10); secrets in the node's URL never in a log or an answer (4, with `scrub`).
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import requests
from eth_account import Account

from starfish_dao.chain.backends import RpcBackend, free_port
from tests.conftest import Dao, deploy_dao
from tests.relay.processes import Running, anvil_process, raw_request, relayer_nonce, signed, start_relay


def test_bodies_are_limited_while_they_stream(relay_process: Running) -> None:
    rss = relay_process.rss_kib()
    # a declared 300 MiB body is refused before a byte of it is read
    answer = raw_request(relay_process.port, b"POST /v1/actions HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Type: application/json\r\nContent-Length: 314572800\r\n"
                         b"Connection: close\r\n\r\n")  # fmt: skip
    assert answer.startswith(b"HTTP/1.1 413") and b"too_large" in answer

    # an undeclared (chunked) body is cut off once it passes the limit: the relay does not buffer it
    def chunks() -> Iterator[bytes]:
        for _ in range(300):
            yield b" " * (1024 * 1024)

    try:
        response = requests.post(f"{relay_process.url}/v1/actions", data=chunks(), timeout=60,
                                 headers={"Content-Type": "application/json"})  # fmt: skip
        assert response.status_code == 413
    except requests.ConnectionError:
        pass  # the relay answered 413 and closed while the client was still sending
    # and uploads: 16 MiB by default; a 1 GiB upload is refused by its header
    answer = raw_request(relay_process.port, b"POST /v1/artifacts HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 1073741824\r\n"
                         b"Connection: close\r\n\r\n")  # fmt: skip
    assert answer.startswith(b"HTTP/1.1 413")
    assert relay_process.rss_kib() - rss < 64 * 1024, "the relay buffered a body it should have refused"


def test_uploads_need_the_token_when_one_is_set_and_have_a_budget_per_ip(dao: Dao, tmp_path: Path) -> None:
    relay = start_relay(dao, tmp_path, upload_token="a-long-upload-token", upload_bytes_per_ip_per_hour="300000")
    try:
        files = {"file": ("a.txt", b"x" * 100_000)}
        assert requests.post(f"{relay.url}/v1/artifacts", files=files, timeout=10).status_code == 401
        auth = {"Authorization": "Bearer a-long-upload-token"}
        codes = [requests.post(f"{relay.url}/v1/artifacts", files=files, headers=auth, timeout=10).status_code
                 for _ in range(4)]  # fmt: skip
        assert codes[:2] == [201, 201] and codes[-1] == 429
        assert "a-long-upload-token" not in relay.log.read_text()
    finally:
        relay.stop()


def test_slow_clients_are_cut_off_and_connections_are_capped(dao: Dao, tmp_path: Path) -> None:
    relay = start_relay(dao, tmp_path, header_timeout="1", body_timeout="2", max_connections="100")
    sockets: list[socket.socket] = []
    try:
        base = relay.fds()
        # 400 connections that never finish their headers (slow loris)
        for _ in range(400):
            s = socket.create_connection(("127.0.0.1", relay.port))
            s.sendall(b"GET /v1/info HTTP/1.1\r\nHost: x\r\n")
            sockets.append(s)
        time.sleep(0.5)
        assert relay.fds() - base <= 100 + 20, "connections beyond the cap were kept open"
        time.sleep(2.0)
        closed = 0
        for s in sockets:
            s.settimeout(0.5)
            try:
                closed += s.recv(1) == b""
            except (TimeoutError, ConnectionResetError):
                closed += 1
        assert closed == len(sockets)  # every one was closed by the relay
        assert requests.get(f"{relay.url}/v1/info", timeout=10).status_code == 200  # and it still serves
        # a body trickling in: 408 after the body timeout, and no traceback in the log
        with socket.create_connection(("127.0.0.1", relay.port), timeout=10) as s:
            s.sendall(b"POST /v1/actions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 100\r\n\r\n{")  # fmt: skip
            answer = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        # clients that hang up mid-body end quietly
        for _ in range(50):
            with socket.create_connection(("127.0.0.1", relay.port)) as s:
                s.sendall(b"POST /v1/actions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          b"Content-Length: 1000\r\n\r\n{\"action\"")  # fmt: skip
        time.sleep(0.5)
        assert "Traceback" not in relay.log.read_text()
    finally:
        for s in sockets:
            s.close()
        relay.stop()


# ---------------------------------------------------------------- 7: server-sent events


def test_many_event_streams_all_receive_and_the_cap_holds(dao: Dao, tmp_path: Path) -> None:
    relay = start_relay(dao, tmp_path, max_sse_clients="120")
    streams: list[socket.socket] = []
    try:
        for _ in range(120):
            s = socket.create_connection(("127.0.0.1", relay.port), timeout=10)
            s.sendall(b"GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n")
            streams.append(s)
        time.sleep(1.0)
        over = requests.get(f"{relay.url}/v1/events", timeout=10)
        assert over.status_code == 503 and over.json()["code"] == "busy"
        joiners = [Account.create() for _ in range(5)]
        for account in joiners:
            answer = requests.post(f"{relay.url}/v1/actions", json=signed(dao.sf, account, "Join"), timeout=10)
            assert relay.wait(answer.json()["id"])["status"] == "mined"
        time.sleep(1.5)
        for s in streams:
            s.settimeout(2)
            data = b""
            while data.count(b"event: Joined") < 5:
                chunk = s.recv(65536)
                assert chunk, "the stream ended"
                data += chunk
            for account in joiners:
                assert account.address.encode() in data
    finally:
        for s in streams:
            s.close()
        relay.stop()


# ---------------------------------------------------------------- 9, 10: who may post


def test_a_spoofed_forwarded_for_does_not_escape_the_per_ip_limit(dao: Dao, tmp_path: Path) -> None:
    relay = start_relay(dao, tmp_path, rate_per_ip="0.5")
    try:
        codes = []
        for i in range(6):
            headers = {"X-Forwarded-For": f"10.0.0.{i}"}
            answer = requests.post(f"{relay.url}/v1/actions", json={"action": "Claim", "member": dao["ada"].address},
                                   headers=headers, timeout=10)  # fmt: skip
            codes.append(answer.status_code)
        assert 429 in codes  # burst 2.5 from one address, whatever the header says
    finally:
        relay.stop()


def test_a_foreign_page_cannot_make_a_visitors_browser_post(dao: Dao, relay_process: Running) -> None:
    body = json.dumps({"action": "Claim", "member": dao["ada"].address})
    # the "simple request" a form or fetch(no-cors) can send without asking: text/plain
    evil = {"Content-Type": "text/plain", "Origin": "https://evil.example"}
    plain = requests.post(f"{relay_process.url}/v1/actions", data=body, headers=evil, timeout=10)
    assert plain.status_code in (403, 415)
    plain = requests.post(
        f"{relay_process.url}/v1/actions", data=body, headers={"Content-Type": "text/plain"}, timeout=10
    )
    assert plain.status_code == 415 and plain.json()["code"] == "unsupported_media_type"
    foreign = requests.post(f"{relay_process.url}/v1/actions", data=body, timeout=10,
                            headers={"Content-Type": "application/json", "Origin": "https://evil.example"})  # fmt: skip
    assert foreign.status_code == 403 and foreign.json()["code"] == "forbidden_origin"
    upload = requests.post(f"{relay_process.url}/v1/artifacts", files={"file": ("a", b"x")},
                           headers={"Origin": "https://evil.example"}, timeout=10)  # fmt: skip
    assert upload.status_code == 403
    # the relay's own page (same origin) and clients without a browser (no Origin) may
    own = requests.post(f"{relay_process.url}/v1/actions/typed-data", timeout=10,
                        json={"action": "Join", "signer": dao["zed"].address},
                        headers={"Origin": relay_process.url})  # fmt: skip
    assert own.status_code == 200
    assert relayer_nonce(dao, relay_process) == 0


def test_dns_rebinding_does_not_pass_as_the_relays_own_page(dao: Dao, relay_process: Running) -> None:
    """Issue 24, finding 6: a page on rebind.example, its name rebound to the relay's address, sends
    Origin http://rebind.example:PORT with Host rebind.example:PORT: same origin, once accepted."""
    port = relay_process.url.rsplit(":", 1)[1]
    body = {"action": "Claim", "member": dao["ada"].address}
    headers = {"Host": f"rebind.example:{port}", "Origin": f"http://rebind.example:{port}"}
    rebound = requests.post(f"{relay_process.url}/v1/actions", json=body, timeout=10, headers=headers)
    assert rebound.status_code == 403 and rebound.json()["code"] == "forbidden_origin"
    assert relayer_nonce(dao, relay_process) == 0


def test_a_listed_host_is_the_relays_own_page() -> None:
    from starfish_dao.relay.edge.guard import Guard
    from starfish_dao.relay.settings import RelaySettings

    guard = Guard(None, RelaySettings(hosts=["relay.example.org"]))  # type: ignore[arg-type]
    assert guard._origin_ok("https://relay.example.org", "relay.example.org", "http")
    assert guard._origin_ok("http://127.0.0.1:8645", "127.0.0.1:8645", "http")
    assert guard._origin_ok("http://[::1]:8645", "[::1]:8645", "http")
    assert not guard._origin_ok("http://rebind.example", "rebind.example", "http")
    assert not guard._origin_ok("http://127.0.0.1.rebind.example", "127.0.0.1.rebind.example", "http")


# ---------------------------------------------------------------- 4: secrets in the node's URL


def test_secrets_in_the_node_url_never_reach_the_log_or_an_answer(dao: Dao, tmp_path: Path) -> None:
    """The node's URL carries its API key: when the node goes away the relay and its submitter log
    and answer what failed, never the key."""
    port = free_port()
    node = anvil_process(port, tmp_path / "state.json", None, tmp_path / "anvil.log")
    relay: Running | None = None
    try:
        url = f"http://127.0.0.1:{port}/?apikey=SECRET-KEY-42"
        own = deploy_dao(RpcBackend(url))
        relay = start_relay(own, tmp_path, rpc=url)
        joined = requests.post(f"{relay.url}/v1/actions", json=signed(own.sf, Account.create(), "Join"), timeout=10)
        assert relay.wait(joined.json()["id"])["status"] == "mined"
        node.kill()
        node.wait(10)
        down = requests.post(f"{relay.url}/v1/actions", json={"action": "Claim", "member": own["ada"].address},
                             timeout=30)  # fmt: skip
        assert down.status_code == 503 and down.json()["code"] == "chain_unavailable", down.text
        time.sleep(2)  # the submitter and the state poller fail a few times meanwhile
        log = relay.log.read_text()
        assert "SECRET-KEY-42" not in down.text
        # both processes logged what failed (host and port, never the URL's path or query)
        assert "submitter: " in log and "state refresh: " in log and "connection failed" in log
        assert "SECRET-KEY-42" not in log and "apikey" not in log
    finally:
        if relay is not None:
            relay.stop()
        node.kill()


def test_scrub_removes_what_a_url_carries_from_any_message() -> None:
    """web3 and urllib3 put the node's URL in their errors (the relay's own JSON-RPC errors name only
    host and port): every log line and answer passes through `scrub`."""
    from starfish_dao.relay.edge.redaction import scrub

    urllib3 = ("HTTPConnectionPool(host='node.example', port=8545): Max retries exceeded with url: "
               "/v3/0123456789abcdef?apikey=SECRET-KEY-42 (Caused by NewConnectionError)")  # fmt: skip
    web3 = "Could not connect to https://user:pw@node.example/v3/0123456789abcdef?apikey=SECRET-KEY-42"
    for text in (urllib3, web3):
        clean = scrub(text)
        assert "[redacted]" in clean and "node.example" in clean, clean
        assert "SECRET-KEY-42" not in clean and "0123456789abcdef" not in clean and "pw@" not in clean, clean
