"""The gas anchor table (benchmarks/gas_anchors.py) runs: EAS, OZ 4.9 PaymentSplitter and OZ 5's
ERC2771Forwarder deployed from the pinned npm packages next to Starfish on one anvil."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import gas_anchors


def test_the_anchor_table_is_measured_in_one_run() -> None:
    sizes = [10, 1000, 10000]
    m = gas_anchors.measure(sizes)
    rows = gas_anchors.table(m)
    assert [anchor for _, _, anchor, _ in rows] == [
        "EAS attest",
        "EAS attestByDelegation",
        "PaymentSplitter.release (ETH)",
        *(f"PaymentSplitter receive, {n:,} payees" for n in sizes),
        "ERC2771Forwarder.execute overhead (execute − direct call)",
    ]
    for what, ours, anchor, theirs in rows:
        assert ours > 0 and theirs > 0, (what, anchor)
    # both splitters take a receipt in constant gas, whatever the number of holders
    assert len(set(m["our_receipts"].values())) == 1, m["our_receipts"]
    assert len(set(m["payment_splitter"]["receipts"].values())) == 1, m["payment_splitter"]
    # a relayed action costs more than the direct one, on both sides (the overheads are real)
    assert m["eas"]["attestByDelegation"] > m["eas"]["attest"]
    assert m["forwarder"]["execute"] > m["forwarder"]["direct"]
    text = gas_anchors.render(m)
    assert text.count("\n") == len(rows) + 1
    for what, ours, _, theirs in rows:
        assert f"| {what} | {ours:,} |" in text and f"{ours / theirs:.2f}" in text
