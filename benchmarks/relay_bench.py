"""Relay throughput on loopback, each figure next to its baseline measured in the same run.

    .venv/bin/python benchmarks/relay_bench.py [--n 2000] [--paced 1000] [--clients 2] [--threads 8]

Starts anvil and a deployment, and measures with the same load generator (separate processes,
keep-alive connections, pre-encoded bodies):

- accepted/s at saturation: the relay taking N signed Joins from fresh keys, against a trivial
  FastAPI endpoint served the same way (same uvicorn, protocol and settings);
- latency at 200 actions/s offered (open loop: requests leave on a fixed schedule), p50/p99, also
  while the relay compares what it serves with the contracts every 2.5 s (12× its default rate);
- mined/s end to end (first accept to last mined), against raw anvil taking the same `joinBySig`
  transactions signed by one account, at most `--window` in its pool at once;
- CPU per action (user + system, read from /proc) of the relay's accepting process and of its
  submitter and verifier children, at 200/s and at saturation, beside the trivial endpoint's CPU
  per request in the same run.

Each measurement starts from its own fresh anvil node and deployment: anvil slows as its chain
grows, so a phase must not inherit the blocks of the one before.

It prints a table of figures, baselines and ratios. Bounded in count and time.
"""

from __future__ import annotations

import argparse
import atexit
import http.client
import json
import multiprocessing as mp
import os
import shutil
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
from starfish_dao.relay.edge.server import serve
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


TICK = os.sysconf("SC_CLK_TCK")
#: the relay's children by role, as started (`python -m <module>`: relay/runtime/child.py)
CHILDREN = {"submitter": "starfish_dao.relay.outbox.process", "verifier": "starfish_dao.relay.served.verifier"}


def _cpu(pid: int) -> float:
    """CPU seconds (user + system) process `pid` has used, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def _attack(port: int, kind: str, stop: Any, counts: Any, bad: bytes) -> None:
    """One attacker connection loop from 127.0.0.2 (its own per-IP budget), until `stop` is set:
    issue 24's hostile inputs, each answered (or cut off) by the relay."""
    import socket

    nested = b"[" * 32768 + b"]" * 32768  # 64 KiB of nested arrays (finding 2)
    requests_ = {
        "nested": b"POST /v1/actions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(nested), nested),
        "bad-signature": b"POST /v1/actions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(bad), bad),
        "oversized": b"POST /v1/actions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 314572800\r\n\r\n",
    }
    while not stop.is_set():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=15, source_address=("127.0.0.2", 0)) as s:
                if kind == "slow-headers":  # a header byte a second until the relay cuts it off
                    s.sendall(b"POST /v1/actions HTTP/1.1\r\n")
                    while not stop.is_set() and s.send(b"X") == 1:
                        time.sleep(1.0)
                        try:
                            if s.recv(1, socket.MSG_DONTWAIT | socket.MSG_PEEK) == b"":
                                break  # cut off: connect again
                        except BlockingIOError:
                            pass  # still open
                    counts[kind] += 1
                    continue
                while not stop.is_set():
                    s.sendall(requests_[kind])
                    answer = s.recv(65536)
                    if not answer:
                        break
                    counts[f"{kind} {answer[9:12].decode()}"] += 1  # by status: refused, or rate-limited
        except (OSError, TimeoutError):
            time.sleep(0.05)


def attacker(port: int, stop: Any, counts: Any, bad: bytes, slow: int = 100) -> list[Any]:
    """Threads in this process (they mostly wait on the relay): two of 64 KiB nested arrays, two of
    bad signatures (a real Join's typed data, the signature's bytes flipped: parsed, recovered,
    refused), one of declared 300 MiB bodies, and `slow` slow-header connections."""
    import threading

    kinds = ["nested", "nested", "bad-signature", "bad-signature", "oversized"] + ["slow-headers"] * slow
    threads = [threading.Thread(target=_attack, args=(port, k, stop, counts, bad), daemon=True) for k in kinds]
    for t in threads:
        t.start()
    return threads


def _attack_process(port: int, stop: Any, out: Any, bad: bytes, slow: int) -> None:
    from collections import Counter

    counts: Counter[str] = Counter()
    threads = attacker(port, stop, counts, bad, slow)
    stop.wait()
    for t in threads:
        t.join(20)
    out.put(dict(counts))


def cpu_by_role(relay_pid: int) -> dict[str, float]:
    """CPU seconds of the relay's accepting process and of its submitter and verifier children."""
    roles = {"accept": _cpu(relay_pid), "submitter": 0.0, "verifier": 0.0}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) != relay_pid:
            continue
        for role, module in CHILDREN.items():
            if f"-m {module}" in cmdline:
                roles[role] += _cpu(int(entry))
    return roles


