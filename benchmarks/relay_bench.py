"""Relay throughput on loopback: accepted actions per second with p50/p99 latency, and mined per second.

Starts anvil and a deployment, runs `starfish relay` as its own process, pre-signs N Join actions
from fresh keys, posts them from 4 client threads, then waits until all are mined. Bounded in
count (N) and time.

    .venv/bin/python benchmarks/relay_bench.py [--n 1000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from eth_account import Account

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from starfish_dao.chain.backends import AnvilNode, RpcBackend, free_port
from starfish_dao.domain import typed_data as td
from tests.conftest import ETHER, deploy_dao


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="starfish-relay-bench-"))
    os.environ["STARFISH_HOME"] = str(home)
    node = AnvilNode(home / "anvil", persist=False).start()
    relay = None
    try:
        chain = RpcBackend(node.url, node=node)
        dao = deploy_dao(chain)
        manifest = dao.deployment.save(home / "deployments")
        relayer = Account.create()
        chain.fund(relayer.address, 1000 * ETHER)
        port = free_port()
        env = {**os.environ, "STARFISH_RPC_URL": node.url, "STARFISH_RELAY_DEPLOYMENT": str(manifest),
               "STARFISH_RELAY_RELAYER_KEY": relayer.key.hex(), "STARFISH_RELAY_POLL_INTERVAL": "0.02",
               "STARFISH_RELAY_RATE_PER_IP": "1000000", "STARFISH_RELAY_DB_PATH": str(home / "q.sqlite3")}  # fmt: skip
        relay = subprocess.Popen([sys.executable, "-m", "starfish_dao.cli", "relay", "--port", str(port)], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                requests.get(f"{base}/v1/info", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.1)
        bodies = []
        for _ in range(args.n):
            account = Account.create()
            data = dao.sf.typed_data_for(
                "Join", {"member": account.address, "generation": 0, "nonce": 0, "deadline": 2**255}
            )
            sig = account.sign_message(td.signable(data)).signature
            bodies.append({"action": "Join", "typedData": data, "signature": "0x" + bytes(sig).hex()})
        sessions = [requests.Session() for _ in range(args.threads)]
        latencies: list[float] = []

        def post(i: int) -> str:
            t = time.perf_counter()
            answer = sessions[i % args.threads].post(f"{base}/v1/actions", json=bodies[i], timeout=30)
            latencies.append(time.perf_counter() - t)
            assert answer.status_code == 202, answer.text
            return str(answer.json()["id"])

        started = time.perf_counter()
        with ThreadPoolExecutor(args.threads) as pool:
            ids = list(pool.map(post, range(args.n)))
        accepted_s = time.perf_counter() - started
        before = time.perf_counter()
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if dao.sf.membership.functions.memberCount().call() >= 5 + args.n:
                break
            time.sleep(0.05)
        mined_s = time.perf_counter() - started
        tail = time.perf_counter() - before
        assert dao.sf.membership.functions.memberCount().call() == 5 + args.n
        assert len(set(ids)) == args.n
    finally:
        if relay is not None:
            relay.kill()
        node.stop()
    q = statistics.quantiles(latencies, n=100)
    print("| figure | value | target |")
    print("|---|---:|---:|")
    print(f"| actions accepted | {args.n:,} from {args.threads} client threads | |")
    print(f"| accepted per second | {args.n / accepted_s:,.0f} | ≥ 500 |")
    print(f"| accept latency p50 / p99 | {q[49] * 1000:.1f} ms / {q[98] * 1000:.1f} ms | p99 ≤ 50 ms at 200/s |")
    print(f"| mined per second (accept to last mined) | {args.n / mined_s:,.0f} | ≥ 200 |")
    print(f"| drain after the last accept | {tail:.1f} s | |")


if __name__ == "__main__":
    main()
