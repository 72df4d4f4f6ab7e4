"""Issue 24, finding 4, outside a request: the node URL's secret (`?apikey=`) is not printed when the
relay (or any command) starts with the node down, nor by an exception that escapes a thread."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
from eth_account import Account

from starfish_dao.chain.backends import free_port
from starfish_dao.relay.edge import redaction

SECRET = "SECRET123"


def test_the_relay_started_with_the_node_down_names_the_node_but_not_its_key(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    env = {
        **os.environ,
        "STARFISH_HOME": str(tmp_path / "home"),
        "STARFISH_RPC_URL": f"http://127.0.0.1:{port}/?apikey={SECRET}",
        "STARFISH_RELAY_RELAYER_KEY": Account.create().key.hex(),
        "STARFISH_RELAY_DB_PATH": str(tmp_path / "q.sqlite3"),
    }
    out = subprocess.run([sys.executable, "-m", "starfish_dao.cli", "relay", "--port", str(free_port())],
                         env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    said = out.stdout + out.stderr
    assert out.returncode == 1, said
    assert f"no JSON-RPC node answers at http://127.0.0.1:{port}" in said, said
    assert SECRET not in said and "apikey" not in said, said
    assert "Traceback" not in said, said


def test_a_cli_connection_error_names_the_host_but_not_the_key() -> None:
    """requests' own text quotes the URL's path and query (`Max retries exceeded with url: /?apikey=`)."""
    from starfish_dao.cli.app import _explain

    port = free_port()
    with pytest.raises(requests.ConnectionError) as caught:
        requests.get(f"http://127.0.0.1:{port}/v1/info?apikey={SECRET}", timeout=5)
    line = _explain(caught.value)
    assert f"127.0.0.1:{port}" in line and SECRET not in line, line


def test_an_exception_escaping_a_thread_is_logged_scrubbed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    redaction.scrub_uncaught()  # what the relay's process (and each child) installs

    def fail() -> None:
        raise ConnectionError(f"could not reach http://u:pw-{SECRET}@node.example:8545/?apikey={SECRET}")

    with caplog.at_level(logging.ERROR):
        worker = threading.Thread(target=fail, name="chain-reader")
        worker.start()
        worker.join()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "chain-reader" in logged and "ConnectionError" in logged and "node.example:8545" in logged, logged
    assert SECRET not in logged, logged
    assert SECRET not in capsys.readouterr().err