def _ratio(value: float, baseline: float) -> str:
    """`value / baseline`, or a dash when the baseline used less than one clock tick."""
    return f"{value / baseline:.1f}" if baseline > 0 else "–"


def _wait_http(url: str) -> None:
    for _ in range(600):
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


class Stage:
    """A fresh anvil node and deployment (and optionally a relay) for one measurement: anvil slows
    as its chain grows (each block keeps state in memory), so every figure and its baseline start
    from the same young chain instead of inheriting the previous phase's thousands of blocks."""

    def __init__(self, home: Path, relay: bool, env: dict[str, str] | None = None) -> None:
        self.home = home
        self.env = env or {}
        home.mkdir(parents=True)
        os.environ["STARFISH_HOME"] = str(home)
        self.node = AnvilNode(home / "anvil", persist=False, extra_args=("--prune-history", "256")).start()
        self.relay: subprocess.Popen[bytes] | None = None
        try:
            self.chain = RpcBackend(self.node.url, node=self.node)
            self.dao = deploy_dao(self.chain)
            self.sf = self.dao.sf
            if relay:
                self._start_relay()
        except BaseException:
            self.close()
            raise

    def _start_relay(self) -> None:
        manifest = self.dao.deployment.save(self.home / "deployments")
        relayer = Account.create()
        self.chain.fund(relayer.address, 10_000 * ETHER)
        self.port = free_port()
        env = {**os.environ, "STARFISH_RPC_URL": self.node.url, "STARFISH_RELAY_DEPLOYMENT": str(manifest),
               "STARFISH_RELAY_RELAYER_KEY": relayer.key.hex(),
               "STARFISH_RELAY_RATE_PER_IP": "1000000", "STARFISH_RELAY_GAS_PER_IP_PER_HOUR": str(10**15),
               "STARFISH_RELAY_DB_PATH": str(self.home / "q.sqlite3"), "STARFISH_RELAY_CONFIRMATIONS": "1",
               **self.env}  # fmt: skip
        self.relay = subprocess.Popen([sys.executable, "-m", "starfish_dao.cli", "relay", "--port", str(self.port)],
                                      env=env, stdout=subprocess.DEVNULL,
                                      stderr=(self.home / "relay.log").open("wb"))  # fmt: skip
        _wait_http(f"http://127.0.0.1:{self.port}/v1/info")
        for _ in range(300):  # until its first comparison with the contracts has run
            if requests.get(f"http://127.0.0.1:{self.port}/v1/verification", timeout=5).json().get("ok") is not None:
                break
            time.sleep(0.1)

    def joins(self, n: int) -> list[dict[str, Any]]:
        out = []
        for _ in range(n):
            account = Account.create()
            data = self.sf.typed_data_for("Join", {"member": account.address, "generation": 0, "nonce": 0,
                                                   "deadline": 2**255})  # fmt: skip
            sig = account.sign_message(td.signable(data)).signature
            out.append({"action": "Join", "typedData": data, "signature": "0x" + bytes(sig).hex()})
        return out

    def members(self) -> int:
        return int(self.sf.membership.functions.memberCount().call())

    def wait_members(self, target: int, limit: float = 900) -> None:
        deadline = time.monotonic() + limit
        while self.members() < target:
            if time.monotonic() > deadline:  # what the relay's queue and log say, for whoever reads this
                log = (self.home / "relay.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{target - self.members()} joins not mined after {limit:.0f} s; the queue: "
                                   f"{self.outcomes(limit=0)}; the relay's log ends:\n{log}")  # fmt: skip
            time.sleep(0.02)

    def outcomes(self, limit: float = 60) -> dict[str, int]:
        """The relay's own account of its actions once every one has landed: a relay that pays only
        for what succeeds has no failed row (a failed one cost gas for nothing)."""
        import sqlite3

        deadline = time.monotonic() + limit
        while True:
            db = sqlite3.connect(self.home / "q.sqlite3")
            try:
                counts = dict(db.execute("SELECT status, COUNT(*) FROM actions GROUP BY status").fetchall())
            finally:
                db.close()
            if (not counts.get("accepted") and not counts.get("sent")) or time.monotonic() > deadline:
                return counts
            time.sleep(0.1)

    def close(self) -> None:
        if self.relay is not None and self.relay.poll() is None:
            self.relay.terminate()
            try:
                self.relay.wait(20)
            except subprocess.TimeoutExpired:
                self.relay.kill()
        self.node.stop()


