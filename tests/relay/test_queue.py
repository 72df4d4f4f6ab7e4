"""The queue's per-step reads stay O(log n) however many actions the relay has ever sent: the
submitter runs them several times a second for the life of the relay (at 200,000 mined rows they
took 19–40 ms each, a scan, before the relayer-nonce index)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from starfish_dao.relay.queue import Queue


def _plan(path: Path, sql: str, *args: object) -> str:
    db = sqlite3.connect(path)
    try:
        return " | ".join(str(row[-1]) for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", args))
    finally:
        db.close()


def test_the_submitters_reads_use_the_relayer_nonce_index(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    queue = Queue(path)
    db = sqlite3.connect(path)
    rows = ((f"0x{i:064x}", "Join", "{}", "mined", i, i, i) for i in range(20_000))
    db.executemany("INSERT INTO actions (id, kind, request, status, created, updated, relayer_nonce) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)  # fmt: skip
    db.execute("ANALYZE")
    db.commit()
    db.close()
    assert queue.max_relayer_nonce() == 19_999
    assert queue.max_landed_nonce() == 19_999
    assert [a.relayer_nonce for a in queue.landed_from(19_997)] == [19_997, 19_998, 19_999]
    # the plans: a search on the relayer-nonce index, never a scan of the table or of the status index
    for sql, args in (
        ("SELECT id FROM actions WHERE relayer_nonce >= ? AND +status IN ('mined', 'failed') ORDER BY relayer_nonce",
         (19_997,)),
        ("SELECT relayer_nonce FROM actions WHERE relayer_nonce IS NOT NULL AND +status IN ('mined', 'failed') "
         "ORDER BY relayer_nonce DESC LIMIT 1", ()),
        ("SELECT MAX(relayer_nonce) FROM actions", ()),
    ):  # fmt: skip
        plan = _plan(path, sql, *args)
        assert "actions_relayer_nonce" in plan and "SCAN actions" not in plan.replace("USING", ""), plan
