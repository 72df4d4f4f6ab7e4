"""The durable queue: an accepted action is on disk (SQLite WAL, fsync) before the relay answers 202.

Rows move accepted -> sent -> mined | failed (`Status`, in `outbox/rows.py`), and a mined or failed
row becomes final once its block is `confirmations` deep. A chain that rolls back (a reorg, a dev
node restarted from an older state) moves rows whose transaction is no longer on chain back to
sent, and the very same signed bytes are broadcast again. Before a transaction is broadcast its raw
bytes and hash are written here, so after a crash the very same transaction is rebroadcast (or
found mined), never a second one: every action is submitted exactly once.

Writes are grouped: the accepted actions of one batch of chain checks share one transaction and
one fsync (`Intake._check_and_store`, the workers of a `runtime.batching.Batcher`), and the submitter
writes a whole round of updates in one transaction.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from starfish_dao.relay.outbox.rows import Action, NewAction, Status
from starfish_dao.relay.outbox.schema import COLUMNS, INDEXES, LATEST_LANDED, MIGRATIONS, SCHEMA, SELECT, TOTALS


class Queue:
    """One SQLite file shared by the accept path, the submitter and the readers. Each caller thread
    gets its own connection (SQLite connections are not shared across threads here)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        db = self._db()
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(SCHEMA)
        columns = {row[1] for row in db.execute("PRAGMA table_info(actions)")}
        for column, ddl in MIGRATIONS.items():
            if column not in columns:  # a queue written by an older relay
                db.execute(ddl)
        db.executescript(INDEXES)
        db.execute("BEGIN IMMEDIATE")  # the table, its triggers and its first sum at once, or not at all
        try:
            if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'totals'").fetchone() is None:
                for statement in TOTALS:
                    db.execute(statement)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=30)
            db.execute("PRAGMA synchronous=FULL")  # fsync the WAL on every commit
            db.execute("PRAGMA busy_timeout=30000")
            self._local.db = db
            with self._all_lock:
                self._all.append(db)
        return db

    def close(self) -> None:
        with self._all_lock:
            for db in self._all:
                with contextlib.suppress(sqlite3.Error):
                    db.close()
            self._all.clear()
        self._local = threading.local()

    @staticmethod
    def _row(row: tuple[Any, ...] | None) -> Action | None:
        if row is None:
            return None
        values = list(row)
        values[2] = json.loads(values[2])
        values[4] = Status(values[4])
        return Action(*values)

    # ------------------------------------------------------------------ writes

    def insert_many(self, rows: list[NewAction]) -> list[bool]:
        """Stores `rows` in one transaction (one fsync); for each, whether it is new."""
        now = time.time()
        db = self._db()
        created: list[bool] = []
        db.execute("BEGIN IMMEDIATE")
        try:
            for r in rows:
                r.created = now
                cur = db.execute(
                    "INSERT OR IGNORE INTO actions (id, kind, request, signer, status, created, updated, conflict_key,"
                    " nonce) VALUES (?, ?, ?, ?, 'accepted', ?, ?, ?, ?)",
                    (r.id, r.kind, json.dumps(r.request, sort_keys=True), r.signer, now, now, r.conflict_key, r.nonce),
                )
                created.append(cur.rowcount == 1)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return created

    def accept(self, action_id: str, kind: str, request: dict[str, Any], signer: str | None) -> tuple[Action, bool]:
        """Stores one action durably; returns it and whether it is new (False: posted before)."""
        (new,) = self.insert_many([NewAction(action_id, kind, request, signer)])
        action = self.get(action_id)
        assert action is not None
        return action, new

    def update(self, action_id: str, **fields: Any) -> None:
        self.update_many([(action_id, fields)])

    def update_many(self, changes: Iterable[tuple[str, dict[str, Any]]]) -> None:
        """Applies every change in one transaction (one fsync)."""
        changes = list(changes)
        if not changes:
            return
        now = time.time()
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            for action_id, fields in changes:
                fields = {**fields, "updated": now}
                columns = ", ".join(f"{k} = ?" for k in fields)
                db.execute(f"UPDATE actions SET {columns} WHERE id = ?", (*fields.values(), action_id))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    # ------------------------------------------------------------------ reads

    def _actions(self, where: str, params: tuple[Any, ...]) -> list[Action]:
        rows = self._db().execute(f"{SELECT} WHERE {where}", params).fetchall()
        return [a for a in (self._row(r) for r in rows) if a is not None]

    def get(self, action_id: str) -> Action | None:
        return self._row(self._db().execute(f"{SELECT} WHERE id = ?", (action_id,)).fetchone())

    def by_status(self, *statuses: str, limit: int = 500) -> list[Action]:
        marks = ",".join("?" for _ in statuses)
        return self._actions(f"status IN ({marks}) ORDER BY created, id LIMIT ?", (*statuses, limit))

    def get_with_in_flight(self, action_id: str, conflict_key: str | None) -> tuple[Action | None, list[Action]]:
        """`get(action_id)` and `in_flight(conflict_key)` in one read (the accept path asks both of
        every action: one statement, one read transaction of the WAL, not two)."""
        rows = (
            self._db()
            .execute(
                f"SELECT 0 AS part, {', '.join(COLUMNS)} FROM actions WHERE id = ? UNION ALL "
                f"SELECT 1 AS part, {', '.join(COLUMNS)} FROM actions WHERE conflict_key = ? "
                "AND status IN ('accepted', 'sent') ORDER BY part, created, id",
                (action_id, conflict_key),
            )
            .fetchall()
        )
        known = [a for a in (self._row(r[1:]) for r in rows if r[0] == 0) if a is not None]
        flying = [a for a in (self._row(r[1:]) for r in rows if r[0] == 1) if a is not None]
        return (known[0] if known else None), flying

    def in_flight(self, conflict_key: str) -> list[Action]:
        """Accepted or sent actions with this conflict key, oldest first."""
        return self._actions(
            "conflict_key = ? AND status IN ('accepted', 'sent') ORDER BY created, id", (conflict_key,)
        )

    def carrying(self, conflict_keys: Iterable[str]) -> list[Action]:
        """Sent actions, and mined ones not yet final, with any of these conflict keys: what the relay
        carries for them (a mined one may still be rolled back, and is then sent again)."""
        keys = sorted(set(conflict_keys))
        if not keys:
            return []
        marks = ",".join("?" for _ in keys)
        return self._actions(f"conflict_key IN ({marks}) AND (status = 'sent' OR (status = 'mined' AND final = 0)) "
                             "ORDER BY created, id", tuple(keys))  # fmt: skip

    def in_flight_of_kind(self, kind: str) -> list[Action]:
        """Accepted or sent actions of one kind, oldest first."""
        return self._actions("status IN ('accepted', 'sent') AND kind = ? ORDER BY created, id", (kind,))

    def unfinal(self, limit: int = 5000) -> list[Action]:
        """Mined or failed actions whose block is not yet deep enough to be final."""
        return self._actions("final = 0 AND status IN ('mined', 'failed') ORDER BY relayer_nonce LIMIT ?", (limit,))

    def landed_from(self, relayer_nonce: int) -> list[Action]:
        """Mined or failed actions (final or not) whose relayer nonce is at least `relayer_nonce`."""
        # `+status`: walk the relayer-nonce index from the chain's nonce up (the status index would
        # visit every mined row the relay ever sent)
        return self._actions("relayer_nonce >= ? AND +status IN ('mined', 'failed') ORDER BY relayer_nonce",
                             (relayer_nonce,))  # fmt: skip

    def sent_below(self, relayer_nonce: int) -> list[Action]:
        """Sent actions whose relayer nonce the chain has used (mined, by this action or another)."""
        return self._actions("status = 'sent' AND relayer_nonce < ? ORDER BY relayer_nonce", (relayer_nonce,))

    def sent_from(self, relayer_nonce: int, limit: int = -1) -> list[Action]:
        """Sent actions not yet mined, from `relayer_nonce` up, in nonce order (at most `limit`)."""
        return self._actions("status = 'sent' AND relayer_nonce >= ? ORDER BY relayer_nonce LIMIT ?",
                             (relayer_nonce, limit))  # fmt: skip

    def open_from(self, relayer_nonce: int) -> bool:
        """Whether the submitter has anything to follow: an accepted or sent action, a landed one not
        yet final, or a landed one whose relayer nonce is at least `relayer_nonce` (the chain's: it
        is no longer on chain). One query, each part on an index (an idle round reads no rows)."""
        row = (
            self._db()
            .execute(
                "SELECT EXISTS(SELECT 1 FROM actions WHERE status IN ('accepted', 'sent'))"
                " OR EXISTS(SELECT 1 FROM actions WHERE final = 0 AND status IN ('mined', 'failed'))"
                " OR EXISTS(SELECT 1 FROM actions WHERE relayer_nonce >= ? AND +status IN ('mined', 'failed'))",
                (relayer_nonce,),
            )
            .fetchone()
        )
        return bool(row[0])

    def max_sent_nonce(self) -> int | None:
        row = self._db().execute("SELECT MAX(relayer_nonce) FROM actions WHERE status = 'sent'").fetchone()
        return None if row[0] is None else int(row[0])

    def reserved_gas(self) -> int:
        """The gas the accepted and sent actions may still cost (each row's `_gas`, its gas limit):
        one row, kept by the queue's triggers (`TOTALS`)."""
        row = self._db().execute("SELECT reserved_gas FROM totals WHERE id = 1").fetchone()
        return int(row[0])

    def counts(self) -> dict[str, int]:
        rows = self._db().execute("SELECT status, COUNT(*) FROM actions GROUP BY status").fetchall()
        return {status: count for status, count in rows}

    def max_relayer_nonce(self) -> int | None:
        row = self._db().execute("SELECT MAX(relayer_nonce) FROM actions").fetchone()
        return None if row[0] is None else int(row[0])

    def max_landed_nonce(self) -> int | None:
        row = self._db().execute(LATEST_LANDED).fetchone()
        return None if row is None else int(row[0])
