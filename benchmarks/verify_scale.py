"""`starfish verify` at scale: 1,000 members, 100,000 contributions, 1,000,000 sealed reviews.

Seeds a dedicated anvil quickly (accounts impersonated, transactions sent unsigned in JSON-RPC
batches: a seeding shortcut only), then runs `starfish verify` in a child process and reports its
wall time and peak memory (max RSS). Targets (issue 25): <= 120 s and <= 1 GiB.

Every member is a founder with 100,000 points, so that each can seal ratings (a rating needs
standing) and rate a thousand pieces of work in an epoch within the review budget; ten ratings of
100,000 points each reach the 1 % quorum, so the work is accepted and awarded. The printed counts
of sealed and opened ratings are what `starfish verify` replayed, not what was sent.

    .venv/bin/python benchmarks/verify_scale.py [--members 1000 --per-member 100 --reviews 10]
"""

from __future__ import annotations

import argparse
import atexit
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
from eth_abi import encode as abi_encode
from eth_account import Account

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from starfish_dao.chain.backends import AnvilNode, RpcBackend
from starfish_dao.chain.client import Starfish
from starfish_dao.chain.deployment import _deploy_one, deploy
from starfish_dao.chain.openings import sealed
from starfish_dao.domain import fastabi as fast
from starfish_dao.domain import typed_data as td
from starfish_dao.domain.charter import DAY, POINT, CharterConfig, Founder, Params
from starfish_dao.domain.commitment import commitment
from starfish_dao.domain.model import seated
from starfish_dao.domain.unixfs import cid_of

ETHER = 10**18
T0 = time.time()


