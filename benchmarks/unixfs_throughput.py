"""Throughput of the UnixFS/CID builder next to raw hashlib.sha256 over the same bytes, same run.

    .venv/bin/python benchmarks/unixfs_throughput.py [--mib 256]

Target: the builder (CIDv1, raw leaves) at >= 60 % of hashlib.sha256's throughput.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from starfish_dao.domain.unixfs import add_bytes, add_stream


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=256)
    args = parser.parse_args()
    data = os.urandom(args.mib << 20)
    results = {}
    for label, fn in (
        ("hashlib.sha256", lambda: hashlib.sha256(data).digest()),
        ("builder CIDv1 raw leaves", lambda: add_bytes(data, 1)),
        (
            "builder CIDv1 raw leaves, streamed in 1 MiB reads",
            lambda: add_stream(io.BytesIO(data), 1, read_size=1 << 20),
        ),
        ("builder CIDv0 dag-pb leaves", lambda: add_bytes(data, 0)),
    ):
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t)
        results[label] = best
    base = results["hashlib.sha256"]
    print(f"input: {args.mib} MiB of random bytes, best of 3 runs")
    print("| what | MiB/s | share of hashlib.sha256 |")
    print("|---|---:|---:|")
    for label, seconds in results.items():
        print(f"| {label} | {args.mib / seconds:,.0f} | {base / seconds:.0%} |")
    share = base / results["builder CIDv1 raw leaves"]
    print(f"target >= 60 % of sha256: {'met' if share >= 0.6 else 'MISSED'} ({share:.0%})")


if __name__ == "__main__":
    main()
