"""`starfish todo` says when the member's pay will arrive (issue 23: "`starfish todo` shows the same
list, with when the member's pay will arrive"). Nothing sends pay by itself unless a relay's claim
keeper does: without one, todo says it waits until claimed and how; with a relay that states its
keeper (`/v1/info` "keepers": claimAboveWei, everySeconds), when the keeper will claim it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.conftest import ETHER, Dao, founders_first_work

STARFISH = [sys.executable, "-m", "starfish_dao.cli"]


def _todo(dao: Dao, tmp_path: Path, *extra: str) -> str:
    manifests = tmp_path / "deployments"
    dao.deployment.save(manifests)
    env = {k: v for k, v in os.environ.items() if not k.startswith("STARFISH_")}
    env.update(STARFISH_HOME=str(tmp_path / "home"), STARFISH_RPC_URL=dao.chain.url)
    out = subprocess.run([*STARFISH, "todo", "--member", dao["ada"].address, "--deployments", str(manifests), *extra],
                         capture_output=True, text=True, env=env, timeout=300)  # fmt: skip
    assert out.returncode == 0, out.stderr
    return " ".join(out.stdout.split())


@contextmanager
def _relay(info: dict[str, Any]) -> Iterator[str]:
    """A stand-in relay that answers only /v1/info."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(info).encode()
            self.send_response(200 if self.path == "/v1/info" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def test_todo_says_pay_waits_until_claimed_when_nothing_sends_it(dao: Dao, tmp_path: Path) -> None:
    founders_first_work(dao)  # genesis standing earns no pay: the founders' first work does
    dao.sf.pay_eth(dao["zed"], ETHER)
    said = _todo(dao, tmp_path)
    assert "0.299999 ETH to claim" in said, said  # 90 % of 1 ETH to three founders, rounded down
    assert "Nothing sends it to you by itself: it waits in the splitter until you claim it" in said, said
    assert "`starfish claim`" in said, said


def test_todo_says_when_a_relays_claim_keeper_sends_the_pay(dao: Dao, tmp_path: Path) -> None:
    founders_first_work(dao)  # genesis standing earns no pay: the founders' first work does
    dao.sf.pay_eth(dao["zed"], ETHER)
    with _relay({"chainId": 31337, "keepers": {"claimAboveWei": str(ETHER // 100), "everySeconds": 5}}) as url:
        said = _todo(dao, tmp_path, "--relay", url)
    assert f"The relay at {url} claims it for you within about 5 s (its keeper claims any pay above 0.01 ETH)" \
        in said, said  # fmt: skip
    with _relay({"chainId": 31337, "keepers": {"claimAboveWei": str(ETHER), "everySeconds": 5}}) as url:
        said = _todo(dao, tmp_path, "--relay", url)
    assert f"The relay at {url} claims pay for you once more than 1 ETH waits" in said, said
    assert f"`starfish claim --relay {url}`" in said, said
    with _relay({"chainId": 31337}) as url:  # a relay that does not say it has a claim keeper
        said = _todo(dao, tmp_path, "--relay", url)
    assert f"The relay at {url} does not say that it claims pay for members" in said, said
    down = _todo(dao, tmp_path, "--relay", "http://127.0.0.1:9")
    assert "did not answer" in down and "Nothing sends it to you by itself" in down, down
