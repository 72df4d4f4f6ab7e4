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
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
from eth_account import Account

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from starfish_dao.chain.backends import AnvilNode, RpcBackend
from starfish_dao.chain.client import Starfish
from starfish_dao.chain.deployment import deploy
from starfish_dao.chain.openings import sealed
from starfish_dao.domain import fastabi as fast
from starfish_dao.domain.charter import DAY, POINT, CharterConfig, Founder, Params
from starfish_dao.domain.commitment import commitment
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
            errors = [a["error"] for a in answers if "error" in a]
            if errors:
                raise RuntimeError(f"seeding transaction failed: {errors[0]}")
            self.sent += len(payload)
            if self.sent % 2000 < batch:  # keep the pool small: mine every ~2,000 transactions
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


def call(signature: str, *args: Any) -> bytes:
    """Calldata for `signature` ("sealReview(uint256,bytes32)") by the relay's encoder (web3's
    `encode_abi` costs ~0.5 ms a call: minutes at a million ratings)."""
    selector = _SELECTORS.get(signature)
    if selector is None:
        selector = _SELECTORS[signature] = fast.keccak(signature.encode())[:4]
    types = signature[signature.index("(") + 1 : -1].split(",") if not signature.endswith("()") else []
    return selector + fast.encode(types, list(args))


def tx(sender: str, to: str, data: bytes, value: int = 0) -> dict[str, str]:
    return {"from": sender, "to": to, "data": "0x" + data.hex(), "gas": hex(600_000), "gasPrice": "0x0",
            "value": hex(value)}  # fmt: skip


def seed(chain: RpcBackend, members: int, per_member: int, reviews: int) -> tuple[Starfish, float]:
    started = time.time()
    admin = Account.create()
    chain.fund(admin.address, 10**6 * ETHER)
    addresses = [chain.w3.to_checksum_address(f"0x{0x5000 + i:040x}") for i in range(members)]
    params = Params(epoch_length=7 * DAY, review_window=DAY, min_reviewers=3, half_life=26, reserve_bps=1000,
                    max_effort=600, max_effort_per_epoch=100_000, min_reviewer_standing=0,
                    quorum_bps=100)  # fmt: skip
    founders = tuple(Founder(a, 100_000 * POINT) for a in addresses)
    cfg = CharterConfig(params, cid_of(b"charter").bytes, (), founders, admin.address)
    sf = Starfish(chain.w3, deploy(chain.w3, admin, cfg))
    sender = Sender(str(chain.url))
    chain._dev("evm_setAutomine", [False])  # bulk phases: fill the pool, then mine it as one block
    m, r, s = sf.membership, sf.registry, sf.splitter
    print(f"seeding: {members} joins", flush=True)
    sender.send([tx(a, m.address, call("join()")) for a in addresses])
    sender.drain()
    print(f"seeding: {members * per_member} contributions", flush=True)
    commits, submits = [], []
    salt = b"\x00" * 32
    for k in range(per_member):
        for i, a in enumerate(addresses):
            data = f"work {i}.{k}".encode()
            cid, content_hash = cid_of(data).bytes, hashlib.sha256(data).digest()
            committed = commitment(a, content_hash, salt)
            commits.append(tx(a, r.address, call("commit(bytes32)", committed)))
            submits.append(tx(a, r.address, call("submit(bytes,bytes32,uint32,bytes32)", cid, content_hash, 60, salt)))
    before = chain.w3.eth.block_number
    for phase in (commits, submits):  # commit-reveal: every commitment is mined before its reveal
        sender.send(phase)
        sender.drain()
    count = members * per_member
    # who wrote which number: the node orders one block's transactions its own way, not as sent
    index = {a: i for i, a in enumerate(addresses)}
    authors = {int(e["args"]["id"]): index[e["args"]["author"]] for e in sf.logs(before + 1)
               if e["event"] == "Submitted"}  # fmt: skip
    print(f"seeding: {count * reviews} sealed reviews (seal, then reveal)", flush=True)
    seals, reveals = [], []
    rating_salt = b"\x11" * 32
    for cid_id in range(1, count + 1):
        author = authors[cid_id]
        for j in range(1, reviews + 1):
            reviewer = addresses[(author + j) % members]
            stars = (cid_id + j) % 6
            seal = fast.keccak(fast.encode(SEAL_TYPES, [reviewer, cid_id, stars, EMPTY, rating_salt]))
            if cid_id == 1 and j == 1:  # the fast encoding is the client's own seal
                assert seal == sealed(reviewer, cid_id, stars, b"", rating_salt)
            seals.append(tx(reviewer, r.address, call("sealReview(uint256,bytes32)", cid_id, seal)))
            opening = [cid_id, reviewer, stars, b"", rating_salt]
            reveals.append(
                tx(admin.address, r.address, call("revealReview(uint256,address,uint8,bytes,bytes32)", *opening))
            )
    sender.send(seals)
    sender.drain()
    chain.increase_time(DAY + 1)  # evm_increaseTime + evm_mine: the windows close, the ratings open
    sender.send(reveals)
    sender.drain()
    print(f"seeding: {count} finalizations, revenue and claims", flush=True)
    sender.send([tx(admin.address, r.address, call("finalize(uint256)", i)) for i in range(1, count + 1)])
    sender.drain()
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
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="starfish-scale-"))
    os.environ["STARFISH_HOME"] = str(home)
    node = AnvilNode(
        home / "anvil", extra_args=("--auto-impersonate", "--disable-block-gas-limit"), persist=False
    ).start()
    try:
        chain = RpcBackend(node.url, node=node)
        sf, seeding = seed(chain, args.members, args.per_member, args.reviews)
        manifest = sf.deployment.save(home / "deployments")
        blocks = chain.w3.eth.block_number
        print(f"seeded in {seeding:.0f} s: {blocks} blocks", flush=True)
        started = time.time()
        proc = subprocess.run(
            [sys.executable, "-m", "starfish_dao.cli", "verify", "--rpc", node.url, "--manifest", str(manifest),
             "--json"],
            capture_output=True, text=True, env={**os.environ, "STARFISH_HOME": str(home)},
        )  # fmt: skip
        seconds = time.time() - started
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        if proc.returncode not in (0, 1):
            print(proc.stderr[-3000:])
            raise SystemExit("verify crashed")
        report = json.loads(proc.stdout)
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
