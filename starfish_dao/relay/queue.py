"""The durable queue: an accepted action is on disk (SQLite WAL, fsync) before the relay answers 202.

Rows move accepted -> sent -> mined | failed. Before a transaction is broadcast its raw bytes and
hash are written here, so after a crash the very same transaction is rebroadcast (or found mined),
never a second one: every action is submitted exactly once.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS actions (
    id TEXT PRIMARY KEY,          -- sha256 of the canonical request: posting twice gives the same id
    kind TEXT NOT NULL,
    request TEXT NOT NULL,        -- the canonical JSON of the request
    signer TEXT,
    status TEXT NOT NULL,         -- accepted | sent | mined | failed
    relayer_nonce INTEGER,
    raw_tx TEXT,
    tx_hash TEXT,
    block INTEGER,
    gas_used INTEGER,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    sent_at REAL,
    hashes TEXT NOT NULL DEFAULT '[]',  -- every hash signed for this action (replacements included)
    result TEXT                   -- what the mined action produced (a contribution's number, a claim's amount)
);
CREATE INDEX IF NOT EXISTS actions_status ON actions(status, created);
"""


@dataclass
class Action:
    id: str
    kind: str
    request: dict[str, Any]
    signer: str | None
    status: str
    relayer_nonce: int | None
    raw_tx: str | None
    tx_hash: str | None
    block: int | None
    gas_used: int | None
    error: str | None
    attempts: int
    created: float
    updated: float
    sent_at: float | None
    hashes: str = "[]"
    result: str | None = None

    @property
    def all_hashes(self) -> list[str]:
        return list(json.loads(self.hashes))

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "action": self.kind,
            "signer": self.signer,
            "status": self.status,
            "txHash": self.tx_hash,
            "block": self.block,
            "gasUsed": self.gas_used,
            "error": json.loads(self.error) if self.error else None,
            "result": json.loads(self.result) if self.result else None,
            "created": self.created,
            "updated": self.updated,
        }


class Queue:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # fsync the WAL on every commit
        self._db.executescript(SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(actions)")}
        if "result" not in columns:  # a queue written by an older relay
            self._db.execute("ALTER TABLE actions ADD COLUMN result TEXT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _row(self, row: tuple[Any, ...] | None) -> Action | None:
        if row is None:
            return None
        values = list(row)
        values[2] = json.loads(values[2])
        return Action(*values)

    def accept(self, action_id: str, kind: str, request: dict[str, Any], signer: str | None) -> tuple[Action, bool]:
        """Stores the action durably; returns it and whether it is new (False: posted before)."""
        now = time.time()
        with self._lock:
            cur = self._db.execute(
                "INSERT OR IGNORE INTO actions (id, kind, request, signer, status, created, updated) "
                "VALUES (?, ?, ?, ?, 'accepted', ?, ?)",
                (action_id, kind, json.dumps(request, sort_keys=True), signer, now, now),
            )
            new = cur.rowcount == 1
        action = self.get(action_id)
        assert action is not None
        return action, new

    def get(self, action_id: str) -> Action | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM actions WHERE id = ?", (action_id,)).fetchone()
        return self._row(row)

    def by_status(self, *statuses: str, limit: int = 500) -> list[Action]:
        marks = ",".join("?" for _ in statuses)
        with self._lock:
            rows = self._db.execute(
                f"SELECT * FROM actions WHERE status IN ({marks}) ORDER BY created, id LIMIT ?",
                (*statuses, limit),
            ).fetchall()
        return [a for a in (self._row(r) for r in rows) if a is not None]

    def update(self, action_id: str, **fields: Any) -> None:
        fields["updated"] = time.time()
        columns = ", ".join(f"{k} = ?" for k in fields)
        with self._lock:
            self._db.execute(f"UPDATE actions SET {columns} WHERE id = ?", (*fields.values(), action_id))

    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT status, COUNT(*) FROM actions GROUP BY status").fetchall()
        return {status: count for status, count in rows}

    def max_relayer_nonce(self) -> int | None:
        with self._lock:
            row = self._db.execute("SELECT MAX(relayer_nonce) FROM actions").fetchone()
        return None if row[0] is None else int(row[0])
