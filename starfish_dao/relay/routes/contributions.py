"""`/v1/contributions`: contributions with their reviews and status, and whether an artifact's bytes
are the work its author claimed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from starfish_dao.domain.model import RATING_REVEAL_WINDOW
from starfish_dao.domain.unixfs import cid_text
from starfish_dao.relay.edge.problems import Refusal
from starfish_dao.relay.routes.deps import RelayDep, decimal, model_of

contributions = APIRouter(prefix="/v1/contributions", tags=["contributions"])


def _contribution(c: Any) -> dict[str, Any]:
    return {
        "id": c.id, "author": c.author, "cid": cid_text(c.cid), "cidHex": "0x" + c.cid.hex(),
        "contentHash": "0x" + c.content_hash.hex(), "effort": c.effort, "epoch": c.epoch,
        "reviewDeadline": c.deadline, "status": c.status, "histogram": c.histogram,
        "weights": [decimal(w) for w in c.weights], "weight": decimal(c.weight),
        "quorumWeight": decimal(c.quorum_weight),
        "minReviewers": c.min_reviewers, "snapshot": c.snapshot, "epochSnapshot": c.epoch_snapshot,
        "median": c.median if c.status == "accepted" else None, "points": decimal(c.points),
        "reviews": [{"reviewer": r, "stars": s, "weight": decimal(w), "commentCid": cid_text(cc),
                     "commentCidHex": "0x" + cc.hex()} for r, s, w, cc in c.reviews],
        "supersededBy": c.superseded_by or None,
        # sealed ratings: who sealed one and has not opened it (the stars stay hidden until then)
        "sealedBy": list(c.sealed), "sealedReviews": c.sealed_count,
        "revealDeadline": c.deadline + RATING_REVEAL_WINDOW,
        # who may rate it: drawn by standing from block drawBlock's hash (seed 0 until drawn; divisor
        # 1: everyone with standing sits), see ContributionRegistry.panel
        "panel": {"drawBlock": c.draw_block, "seed": decimal(c.seed), "divisor": decimal(c.divisor)},
    }  # fmt: skip


@contributions.get("", summary="Contributions with their reviews and status")
def list_contributions(relay: RelayDep, offset: int = 0, limit: int = 100) -> list[dict[str, Any]]:
    if offset < 0 or not 1 <= limit <= 1000:
        raise Refusal(400, "malformed", "offset >= 0 and 1 <= limit <= 1000")
    with relay.state.lock:
        items = list(model_of(relay).contributions.values())[offset : offset + limit]
        return [_contribution(c) for c in items]


@contributions.get("/{contribution_id}/content", summary="Are the artifact's bytes the work its author claimed?")
def get_contribution_content(contribution_id: int, relay: RelayDep) -> dict[str, str]:
    """Fetches the artifact from the relay's IPFS node and compares the sha256 of its bytes with the
    declared content hash (a dag-pb CID does not state it; the registry checks raw CIDs itself).
    `verdict` is match, mismatch or unavailable; `message` is one sentence for a person."""
    from starfish_dao.ipfs.content import check_content

    with relay.state.lock:
        c = model_of(relay).contributions.get(contribution_id)
        if c is None:
            raise Refusal(404, "not_found", f"no contribution #{contribution_id}")
        cid, content_hash = c.cid, c.content_hash
    # a final verdict (match or mismatch) per contribution, kept on the relay: its bytes never change
    checked: dict[int, Any] = relay.__dict__.setdefault("content_checks", {})
    check = checked.get(contribution_id)
    if check is None:
        check = check_content(relay.store, cid, content_hash)  # a sync route: FastAPI runs it off the loop
        if check.verdict != "unavailable":
            checked[contribution_id] = check
    return dict(check.as_json())


@contributions.get("/{contribution_id}", summary="One contribution")
def get_contribution(contribution_id: int, relay: RelayDep) -> dict[str, Any]:
    with relay.state.lock:
        c = model_of(relay).contributions.get(contribution_id)
        if c is None:
            raise Refusal(404, "not_found", f"no contribution #{contribution_id}")
        return _contribution(c)
