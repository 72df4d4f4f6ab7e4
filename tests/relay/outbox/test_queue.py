"""The queue's per-step reads stay O(log n) however many actions the relay has ever sent: the
submitter runs them several times a second for the life of the relay (at 200,000 mined rows they
took 19–40 ms each, a scan, before the relayer-nonce index)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from starfish_dao.relay.outbox.queue import Queue


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


def test_an_idle_submitter_round_is_one_indexed_query(tmp_path: Path) -> None:
    """`open_from`: whether anything is accepted, sent, unfinal, or landed at or above the chain's
    nonce (a rollback); an idle round asks only this, never scanning the mined rows."""
    path = tmp_path / "q.sqlite3"
    queue = Queue(path)
    db = sqlite3.connect(path)
    rows = ((f"0x{i:064x}", "Join", "{}", "mined", i, i, i, 1) for i in range(20_000))
    db.executemany("INSERT INTO actions (id, kind, request, status, created, updated, relayer_nonce, final) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)  # fmt: skip
    db.execute("ANALYZE")
    db.commit()
    assert not queue.open_from(20_000)  # all final, all below the chain's nonce: idle
    assert queue.open_from(19_999)  # the chain's nonce went back below a landed row: not idle
    db.execute("UPDATE actions SET final = 0 WHERE relayer_nonce = 5")
    db.commit()
    assert queue.open_from(20_000)  # a landed row not yet final
    db.execute("UPDATE actions SET final = 1 WHERE relayer_nonce = 5")
    db.execute("INSERT INTO actions (id, kind, request, status, created, updated) VALUES ('a', 'Join', '{}', "
               "'accepted', 0, 0)")  # fmt: skip
    db.commit()
    db.close()
    assert queue.open_from(20_000)  # an accepted row
    plan = _plan(path, "SELECT EXISTS(SELECT 1 FROM actions WHERE status IN ('accepted', 'sent'))"
                 " OR EXISTS(SELECT 1 FROM actions WHERE final = 0 AND status IN ('mined', 'failed'))"
                 " OR EXISTS(SELECT 1 FROM actions WHERE relayer_nonce >= ? AND +status IN ('mined', 'failed'))",
                 20_000)  # fmt: skip
    assert "SCAN actions" not in plan.replace("USING", ""), plan


def test_the_reserved_gas_kept_by_triggers_is_the_sum_over_the_rows(tmp_path: Path) -> None:
    """`reserved_gas` is read before every batch of chain checks: one row kept by triggers, not a sum
    over the backlog. Whatever moves the rows (inserts, the submitter's status changes, a rollback
    back to sent, a row deleted by hand), it equals the sum; and a queue written before the triggers
    existed starts from its sum."""
    import json
    import random

    from starfish_dao.relay.outbox.rows import NewAction
    from starfish_dao.relay.outbox.schema import RESERVED

    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)  # a queue of an older relay: no totals table
    db.executescript("CREATE TABLE actions (id TEXT PRIMARY KEY, kind TEXT NOT NULL, request TEXT NOT NULL, "
                     "signer TEXT, status TEXT NOT NULL, relayer_nonce INTEGER, raw_tx TEXT, tx_hash TEXT, "
                     "block INTEGER, gas_used INTEGER, error TEXT, attempts INTEGER NOT NULL DEFAULT 0, "
                     "created REAL NOT NULL, updated REAL NOT NULL, sent_at REAL, "
                     "hashes TEXT NOT NULL DEFAULT '[]')")  # fmt: skip
    db.executemany("INSERT INTO actions (id, kind, request, status, created, updated) VALUES (?, 'Join', ?, ?, 0, 0)",
                   [("a", json.dumps({"_gas": 100}), "accepted"), ("b", json.dumps({"_gas": 7}), "sent"),
                    ("c", json.dumps({"_gas": 1000}), "mined")])  # fmt: skip
    db.commit()
    db.close()
    queue = Queue(path)
    assert queue.reserved_gas() == 107

    def summed() -> int:
        return int(sqlite3.connect(path).execute(RESERVED).fetchone()[0] or 0)

    rng = random.Random(7)
    ids: list[str] = []
    for step in range(400):
        move = rng.random()
        if move < 0.4 or not ids:
            batch = [NewAction(f"x{step}-{i}", "Join", {"_gas": rng.randrange(1, 500_000)}, None) for i in range(3)]
            queue.insert_many([*batch, NewAction(ids[0], "Join", {"_gas": 1}, None)] if ids else batch)  # a duplicate
            ids += [b.id for b in batch]
        elif move < 0.9:
            queue.update_many((rng.choice(ids), {"status": rng.choice(["accepted", "sent", "mined", "failed"])})
                              for _ in range(rng.randrange(1, 4)))  # fmt: skip
        else:
            gone = ids.pop(rng.randrange(len(ids)))
            with sqlite3.connect(path) as raw:
                raw.execute("DELETE FROM actions WHERE id = ?", (gone,))
        assert queue.reserved_gas() == summed(), step
    assert summed() > 0


def test_one_read_gives_what_get_and_in_flight_give(tmp_path: Path) -> None:
    """The accept path's single read (`get_with_in_flight`) against the two reads it replaces."""
    from starfish_dao.relay.outbox.rows import NewAction

    queue = Queue(tmp_path / "q.sqlite3")
    rows = [NewAction(f"0x{i:02x}", "Join", {"_gas": i}, "0xs", f"signer:{i % 3}", i) for i in range(12)]
    queue.insert_many(rows)
    queue.update_many([("0x01", {"status": "sent"}), ("0x04", {"status": "mined"}), ("0x07", {"status": "failed"})])
    for action_id in ("0x01", "0x04", "0xff"):
        for key in ("signer:0", "signer:1", "signer:9", None):
            known, flying = queue.get_with_in_flight(action_id, key)
            assert known == queue.get(action_id)
            assert flying == (queue.in_flight(key) if key else [])
    assert [a.id for a in queue.get_with_in_flight("0xff", "signer:1")[1]] == ["0x01", "0x0a"]
