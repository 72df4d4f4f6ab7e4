"""`/v1/members`: members with their points and claimable amounts, and what waits for each one
(as JSON for the page, and as an Atom feed: `served/atom.py`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from starfish_dao.domain.model import Model
from starfish_dao.domain.reminders import reminders
from starfish_dao.relay.edge.problems import Refusal
from starfish_dao.relay.intake.fields import address_field
from starfish_dao.relay.routes.deps import RelayDep, chain_now, decimal, model_of
from starfish_dao.relay.served.atom import atom_feed

members = APIRouter(prefix="/v1/members", tags=["members"])


def units_of(relay: Any) -> Any:
    """A token's symbol and decimals as its contract states them (read once per token: chain/tokens.py)."""
    from starfish_dao.chain.tokens import stated_units

    return lambda token: stated_units(relay.sf.w3, token)


def _member(m: Model, address: str, now: int) -> dict[str, Any]:
    record = m.members.get(address)
    return {
        "address": address,
        "member": bool(record and record.token_id),
        "tokenId": record.token_id if record else 0,
        "suspended": bool(record and record.suspended),
        "joined": record.joined_at if record and record.token_id else None,
        "points": decimal(m.points_of(address, now)),
        "standing": decimal(m.standing_of(address, now)),
        "claimable": {t: decimal(m.claimable(address, t)) for t in m.all_tokens()},
        "claimed": {t: decimal(m.claimed_by[(address, t)]) for t in m.all_tokens()},
        "reviewPay": _review_pay(m, address, now),
    }


def _review_pay(m: Model, address: str, now: int) -> list[dict[str, Any]]:
    """Each epoch the member opened ratings in: how they scored, whether it closed, what it paid and
    what is left to claim (ClaimReviewPay, anyone may send it)."""
    out = []
    for who, epoch in sorted(m.desks):
        if who != address:
            continue
        d = m.desks[(who, epoch)]
        out.append({
            "epoch": epoch, "revealed": d.revealed, "scored": d.settled, "total": d.total,
            "forfeited": d.forfeited, "closed": m.review_pay_closed(epoch, now),
            "owed": {t: decimal(a) for t in m.all_tokens() if (a := m.review_pay_owed(address, epoch, t))},
            "claimed": {t: decimal(a) for (e, r, t), a in m.review_claims.items() if r == address and e == epoch},
        })  # fmt: skip
    return out


@members.get("", summary="Every member and former member with points and claimable amounts")
def list_members(relay: RelayDep) -> list[dict[str, Any]]:
    now = chain_now(relay)
    with relay.state.lock:
        m = model_of(relay)
        return [_member(m, a, now) for a in m.accounts_seen()]


@members.get("/{address}", summary="One member: points and claimable amounts per token")
def get_member(address: str, relay: RelayDep) -> dict[str, Any]:
    try:
        checksum = address_field(address, "address")
    except Refusal as exc:
        raise exc from None
    now = chain_now(relay)
    with relay.state.lock:
        return _member(model_of(relay), checksum, now)


@members.get(
    "/{address}/review-budget/{contribution_id}",
    summary="What a rating of this contribution by this member may spend when it opens (asked before sealing)",
)
def review_budget(address: str, contribution_id: int, relay: RelayDep) -> dict[str, Any]:
    """The public half of `domain/review_budget.py`: the epoch the rating will open in (the one its
    window closes in), what the member's desk has spent there, the work's effort and opening epoch,
    and the budget of the member's weight on it. The stars the member holds sealed stay with the
    member's client, which adds them up."""
    from starfish_dao.domain.review_budget import budget_of

    member = address_field(address, "address")
    with relay.state.lock:
        m = model_of(relay)
        c = m.contributions.get(contribution_id)
        if c is None:
            raise Refusal(404, "not_found", f"no contribution #{contribution_id}")
        opens_in = m.epoch_at(c.deadline + 1)
        desk = m.desks.get((member, opens_in))
        weight = m.review_weight(member, c)
        return {
            "member": member, "contribution": c.id, "effort": c.effort, "opensInEpoch": opens_in,
            "sealed": member in c.sealed,  # sealed and not opened yet (nor forfeited)
            "deskSpent": decimal(desk.spent if desk else 0), "weight": decimal(weight),
            "budget": decimal(budget_of(weight, m.params.review_budget_bps)),
        }  # fmt: skip


@members.get("/{address}/todo", summary="What waits for one member, as `starfish todo` lists it (JSON, for the page)")
def member_todo(address: str, relay: RelayDep) -> dict[str, Any]:
    member = address_field(address, "address")
    now = chain_now(relay)
    with relay.state.lock:
        items = reminders(relay.state.model, member, now, relay.sf.deployment.addresses, units_of(relay))
    return {"member": member, "chainTime": now, "items": [i.as_json() for i in items]}


@members.get(
    "/{address}/feed.atom",
    summary="What waits for one member (work to review, pay to claim, votes, proposals about them), as Atom",
    response_class=Response,
    responses={200: {"content": {"application/atom+xml": {}}}},
)
def member_feed(address: str, request: Request, relay: RelayDep) -> Response:
    member = address_field(address, "address")
    now = chain_now(relay)
    with relay.state.lock:
        items = reminders(relay.state.model, member, now, relay.sf.deployment.addresses, units_of(relay))
    seen = relay.reminders.first_seen(member, {i.id: now for i in items})
    base = (relay.settings.public_url or str(request.base_url)).rstrip("/")
    body = atom_feed(member, items, seen, now, base, relay.sf.deployment.chain_id)
    return Response(body, media_type="application/atom+xml; charset=utf-8", headers={"Cache-Control": "no-cache"})