class Sender:
    """Unsigned eth_sendTransaction from impersonated accounts, in JSON-RPC batches."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.trust_env = False
        self.sent = 0
        self.mine_every = 2000  # transactions a block (a batch of BATCH calls is one)
        self.nonces: dict[str, int] = {}

    def send(self, txs: list[dict[str, str]], batch: int = 500) -> None:
        for t in txs:  # explicit nonces: a batch is handled concurrently
            if t["from"] not in self.nonces:
                request = {
                    "jsonrpc": "2.0",
                    "id": 0,
                    "method": "eth_getTransactionCount",
                    "params": [t["from"], "pending"],
                }
                count = self.session.post(self.url, json=request).json()["result"]
                self.nonces[t["from"]] = int(count, 16)
            t["nonce"] = hex(self.nonces[t["from"]])
            self.nonces[t["from"]] += 1
        for start in range(0, len(txs), batch):
            payload = [
                {"jsonrpc": "2.0", "id": i, "method": "eth_sendTransaction", "params": [tx]}
                for i, tx in enumerate(txs[start : start + batch])
            ]
            answers = self.session.post(self.url, json=payload, timeout=600).json()
            if not isinstance(answers, list):
                raise RuntimeError(f"the node refused a batch of {len(payload)} transactions: {answers}")
            errors = [a["error"] for a in answers if "error" in a]
            if errors:
                raise RuntimeError(f"seeding transaction failed: {errors[0]}")
            self.sent += len(payload)
            if self.sent % self.mine_every < batch:  # keep the pool and each block small
                self.drain()
            if self.sent % 10_000 < batch:
                print(f"  sent {self.sent} ({time.time() - T0:.0f} s)", flush=True)

    def drain(self, timeout: float = 600) -> None:
        """Mines everything sent into one block (automine is off while seeding) and waits for it."""
        self.session.post(self.url, json={"jsonrpc": "2.0", "id": 0, "method": "evm_mine", "params": []})
        deadline = time.time() + timeout
        while time.time() < deadline:
            status = self.session.post(
                self.url, json={"jsonrpc": "2.0", "id": 0, "method": "txpool_status", "params": []}
            )
            result = status.json()["result"]
            if int(result["pending"], 16) == 0 and int(result["queued"], 16) == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("the node did not mine the seeding transactions in time")


_SELECTORS: dict[str, bytes] = {}
SEAL_TYPES = ["address", "uint256", "uint8", "bytes32", "bytes32"]  # chain/openings.sealed, encoded fast
EMPTY = fast.keccak(b"")  # the hash of an empty comment
REVEAL = "revealReview(uint256,address,uint8,bytes,bytes32)"
SEAL = "sealReviewBySig(address,uint256,bytes32,uint256,uint256,bytes)"
SUBMIT = "submitBySig(address,bytes,bytes32,uint32,bytes32,uint256,uint256,bytes)"
BATCH = 100  # calls a transaction


def call(signature: str, *args: Any) -> bytes:
    """Calldata for `signature` ("sealReview(uint256,bytes32)") by the relay's encoder (web3's
    `encode_abi` costs ~0.5 ms a call: minutes at a million ratings)."""
    selector = _SELECTORS.get(signature)
    if selector is None:
        selector = _SELECTORS[signature] = fast.keccak(signature.encode())[:4]
    types = signature[signature.index("(") + 1 : -1].split(",") if not signature.endswith("()") else []
    return selector + fast.encode(types, list(args))


def tx(sender: str, to: str, data: bytes, value: int = 0) -> dict[str, str]:
    return {"from": sender, "to": to, "data": "0x" + data.hex(), "gas": hex(30_000_000), "gasPrice": "0x0",
            "value": hex(value)}  # fmt: skip


def sign(key: Any, action: str, domain: bytes, message: dict[str, Any]) -> bytes:
    """A member's EIP-712 signature (r, s, v), by the relay's digest and coincurve directly."""
    raw = key.sign_recoverable(td.digest(action, domain, message), hasher=None)
    return raw[:64] + bytes([raw[64] + 27])


def batches(calls: list[bytes], size: int) -> list[list[bytes]]:
    return [calls[i : i + size] for i in range(0, len(calls), size)]


def seed(chain: RpcBackend, members: int, per_member: int, reviews: int) -> tuple[Starfish, float]:
    """Joins as plain transactions, then everything else through one `Batch` contract, `BATCH` calls
    a transaction: commitments and reveals anyone may send, and each submission and sealed rating
    signed by its member (`submitBySig`, `sealReviewBySig`), as a relay would send them."""
    from coincurve import PrivateKey

    started = time.time()
    admin = Account.create()
    chain.fund(admin.address, 10**6 * ETHER)
    keys = [PrivateKey(hashlib.sha256(b"verify-scale member %d" % i).digest()) for i in range(members)]
    addresses = [fast.checksum("0x" + fast.keccak(k.public_key.format(compressed=False)[1:])[-20:].hex()) for k in keys]
    params = Params(epoch_length=7 * DAY, review_window=DAY, min_reviewers=3, half_life=26, reserve_bps=1000,
                    max_effort=600, max_effort_per_epoch=100_000, min_reviewer_standing=0,
                    quorum_bps=100, panel_size=100)  # fmt: skip
    founders = tuple(Founder(a, 100_000 * POINT) for a in addresses)
    cfg = CharterConfig(params, cid_of(b"charter").bytes, (), founders, admin.address)
    sf = Starfish(chain.w3, deploy(chain.w3, admin, cfg))
    batch, _ = _deploy_one(chain.w3, admin, "Batch")
    domain = bytes(sf.registry.functions.DOMAIN_SEPARATOR().call())
    sender = Sender(str(chain.url))
    chain._dev("evm_setAutomine", [False])  # bulk phases: fill the pool, then mine it as one block
    m, r, s = sf.membership, sf.registry, sf.splitter

    def run(calls: list[bytes], target: str = r.address) -> None:
        sender.mine_every = 100  # 10,000 calls a block: one block's logs are one eth_getLogs answer
        run_ = fast.keccak(b"run(address,bytes[])")[:4]  # bytes[] by eth_abi: once per BATCH calls
        encoded = [run_ + abi_encode(["address", "bytes[]"], [target, part]) for part in batches(calls, BATCH)]
        sender.send([tx(admin.address, batch, data) for data in encoded], batch=5)  # anvil refuses ~2 MB requests
        sender.drain()

    print(f"seeding: {members} joins", flush=True)
    sender.send([tx(a, m.address, call("join()")) for a in addresses])
    sender.drain()
    count = members * per_member
    print(f"seeding: {count} contributions", flush=True)
    commits, submits = [], []
    salt, deadline = b"\x00" * 32, 2**40
    nonces = [0] * members
    for k in range(per_member):
        for i, a in enumerate(addresses):
            data = f"work {i}.{k}".encode()
            cid, content_hash = cid_of(data).bytes, hashlib.sha256(data).digest()
            commits.append(call("commit(bytes32)", commitment(a, content_hash, salt)))
            message = {"author": a, "cid": cid, "contentHash": content_hash, "effort": 60, "salt": salt,
                       "nonce": nonces[i], "deadline": deadline}  # fmt: skip
            submits.append(call(SUBMIT, a, cid, content_hash, 60, salt, nonces[i], deadline,
                                sign(keys[i], "Submit", domain, message)))  # fmt: skip
            nonces[i] += 1
    before = chain.w3.eth.block_number
    for phase in (commits, submits):  # commit-reveal: every commitment is mined before its reveal
        run(phase)
    # who wrote which number: the node orders one block's transactions its own way, not as sent
    index = {a: i for i, a in enumerate(addresses)}
    authors = {int(e["args"]["id"]): index[e["args"]["author"]] for e in sf.logs(before + 1)
               if e["event"] == "Submitted"}  # fmt: skip
    # each contribution's panel, drawn from its block's hash (within 256 blocks of it): about 100
    # members of equal standing each, 1 in 10; its reviewers are the first `reviews` of them after the author
    print(f"seeding: {count} panels drawn", flush=True)
    before = chain.w3.eth.block_number
    run([call("drawPanel(uint256)", i) for i in range(1, count + 1)])
    seeds = {int(e["args"]["id"]): int(e["args"]["seed"]) for e in sf.logs(before + 1) if e["event"] == "PanelDrawn"}
    divisor = int(r.functions.panel(1).call()[2])
    weight = 100_000 * POINT
    print(f"seeding: {count * reviews} sealed reviews (seal, then reveal; signing them)", flush=True)
    seals, reveals = [], []
    rating_salt = b"\x11" * 32
    for cid_id in range(1, count + 1):
        author = authors[cid_id]
        panel = (w for w in ((author + j) % members for j in range(1, members))
                 if seated(seeds[cid_id], cid_id, addresses[w], weight, divisor))  # fmt: skip
        for j, who in zip(range(1, reviews + 1), panel, strict=False):
            reviewer = addresses[who]
            stars = (cid_id + j) % 6
            seal = fast.keccak(fast.encode(SEAL_TYPES, [reviewer, cid_id, stars, EMPTY, rating_salt]))
            if cid_id == 1 and j == 1:  # the fast encoding is the client's own seal
                assert seal == sealed(reviewer, cid_id, stars, b"", rating_salt)
            message = {"reviewer": reviewer, "contribution": cid_id, "sealed": seal, "nonce": nonces[who],
                       "deadline": deadline}  # fmt: skip
            seals.append(call(SEAL, reviewer, cid_id, seal, nonces[who], deadline,
                              sign(keys[who], "SealedReview", domain, message)))  # fmt: skip
            nonces[who] += 1
            reveals.append(call(REVEAL, cid_id, reviewer, stars, b"", rating_salt))
        if cid_id % 20_000 == 0:
            print(f"  signed {cid_id * reviews} ({time.time() - T0:.0f} s)", flush=True)
    run(seals)
    chain.increase_time(DAY + 1)  # evm_increaseTime + evm_mine: the windows close, the ratings open
    run(reveals)
    print(f"seeding: {count} finalizations, revenue and claims", flush=True)
    run([call("finalize(uint256)", i) for i in range(1, count + 1)])
    sender.send([tx(admin.address, s.address, b"", 10 * ETHER) for _ in range(5)])
    sender.drain()
    sender.send([tx(a, s.address, call("claim(address,address)", a, "0x" + "00" * 20)) for a in addresses[:200]])
    sender.drain()
    return sf, time.time() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--per-member", type=int, default=100)
    parser.add_argument("--reviews", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="keep the working directory (chains, logs) at exit")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="starfish-scale-"))
    if args.keep:
        print(f"working directory: {home}", file=sys.stderr)
    else:
        atexit.register(shutil.rmtree, home, True)
    os.environ["STARFISH_HOME"] = str(home)
    node = AnvilNode(
        home / "anvil",
        # the last 2 blocks' states only (anvil keeps a copy of the state per block: ~22 KB per
        # transaction seeded, 10 GB a third of the way); logs, receipts and headers stay, as verify reads them
        extra_args=(
            "--auto-impersonate",
            "--disable-block-gas-limit",
            "--disable-code-size-limit",
            "--prune-history",
            "2",
        ),
        persist=False,
    ).start()
    try:
        chain = RpcBackend(node.url, node=node)
        sf, seeding = seed(chain, args.members, args.per_member, args.reviews)
        manifest = sf.deployment.save(home / "deployments")
        blocks = chain.w3.eth.block_number
        print(f"seeded in {seeding:.0f} s: {blocks} blocks", flush=True)
        started = time.time()
        proc = subprocess.Popen(
            [sys.executable, "-m", "starfish_dao.cli", "verify", "--rpc", node.url, "--manifest", str(manifest),
             "--json"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "STARFISH_HOME": str(home)},
        )  # fmt: skip
        peak_kib = [0]

        def watch() -> None:  # the verify process's own peak (VmHWM), sampled until it exits
            status = Path(f"/proc/{proc.pid}/status")
            while proc.poll() is None:
                try:
                    for line in status.read_text().splitlines():
                        if line.startswith("VmHWM:"):
                            peak_kib[0] = max(peak_kib[0], int(line.split()[1]))
                except OSError:
                    break
                time.sleep(0.2)

        import threading

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        stdout, stderr = proc.communicate()
        watcher.join()
        seconds = time.time() - started
        peak_mib = max(peak_kib[0] / 1024, 0.0)
        if proc.returncode not in (0, 1):
            print(stderr[-3000:])
            raise SystemExit("verify crashed")
        report = json.loads(stdout)
    finally:
        node.stop()
    contributions = args.members * args.per_member
    print()
    print("| what | figure | target |")
    print("|---|---:|---:|")
    kinds = report.get("eventsByKind", {})
    print(f"| members | {args.members:,} | 1,000 |")
    print(f"| contributions | {kinds.get('registry.Submitted', 0):,} of {contributions:,} sent | |")
    print(f"| ratings sealed | {kinds.get('registry.ReviewSealed', 0):,} | |")
    print(f"| ratings opened (sealed reviews) | {kinds.get('registry.Reviewed', 0):,} | 1,000,000 |")
    print(f"| accepted (awarded) | {kinds.get('splitter.PointsAwarded', 0) - args.members:,} | |")
    print(f"| events replayed | {report['events']:,} | |")
    print(f"| checks | {report['checks']['total']:,} ({report['checks']['failed']} failed) | all pass |")
    print(f"| seeding (anvil, a shortcut) | {seeding:,.0f} s | |")
    print(f"| `starfish verify` wall time | {seconds:.1f} s | ≤ 120 s |")
    print(f"| peak memory (max RSS) | {peak_mib:,.0f} MiB | ≤ 1,024 MiB |")
    if not report["ok"]:
        print("failures:", report["failures"][:5])


if __name__ == "__main__":
    main()