def raw_anvil_rate(stage: Stage, bodies: list[dict[str, Any]], window: int) -> float:
    """The same joinBySig transactions signed by one funded account and sent straight to anvil,
    at most `window` waiting in its pool at once (the relay's max_in_flight); mined per second."""
    sender = Account.create()
    stage.chain.fund(sender.address, 10_000 * ETHER)
    membership = stage.sf.membership
    raws = []
    for nonce, body in enumerate(bodies):
        m = body["typedData"]["message"]
        call = membership.functions.joinBySig(m["member"], m["generation"], m["nonce"], m["deadline"],
                                              bytes.fromhex(body["signature"][2:]))  # fmt: skip
        tx = call.build_transaction({"from": sender.address, "nonce": nonce, "gas": 200_000, "chainId": 31337,
                                     "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9})  # fmt: skip
        raws.append("0x" + bytes(sender.sign_transaction(tx).raw_transaction).hex())
    base = stage.members()
    session = requests.Session()
    sent = 0
    t0 = time.perf_counter()
    while True:
        mined = stage.members() - base
        if mined >= len(raws):
            break
        room = min(len(raws), mined + window) - sent
        if room > 0:
            payload = [{"jsonrpc": "2.0", "id": j, "method": "eth_sendRawTransaction", "params": [r]}
                       for j, r in enumerate(raws[sent : sent + room])]  # fmt: skip
            session.post(stage.node.url, json=payload, timeout=120).raise_for_status()
            sent += room
        else:
            time.sleep(0.002)
    return len(raws) / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000, help="actions for the saturation and end-to-end runs")
    parser.add_argument("--paced", type=int, default=1000, help="actions for the 200/s run")
    parser.add_argument("--clients", type=int, default=2, help="load-generator processes")
    parser.add_argument("--threads", type=int, default=32,
                        help="connections per load-generator process at saturation (enough to keep the relay's "
                             "batches full; the 200/s run uses 8)")  # fmt: skip
    parser.add_argument("--window", type=int, default=64, help="raw baseline: transactions in anvil's pool at once")
    parser.add_argument("--slow", type=int, default=100, help="slow-header connections in the hostile phase")
    parser.add_argument("--keep", action="store_true", help="keep the working directory (chains, logs) at exit")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="starfish-relay-bench-"))
    if args.keep:
        print(f"working directory: {home}", file=sys.stderr)
    else:
        atexit.register(shutil.rmtree, home, True)

    def stage(name: str, relay: bool, env: dict[str, str] | None = None) -> Stage:
        print(f"{name}: a fresh anvil and deployment{' and relay' if relay else ''}...", file=sys.stderr)
        return Stage(home / name, relay, env)

    # baseline 1: a trivial endpoint, served the same way, fed the same bodies
    s = stage("trivial", relay=False)
    try:
        saturate = s.joins(args.n)
        encode = [json.dumps(b).encode() for b in saturate]
        port = free_port()
        trivial = subprocess.Popen([sys.executable, "-c", TRIVIAL, str(port)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            _wait_http(f"http://127.0.0.1:{port}/docs")
            before = _cpu(trivial.pid)
            base = load(port, encode, args.clients, args.threads)
            base["cpu_ms"] = (_cpu(trivial.pid) - before) / len(encode) * 1000
        finally:
            trivial.kill()
    finally:
        s.close()

    landed: dict[str, dict[str, int]] = {}

    def relay_phase(name: str, n: int, threads: int, rate: float = 0.0, env: dict[str, str] | None = None,
                    hostile: bool = False) -> dict[str, Any]:  # fmt: skip
        """`n` Joins on a fresh stage, until all are mined; the load's figures. `hostile`: an attacker
        process sends issue 24's hostile inputs from another address the whole time."""
        s = stage(name, relay=True, env=env)
        try:
            members = s.members()
            bodies = [json.dumps(b).encode() for b in s.joins(n)]
            assert s.relay is not None
            stop, out, attack = mp.Event(), mp.Queue(), None
            if hostile:
                bad = json.loads(bodies[0])
                bad["signature"] = bad["signature"][:4] + ("0" if bad["signature"][4] != "0" else "1") + \
                    bad["signature"][5:]  # fmt: skip
                attack = mp.Process(target=_attack_process,
                                    args=(s.port, stop, out, json.dumps(bad).encode(), args.slow))  # fmt: skip
                attack.start()
                time.sleep(2)  # the attack is under way before the honest load starts
            before = cpu_by_role(s.relay.pid)
            run = load(s.port, bodies, args.clients, threads, rate=rate)
            s.wait_members(members + n)
            after = cpu_by_role(s.relay.pid)
            if attack is not None:
                stop.set()
                run["attack"] = out.get(timeout=60)
                attack.join(30)
            run["cpu_ms"] = {role: (after[role] - before[role]) / n * 1000 for role in after}
            landed[name] = s.outcomes()
            return run
        finally:
            s.close()

    # latency at a steady 200 actions/s (open loop)
    paced_run = relay_phase("paced", args.paced, 8, rate=200.0)
    # the same while the relay compares every served number with the contracts (in its verifier
    # process) every 2.5 s: twelve times its default rate, so that the 5-second window holds two
    verifying = relay_phase("paced-verifying", args.paced, 8, rate=200.0,
                            env={"STARFISH_RELAY_VERIFY_INTERVAL": "2.5"})  # fmt: skip
    # the same 200/s while an attacker sends issue 24's hostile inputs from its own address, under a
    # per-IP rate of 400 JSON writes a second (the default is 200; here every honest action comes
    # from one address at 200/s, so it is doubled for them, and the attacker gets as much)
    hostile = relay_phase("paced-hostile", args.paced, 8, rate=200.0, hostile=True,
                          env={"STARFISH_RELAY_RATE_PER_IP": "400"})  # fmt: skip
    # accepted/s at saturation
    sat = relay_phase("saturation", args.n, args.threads)

    # mined/s end to end: from the first request to the last Joined
    s = stage("end-to-end", relay=True)
    try:
        bodies = [json.dumps(b).encode() for b in s.joins(args.n)]
        members = s.members()
        t0 = time.perf_counter()
        accept_run = load(s.port, bodies, args.clients, args.threads)
        s.wait_members(members + args.n)
        end_to_end = args.n / (time.perf_counter() - t0)
        landed["end-to-end"] = s.outcomes()
    finally:
        s.close()

    # baseline 2: raw anvil taking the same kind of joinBySig transactions from one funded account
    s = stage("raw-anvil", relay=False)
    try:
        anvil_rate = raw_anvil_rate(s, s.joins(args.n), args.window)
    finally:
        s.close()

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
        f"| latency at 200/s offered p50 / p99 ({args.paced:,} Joins, {args.clients} × 8 connections) | "
        f"{ms(paced_run['p50'])} / "
        f"{ms(paced_run['p99'])} | | | p99 ≤ 50 ms |"
    )
    print(
        f"| the same while the relay verifies every 2.5 s (12× its default) | {ms(verifying['p50'])} / "
        f"{ms(verifying['p99'])} | | | |"
    )
    attack = hostile.get("attack", {})
    print(
        f"| the same under attack (p99 at most 3× without): {sum(attack.values()):,} hostile requests answered "
        f"({', '.join(f'{k} {v:,}' for k, v in sorted(attack.items()))}) and {args.slow} slow-header connections | "
        f"{ms(hostile['p50'])} / {ms(hostile['p99'])} | {ms(paced_run['p99'])} (p99 without) | "
        f"{hostile['p99'] / paced_run['p99']:.2f} | ≤ 3× |"
    )
    print(
        f"| mined/s end to end ({args.n:,} Joins, first accept to last mined) | {end_to_end:,.0f} | "
        f"{anvil_rate:,.0f} (raw anvil, same joinBySig) | {end_to_end / anvil_rate:.2f} | ≥ 200/s |"
    )
    print(f"| accepted/s in that run | {accept_run['per_second']:,.0f} | | | |")
    cpu = paced_run["cpu_ms"]
    print(
        f"| CPU per action at 200/s, accepting process (/proc) | {cpu['accept']:.2f} ms | {base['cpu_ms']:.2f} ms "
        f"(trivial endpoint, per request) | {_ratio(cpu['accept'], base['cpu_ms'])} | ≤ 0.8 ms |"
    )
    print(f"| CPU per action at 200/s, submitter process | {cpu['submitter']:.2f} ms | | | ≤ 0.4 ms |")
    print(f"| CPU per action at 200/s, verifier process | {cpu['verifier']:.2f} ms | | | |")
    print(f"| CPU per action at saturation: accept / submitter | {sat['cpu_ms']['accept']:.2f} ms / "
          f"{sat['cpu_ms']['submitter']:.2f} ms | | | |")  # fmt: skip
    print(
        f"statuses: saturation {sat['statuses']}, paced {paced_run['statuses']}, burst {accept_run['statuses']}, "
        f"baseline {base['statuses']}",
        file=sys.stderr,
    )
    print(f"on chain, by the relay's queue (failed = gas paid for nothing): {landed}")


if __name__ == "__main__":
    main()
