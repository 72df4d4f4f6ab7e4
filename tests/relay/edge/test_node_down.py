"""Issue 24, finding 4: a request that reads the chain while the node is down answers 503 with a
plain problem (reads of what the relay serves answer from what it last read, and /v1/info says
unhealthy), and neither the answer nor any log line (tracebacks included) carries the node URL's
secret, whether it is in the query (`?apikey=`) or in the userinfo (`user:pass@`)."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
import requests

from starfish_dao.chain.backends import RpcBackend, free_port
from starfish_dao.relay.edge.redaction import ScrubFilter, register_secret
from tests.conftest import deploy_dao
from tests.relay.processes import Running, anvil_process, start_relay


@pytest.mark.parametrize("secret_in", ["query", "userinfo"])
def test_reads_while_the_node_is_down_answer_503_and_log_no_secret(tmp_path: Path, secret_in: str) -> None:
    port = free_port()
    node = anvil_process(port, tmp_path / "state.json", None, tmp_path / "anvil.log")
    relay: Running | None = None
    try:
        if secret_in == "query":
            url = f"http://127.0.0.1:{port}/?apikey=SECRET-KEY-42"
        else:
            url = f"http://ada:SECRET-KEY-42@127.0.0.1:{port}/"
        own = deploy_dao(RpcBackend(url))
        relay = start_relay(own, tmp_path, rpc=url)
        assert requests.get(f"{relay.url}/v1/info", timeout=10).status_code == 200
        node.kill()
        node.wait(10)
        deadline = time.monotonic() + 15  # /v1/info reads no chain: it says unhealthy, naming the part
        while (info := requests.get(f"{relay.url}/v1/info", timeout=10)).json()["healthy"]:
            assert info.status_code == 200 and time.monotonic() < deadline, info.text
            time.sleep(0.2)
        assert info.status_code == 200 and info.json()["parts"]["chain"] is False, info.text
        assert "SECRET-KEY-42" not in info.text
        for path in ("/v1/members", f"/v1/members/{own['ada'].address}"):  # served as last read
            served = requests.get(f"{relay.url}{path}", timeout=30)
            assert served.status_code == 200 and "SECRET-KEY-42" not in served.text, (path, served.text)
        # what must read the chain (a nonce for typed data) is refused as the chain's absence
        ask = {"action": "Join", "signer": own["ada"].address, "fields": {}}
        down = requests.post(f"{relay.url}/v1/actions/typed-data", json=ask, timeout=30)
        assert down.status_code == 503, (down.status_code, down.text)
        assert down.headers["content-type"].startswith("application/problem+json")
        assert down.json()["code"] == "chain_unavailable"
        assert "SECRET-KEY-42" not in down.text
        time.sleep(1)
        log = relay.log.read_text()
        assert "SECRET-KEY-42" not in log and "apikey" not in log, log[-3000:]
        assert "Traceback" not in log, log[-3000:]  # an expected outage is a line, not a traceback
    finally:
        if relay is not None:
            relay.stop()
        node.kill()


def test_the_scrub_filter_rewrites_tracebacks_and_exception_text() -> None:
    """What uvicorn logs for an exception (`logger.exception(...)`): the message, its arguments,
    the formatted traceback and the cached `exc_text` all pass through the scrubber."""
    register_secret("http://127.0.0.1:9/?apikey=TRACE-SECRET-7")
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Keep()
    handler.addFilter(ScrubFilter())
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("test.scrub.tracebacks")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise ConnectionError("could not reach http://u:TRACE-SECRET-7@node:8545/?apikey=TRACE-SECRET-7")
        except ConnectionError:
            logger.exception("Exception in ASGI application for %s", "http://node/?apikey=TRACE-SECRET-7")
        try:
            raise ValueError("http://127.0.0.1:9/?apikey=TRACE-SECRET-7")
        except ValueError as exc:
            logger.error("failed", exc_info=exc)
    finally:
        logger.removeHandler(handler)
    assert len(records) == 2 and "Traceback" in records[0] and "ConnectionError" in records[0]
    assert not any("TRACE-SECRET-7" in text for text in records), records
