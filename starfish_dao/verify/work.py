"""Is every piece of work retrievable, and do its bytes hash to the CID on-chain?"""

from __future__ import annotations

from collections.abc import Callable

from starfish_dao.domain.model import Model
from starfish_dao.domain.unixfs import CID
from starfish_dao.ipfs import ArtifactStore
from starfish_dao.verify.state import Check


def _one(store: ArtifactStore, subject: str, what: str, raw: bytes) -> Check:
    try:
        cid = CID.from_bytes(raw)
    except ValueError as exc:
        return Check(subject, what, f"not a CID: {exc}", "ok", "work", "0x" + raw.hex())
    return Check(subject, what, store.status(cid), "ok", "work", str(cid))


def check_work(store: ArtifactStore, model: Model, progress: Callable[[int], None] | None = None) -> list[Check]:
    checks: list[Check] = []
    if model.document_cid:
        checks.append(_one(store, "charter", "document retrievable and intact", model.document_cid))
    for c in model.contributions.values():
        checks.append(_one(store, f"contribution #{c.id}", "artifact retrievable and intact", c.cid))
        for reviewer, _, comment in c.reviews:
            if comment:
                checks.append(_one(store, f"contribution #{c.id}", f"comment by {reviewer} intact", comment))
        if progress is not None:
            progress(1)
    return checks
