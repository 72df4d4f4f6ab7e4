"""The queue's SQLite schema: the table, its indexes, the migrations of a queue written by an older
relay, and the totals kept by triggers (`outbox/queue.py` reads and writes through it)."""

from __future__ import annotations

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
    result TEXT,                  -- what the mined action produced (a contribution's number, a claim's amount)
    block_hash TEXT,              -- the hash of the block it was mined in: a rollback changes or removes it
    final INTEGER NOT NULL DEFAULT 0,   -- 1 once the block is `confirmations` deep
    conflict_key TEXT,            -- actions with the same key are checked against each other
    nonce INTEGER                 -- the signer's nonce in the signed action (reserved while in flight)
);
CREATE INDEX IF NOT EXISTS actions_status ON actions(status, created);
"""
INDEXES = """
CREATE INDEX IF NOT EXISTS actions_conflict ON actions(conflict_key, status);
CREATE INDEX IF NOT EXISTS actions_unfinal ON actions(final, status);
CREATE INDEX IF NOT EXISTS actions_relayer_nonce ON actions(relayer_nonce, status);
"""
LATEST_LANDED = (
    "SELECT relayer_nonce FROM actions WHERE relayer_nonce IS NOT NULL AND +status IN ('mined', 'failed') "
    "ORDER BY relayer_nonce DESC LIMIT 1"
)
RESERVED = "SELECT SUM(json_extract(request, '$._gas')) FROM actions WHERE status IN ('accepted', 'sent')"
# The gas the accepted and sent rows may still cost, kept by triggers in the transaction of every write
# (the accept process's and the submitter's alike), so reading it is one row, not a sum over the
# backlog (12.6 ms at 20,000 accepted rows, read before every batch of chain checks).
_GAS = "COALESCE(json_extract({row}.request, '$._gas'), 0)"
_HELD = "CASE WHEN {row}.status IN ('accepted', 'sent') THEN " + _GAS + " ELSE 0 END"
_OLD, _NEW = _HELD.format(row="OLD"), _HELD.format(row="NEW")
TOTALS = [
    "CREATE TABLE totals (id INTEGER PRIMARY KEY CHECK (id = 1), reserved_gas INTEGER NOT NULL)",
    "CREATE TRIGGER totals_insert AFTER INSERT ON actions BEGIN UPDATE totals SET "
    f"reserved_gas = reserved_gas + {_NEW}; END",
    "CREATE TRIGGER totals_update AFTER UPDATE OF status, request ON actions BEGIN UPDATE totals SET reserved_gas = "
    f"reserved_gas - {_OLD} + {_NEW}; END",
    "CREATE TRIGGER totals_delete AFTER DELETE ON actions BEGIN UPDATE totals SET "
    f"reserved_gas = reserved_gas - {_OLD}; END",
    f"INSERT INTO totals (id, reserved_gas) VALUES (1, COALESCE(({RESERVED}), 0))",  # a queue from before
]
MIGRATIONS = {
    "result": "ALTER TABLE actions ADD COLUMN result TEXT",
    "block_hash": "ALTER TABLE actions ADD COLUMN block_hash TEXT",
    "final": "ALTER TABLE actions ADD COLUMN final INTEGER NOT NULL DEFAULT 0",
    "conflict_key": "ALTER TABLE actions ADD COLUMN conflict_key TEXT",
    "nonce": "ALTER TABLE actions ADD COLUMN nonce INTEGER",
}
COLUMNS = [
    "id", "kind", "request", "signer", "status", "relayer_nonce", "raw_tx", "tx_hash", "block", "gas_used", "error",
    "attempts", "created", "updated", "sent_at", "hashes", "result", "block_hash", "final", "conflict_key", "nonce",
]  # fmt: skip
SELECT = f"SELECT {', '.join(COLUMNS)} FROM actions"
