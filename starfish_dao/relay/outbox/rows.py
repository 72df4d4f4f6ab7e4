"""An action as the queue holds it: its status, and its row.

A row moves accepted -> sent -> mined | failed, and a mined or failed row becomes final once its
block is `confirmations` deep (a rollback moves it back to sent). "Accepted" here is the queue's
word for on disk and not yet signed, not a contribution's accepted review.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """Where a queued action is. The values are what the queue's rows and the API say."""

    ACCEPTED = "accepted"  # on disk, answered 202; not yet signed
    SENT = "sent"  # signed and broadcast (its bytes written first); not yet mined
    MINED = "mined"  # in a block and succeeded
    FAILED = "failed"  # in a block and reverted, or not sent, with why


IN_FLIGHT = (Status.ACCEPTED, Status.SENT)


@dataclass
class Action:
    id: str
    kind: str
    request: dict[str, Any]
    signer: str | None
    status: Status
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
    block_hash: str | None = None
    final: int = 0
    conflict_key: str | None = None
    nonce: int | None = None

    @property
    def all_hashes(self) -> list[str]:
        return list(json.loads(self.hashes))

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "action": self.kind,
            "signer": self.signer,
            "status": self.status,
            "final": bool(self.final),
            "txHash": self.tx_hash,
            "block": self.block,
            "blockHash": self.block_hash,
            "gasUsed": self.gas_used,
            "error": json.loads(self.error) if self.error else None,
            "result": json.loads(self.result) if self.result else None,
            "created": self.created,
            "updated": self.updated,
        }


@dataclass
class NewAction:
    id: str
    kind: str
    request: dict[str, Any]
    signer: str | None
    conflict_key: str | None = None
    nonce: int | None = None
    created: float = 0.0  # set by `Queue.insert_many` when it stores the row

    def stored(self) -> Action:
        """The row `insert_many` wrote for this action, without reading it back (the accept path
        answers with it; a row that existed before is read, it may have moved on)."""
        return Action(self.id, self.kind, self.request, self.signer, Status.ACCEPTED, None, None, None, None, None,
                      None, 0, self.created, self.created, None, conflict_key=self.conflict_key,
                      nonce=self.nonce)  # fmt: skip
