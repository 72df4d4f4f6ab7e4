"""Is every piece of work retrievable, and do its bytes hash to the CID on-chain?"""

from __future__ import annotations

import hashlib
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


def _content(store: ArtifactStore, subject: str, raw: bytes, content_hash: bytes) -> Check:
    """The artifact's bytes hash (sha256) to the content hash the registry keys it by."""
    cid = CID.from_bytes(raw)
    digest = hashlib.sha256(store.cat(cid)).digest()
    note = f"{cid}: the bytes hash to 0x{digest.hex()}" if digest != content_hash else str(cid)
    return Check(subject, "artifact bytes hash to the content hash", "0x" + digest.hex(), "0x" + content_hash.hex(),
                 "work", note)  # fmt: skip


def check_work(store: ArtifactStore, model: Model, progress: Callable[[int], None] | None = None) -> list[Check]:
    checks: list[Check] = []
    if model.document_cid:
        checks.append(_one(store, "charter", "document retrievable and intact", model.document_cid))
    for c in model.contributions.values():
        subject = f"contribution #{c.id}"
        artifact = _one(store, subject, "artifact retrievable and intact", c.cid)
        checks.append(artifact)
        if artifact.ok:
            checks.append(_content(store, subject, c.cid, c.content_hash))
        for reviewer, _, _, comment in c.reviews:
            if comment:
                checks.append(_one(store, f"contribution #{c.id}", f"comment by {reviewer} intact", comment))
        if progress is not None:
            progress(1)
    return checks
