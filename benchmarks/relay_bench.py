"""Relay throughput on loopback, each figure next to its baseline measured in the same run.

    .venv/bin/python benchmarks/relay_bench.py [--n 2000] [--clients 2] [--threads 8]

Starts anvil and a deployment, and measures with the same load generator (separate processes,
keep-alive connections, pre-encoded bodies):

- accepted/s at saturation: the relay taking N signed Joins from fresh keys, against a trivial
  FastAPI endpoint served the same way (same uvicorn, protocol and settings);
- latency at 200 actions/s offered (open loop: requests leave on a fixed schedule), p50/p99;
- mined/s end to end (first accept to last mined), against raw anvil taking the same `joinBySig`
  transactions signed by one account and sent in batches.

It prints a table of figures, baselines and ratios. Bounded in count and time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
from eth_account import Account

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from starfish_dao.chain.backends import AnvilNode, RpcBackend, free_port
from starfish_dao.domain import typed_data as td
from tests.conftest import ETHER, deploy_dao

TRIVIAL = """
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starfish_dao.relay.http import serve
from starfish_dao.relay.settings import RelaySettings
app = FastAPI()
@app.post("/v1/actions")
async def accept(request: Request) -> JSONResponse:
    await request.body()
    return JSONResponse({"status": "accepted"}, status_code=202)
