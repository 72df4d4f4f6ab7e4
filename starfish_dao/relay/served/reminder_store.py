"""The reminders' memory, in SQLite beside the relay's queue (`reminders.sqlite3`): when each item
was first seen (the Atom feed's dates), and an outbox of deliveries per webhook (its table is
`outbox`; the relay's actions wait elsewhere, in `relay/outbox/`). An item is written
to the outbox before any attempt to send it and marked sent only after the receiver said 2xx, so a
receiver that is down, or a relay restart, loses nothing and a delivered item is not sent again."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS seen (
    member TEXT NOT NULL, item TEXT NOT NULL, first_seen INTEGER NOT NULL,
    PRIMARY KEY (member, item)
);
CREATE TABLE IF NOT EXISTS outbox (
    hook TEXT NOT NULL, member TEXT NOT NULL, item TEXT NOT NULL,
    body TEXT NOT NULL,             -- the reminder as first queued (JSON): what is sent, even after a restart
    state TEXT NOT NULL,            -- pending, sent, or withdrawn (no longer true before it could be sent)
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL,          -- time.time() of the next attempt
    last_error TEXT,
    created REAL NOT NULL,
    sent_at REAL,
    PRIMARY KEY (hook, member, item)
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, next_at);
CREATE TABLE IF NOT EXISTS member_hooks (
    member TEXT PRIMARY KEY,        -- a member's own webhook (served/member_hooks.py); url '' = removed
    kind TEXT NOT NULL, url TEXT NOT NULL, secret TEXT,
    issued_at INTEGER NOT NULL,     -- of the signed message in force: an older or equal one is refused
    signature TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class MemberHook:
    member: str
    kind: str
    url: str
    secret: str | None


@dataclass(frozen=True)
class Delivery:
    hook: str
    member: str
    item: str
    body: dict[str, Any]
    attempts: int


class ReminderStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def first_seen(self, member: str, items: dict[str, int]) -> dict[str, int]:
        """Records `items` (id -> the chain time they are seen at) unless known; answers when each
        was first seen."""
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR IGNORE INTO seen (member, item, first_seen) VALUES (?, ?, ?)",
                                 [(member, i, t) for i, t in items.items()])  # fmt: skip
            rows = self._db.execute("SELECT item, first_seen FROM seen WHERE member = ?", (member,)).fetchall()
            self._db.execute("COMMIT")
        return {item: int(at) for item, at in rows if item in items}

    def offer(self, hook: str, member: str, items: dict[str, dict[str, Any]]) -> int:
        """Queues each item not queued for this hook before; withdraws the pending ones of this member
        that are no longer true (reviewed, voted, claimed, superseded). Answers how many were new."""
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            before = self._db.total_changes
            self._db.executemany(
                "INSERT OR IGNORE INTO outbox (hook, member, item, body, state, next_at, created) "
                "VALUES (?, ?, ?, ?, 'pending', ?, ?)",
                [(hook, member, i, json.dumps(body, sort_keys=True), now, now) for i, body in items.items()],
            )
            new = self._db.total_changes - before
            pending = self._db.execute(
                "SELECT item FROM outbox WHERE hook = ? AND member = ? AND state = 'pending'", (hook, member)
            ).fetchall()
            gone = [(hook, member, i) for (i,) in pending if i not in items]
            self._db.executemany(
                "UPDATE outbox SET state = 'withdrawn' WHERE hook = ? AND member = ? AND item = ?", gone
            )
            self._db.execute("COMMIT")
        return new

    def due(self, limit: int = 100) -> list[Delivery]:
        with self._lock:
            rows = self._db.execute(
                "SELECT hook, member, item, body, attempts FROM outbox WHERE state = 'pending' AND next_at <= ? "
                "ORDER BY created, rowid LIMIT ?", (time.time(), limit),
            ).fetchall()  # fmt: skip
        return [Delivery(h, m, i, json.loads(b), a) for h, m, i, b, a in rows]

    def sent(self, d: Delivery) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE outbox SET state = 'sent', sent_at = ?, attempts = attempts + 1, last_error = NULL "
                "WHERE hook = ? AND member = ? AND item = ?", (time.time(), d.hook, d.member, d.item),
            )  # fmt: skip

    def failed(self, d: Delivery, error: str, retry_in: float) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_at = ? "
                "WHERE hook = ? AND member = ? AND item = ?",
                (error[:500], time.time() + retry_in, d.hook, d.member, d.item),
            )

    def set_member_hook(
        self, member: str, kind: str, url: str, secret: str | None, issued_at: int, signature: str
    ) -> bool:
        """Keeps the member's webhook unless one issued at the same time or later is in force."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            row = self._db.execute("SELECT issued_at FROM member_hooks WHERE member = ?", (member,)).fetchone()
            newer = row is None or issued_at > int(row[0])
            if newer:
                self._db.execute(
                    "INSERT OR REPLACE INTO member_hooks (member, kind, url, secret, issued_at, signature) "
                    "VALUES (?, ?, ?, ?, ?, ?)", (member, kind, url, secret, issued_at, signature),
                )  # fmt: skip
            self._db.execute("COMMIT")
        return newer

    def member_hooks(self) -> list[MemberHook]:
        """Every member's webhook in force (removed ones are not)."""
        with self._lock:
            rows = self._db.execute("SELECT member, kind, url, secret FROM member_hooks WHERE url != ''").fetchall()
        return [MemberHook(m, k, u, s) for m, k, u, s in rows]

    def counts(self) -> dict[str, dict[str, int]]:
        """Per hook: how many items are pending, sent, withdrawn (for /v1/info and the logs)."""
        out: dict[str, dict[str, int]] = {}
        with self._lock:
            for hook, state, n in self._db.execute("SELECT hook, state, COUNT(*) FROM outbox GROUP BY hook, state"):
                out.setdefault(hook, {})[state] = int(n)
        return out