serve(app, RelaySettings(), "127.0.0.1", int(__import__("sys").argv[1]))
"""


def _client(port: int, bodies: list[bytes], threads: int, rate: float, out: Any) -> None:
    """One load-generator process: `threads` keep-alive connections; closed loop when rate == 0,
    else each request leaves at its scheduled time (rate per second for this process)."""
    import threading

    latencies: list[float] = [0.0] * len(bodies)
    statuses: list[int] = [0] * len(bodies)
    next_index = [0]
    lock = threading.Lock()
    start = time.perf_counter()

    def work() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= len(bodies):
                break
            due = start + i / rate if rate else 0.0
            if rate:
                pause = due - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
            t = time.perf_counter()
            try:
                conn.request("POST", "/v1/actions", bodies[i], {"Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                statuses[i] = response.status
            except (OSError, http.client.HTTPException):
                statuses[i] = -1
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            # open loop: from when the request was due (a client that falls behind counts against it)
            latencies[i] = time.perf_counter() - (due if rate else t)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    out.put((time.perf_counter() - start, latencies, statuses))


def load(port: int, bodies: list[bytes], clients: int, threads: int, rate: float = 0.0) -> dict[str, Any]:
    """Sends every body (split across `clients` processes); seconds, latencies, statuses."""
    queue: Any = mp.Queue()
    parts = [bodies[i::clients] for i in range(clients)]
    procs = [mp.Process(target=_client, args=(port, part, threads, rate / clients, queue)) for part in parts]
    started = time.perf_counter()
    for proc in procs:
        proc.start()
    results = [queue.get() for _ in procs]
    for proc in procs:
        proc.join()
    elapsed = time.perf_counter() - started
    latencies = [x for _, lat, _ in results for x in lat]
    statuses = [x for _, _, st in results for x in st]
    q = statistics.quantiles(latencies, n=100)
    return {"seconds": elapsed, "per_second": len(bodies) / elapsed, "p50": q[49], "p99": q[98],
            "statuses": {s: statuses.count(s) for s in set(statuses)}}  # fmt: skip


def _wait_http(url: str) -> None:
    for _ in range(600):
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000, help="actions for the saturation run")
    parser.add_argument("--paced", type=int, default=1000, help="actions for the 200/s run")
    parser.add_argument("--clients", type=int, default=2, help="load-generator processes")
    parser.add_argument("--threads", type=int, default=8, help="connections per load-generator process")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="starfish-relay-bench-"))
    os.environ["STARFISH_HOME"] = str(home)
    # anvil keeps a copy of the whole state for every block by default: thousands of members times
    # thousands of blocks grew it past 24 GiB and slowed every call; like a production node, it
    # keeps the recent states only (the same node serves the relay and the raw baseline)
    node = AnvilNode(home / "anvil", persist=False, extra_args=("--prune-history", "256")).start()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        chain = RpcBackend(node.url, node=node)
        dao = deploy_dao(chain)
        sf = dao.sf

        def joins(n: int) -> list[dict[str, Any]]:
            out = []
            for _ in range(n):
                account = Account.create()
                data = sf.typed_data_for("Join", {"member": account.address, "generation": 0, "nonce": 0,
                                                  "deadline": 2**255})  # fmt: skip
                sig = account.sign_message(td.signable(data)).signature
                out.append({"action": "Join", "typedData": data, "signature": "0x" + bytes(sig).hex()})
            return out

        print(f"signing {args.n + args.paced + args.n} Joins from fresh keys...", file=sys.stderr)
        saturate, paced, raw_joins = joins(args.n), joins(args.paced), joins(args.n)
        encode = [json.dumps(b).encode() for b in saturate]

        # baseline 1: a trivial endpoint, served the same way
        port = free_port()
        trivial = subprocess.Popen([sys.executable, "-c", TRIVIAL, str(port)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)  # fmt: skip
        procs.append(trivial)
        _wait_http(f"http://127.0.0.1:{port}/docs")
        base = load(port, encode, args.clients, args.threads)
        trivial.kill()

        # the relay
        manifest = dao.deployment.save(home / "deployments")
        relayer = Account.create()
        chain.fund(relayer.address, 10_000 * ETHER)
        port = free_port()
        env = {**os.environ, "STARFISH_RPC_URL": node.url, "STARFISH_RELAY_DEPLOYMENT": str(manifest),
               "STARFISH_RELAY_RELAYER_KEY": relayer.key.hex(), "STARFISH_RELAY_POLL_INTERVAL": "0.02",
               "STARFISH_RELAY_RATE_PER_IP": "1000000", "STARFISH_RELAY_GAS_PER_IP_PER_HOUR": str(10**15),
               "STARFISH_RELAY_DB_PATH": str(home / "q.sqlite3"), "STARFISH_RELAY_CONFIRMATIONS": "1"}  # fmt: skip
        relay = subprocess.Popen([sys.executable, "-m", "starfish_dao.cli", "relay", "--port", str(port)], env=env,
                                 stdout=subprocess.DEVNULL, stderr=(home / "relay.log").open("wb"))  # fmt: skip
        procs.append(relay)
        _wait_http(f"http://127.0.0.1:{port}/v1/info")
        for _ in range(300):  # until its first comparison with the contracts has run
            if requests.get(f"http://127.0.0.1:{port}/v1/verification", timeout=5).json().get("ok") is not None:
                break
            time.sleep(0.1)
        deadline = time.monotonic() + 900
        # latency at a steady 200 actions/s (open loop), on a young chain
        members = sf.membership.functions.memberCount().call()
        paced_run = load(port, [json.dumps(b).encode() for b in paced], args.clients, args.threads, rate=200.0)
        while time.monotonic() < deadline and sf.membership.functions.memberCount().call() < members + args.paced:
            time.sleep(0.05)
        # accepted/s at saturation
        members = sf.membership.functions.memberCount().call()
        sat = load(port, encode, args.clients, args.threads)
        while time.monotonic() < deadline and sf.membership.functions.memberCount().call() < members + args.n:
            time.sleep(0.05)

        # mined/s end to end: a fresh batch, from the first request to the last Joined
        burst = joins(args.n)
        members = sf.membership.functions.memberCount().call()
        t0 = time.perf_counter()
        accept_run = load(port, [json.dumps(b).encode() for b in burst], args.clients, args.threads)
        while time.monotonic() < deadline and sf.membership.functions.memberCount().call() < members + args.n:
            time.sleep(0.02)
        end_to_end = args.n / (time.perf_counter() - t0)
        relay.terminate()
        relay.wait(20)

        # baseline 2: raw anvil taking the same joinBySig transactions from one funded account
        sender = Account.create()
        chain.fund(sender.address, 10_000 * ETHER)
        raws = []
        for nonce, body in enumerate(raw_joins):
            m = body["typedData"]["message"]
            call = sf.membership.functions.joinBySig(m["member"], m["generation"], m["nonce"], m["deadline"],
                                                     bytes.fromhex(body["signature"][2:]))  # fmt: skip
            tx = call.build_transaction({"from": sender.address, "nonce": nonce, "gas": 200_000, "chainId": 31337,
                                         "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9})  # fmt: skip
            raws.append("0x" + bytes(sender.sign_transaction(tx).raw_transaction).hex())
        members = sf.membership.functions.memberCount().call()
        session = requests.Session()
        t0 = time.perf_counter()
        for i in range(0, len(raws), 200):
            payload = [{"jsonrpc": "2.0", "id": j, "method": "eth_sendRawTransaction", "params": [r]}
                       for j, r in enumerate(raws[i : i + 200])]  # fmt: skip
            session.post(node.url, json=payload, timeout=120).raise_for_status()
        while sf.membership.functions.memberCount().call() < members + len(raws):
            time.sleep(0.01)
        anvil_rate = len(raws) / (time.perf_counter() - t0)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        node.stop()

    def ms(x: float) -> str:
        return f"{x * 1000:.1f} ms"

    print(f"| figure ({args.clients} load processes × {args.threads} connections) | relay | baseline | ratio | goal |")
    print("|---|---:|---:|---:|---:|")
    print(
        f"| accepted/s at saturation ({args.n:,} Joins) | {sat['per_second']:,.0f} | {base['per_second']:,.0f} "
        f"(trivial FastAPI endpoint) | {sat['per_second'] / base['per_second']:.2f} | ≥ 500/s |"
    )
    print(
        f"| latency at saturation p50 / p99 | {ms(sat['p50'])} / {ms(sat['p99'])} | {ms(base['p50'])} / "
        f"{ms(base['p99'])} | | |"
    )
    print(
        f"| latency at 200/s offered p50 / p99 ({args.paced:,} Joins) | {ms(paced_run['p50'])} / "
        f"{ms(paced_run['p99'])} | | | p99 ≤ 50 ms |"
    )
    print(
        f"| mined/s end to end ({args.n:,} Joins, first accept to last mined) | {end_to_end:,.0f} | "
        f"{anvil_rate:,.0f} (raw anvil, same joinBySig) | {end_to_end / anvil_rate:.2f} | ≥ 200/s |"
    )
    print(f"| accepted/s in that run | {accept_run['per_second']:,.0f} | | | |")
    print(
        f"statuses: saturation {sat['statuses']}, paced {paced_run['statuses']}, burst {accept_run['statuses']}, "
        f"baseline {base['statuses']}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
