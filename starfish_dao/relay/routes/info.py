"""`/v1`: the relay's and the community's facts (addresses, chain, charter), and the reads the page
needs beyond the other routers': the last verification, proposals, a member's history, contract
errors in plain words, an artifact's bytes and the charter document."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from starfish_dao.domain.charter import PARAMETER_KEYS
from starfish_dao.domain.charter_units import KINDS, describe
from starfish_dao.domain.errors import IPFSError
from starfish_dao.domain.unixfs import CID
from starfish_dao.relay.edge.problems import Refusal, contract_sentence
from starfish_dao.relay.intake.fields import address_field
from starfish_dao.relay.routes.deps import RelayDep, chain_now, decimal, model_of
from starfish_dao.verify.governance import said_calls

info = APIRouter(prefix="/v1", tags=["info"])


@info.get("/info", summary="Addresses, chain, charter and its document CID")
def get_info(relay: RelayDep) -> dict[str, Any]:
    d = relay.sf.deployment
    health = relay.health()
    with relay.state.lock:
        m = model_of(relay)
        params = {key: str(m.params.value(p)) for key, p in PARAMETER_KEYS.items()}
        doc = m.document_cid
        tokens = m.all_tokens()
    return {
        "chainId": d.chain_id,
        "contracts": d.addresses,
        "deployBlock": d.deploy_block,
        "relayer": relay.account.address,
        "charter": {
            "parameters": params,
            "shown": {k: describe(KINDS[k], int(v)) for k, v in params.items()},  # in people's units
            "ids": {k: int(p) for k, p in PARAMETER_KEYS.items()},  # ParameterChanged names its parameter by these
            "documentCid": "0x" + doc.hex(),
            "revenueTokens": tokens,
        },
        "keepers": relay.keepers.stated(),  # finalize, and ETH claims swept above claimAboveWei
        "indexedBlock": relay.state.block,
        "chainTime": relay.state.head_time,  # as last read (a request never waits on the node)
        "healthy": all(health.values()),
        "parts": health,  # each part: working, and running if it runs on its own
    }


@info.get("/verification", summary="The last comparison of every served number with the contracts")
def verification(relay: RelayDep) -> dict[str, Any]:
    state = relay.state
    age = time.monotonic() - state.verified_at if state.verified_at else None
    # a check that has not run for three intervals (chain unreachable, check failing) is stale
    stale = age is None or age > 3 * state.verify_interval
    return {**state.verification, "interval": state.verify_interval, "indexedBlock": state.block,
            "age": None if age is None else round(age, 1), "stale": stale}  # fmt: skip


@info.get("/proposals", summary="Proposals: state, votes, quorum and what each call does")
def proposals(relay: RelayDep) -> list[dict[str, Any]]:
    from starfish_dao.verify.governance import proposal_calls

    now = chain_now(relay)
    with relay.state.lock:
        m = model_of(relay)
        out = []
        for pid, p in m.proposals.items():
            out.append({
                "id": str(pid), "proposer": p.proposer, "title": p.description.split("\n")[0],
                "description": p.description, "state": m.proposal_state(pid, now),
                "for": decimal(p.votes[1]), "against": decimal(p.votes[0]), "abstain": decimal(p.votes[2]),
                "quorum": decimal(m.quorum_at(p.vote_start)) if p.vote_start < now else None,
                "voteStart": p.vote_start, "voteEnd": p.vote_end, "eta": p.eta or None,
                "voters": [{"voter": v, "support": s, "weight": decimal(w), "reason": r}
                           for v, (s, w, r) in p.voters.items()],
                "calls": proposal_calls(relay.sf, p.targets, p.calldatas, p.values),
                "said": said_calls(relay.sf, p.targets, p.calldatas, p.values),
            })  # fmt: skip
    return out


@info.get("/members/{address}/history", summary="One member's contributions, reviews and payouts")
def member_history(address: str, relay: RelayDep) -> dict[str, Any]:
    who = address_field(address, "address")
    with relay.state.lock:
        m = model_of(relay)
        record = m.members.get(who)
        contributions = [
            {"id": c.id, "effort": c.effort, "status": c.status, "points": decimal(c.points),
             "submitted": c.submitted_at}
            for c in m.contributions.values() if c.author == who
        ]  # fmt: skip
        reviews = [
            {"contribution": c.id, "stars": s, "weight": decimal(w)}
            for c in m.contributions.values() for r, s, w, _ in c.reviews if r == who
        ]  # fmt: skip
        paid = {t: decimal(m.claimed_by[(who, t)]) for t in m.all_tokens()}
    return {
        "address": who,
        "joined": record.joined_at if record else None,
        "left": record.left_at if record else None,
        "contributions": contributions,
        "reviews": reviews,
        "claimed": paid,
    }


@info.post("/decode-revert", summary="Names the contract error in revert data (for transactions sent by wallets)")
def decode_revert(body: dict[str, Any], relay: RelayDep) -> dict[str, Any]:
    from starfish_dao.chain.errors import decode_revert as decode

    data = body.get("data")
    if not isinstance(data, str) or not data.startswith("0x") or len(data) > 2 + 2 * 4096:
        raise Refusal(400, "malformed", "data must be 0x-prefixed hex, at most 4096 bytes")
    try:
        bytes.fromhex(data[2:])
    except ValueError:
        raise Refusal(400, "malformed", "data is not hex") from None
    revert = decode(data)
    args = {k: str(v) for k, v in revert.error_args.items()}
    # `message` is the CLI's sentence for it (one table: starfish_dao/cli/errors.py); `raw` names it
    sentence = contract_sentence(revert.name, args, chain_now(relay)) if revert.name else None
    return {"error": revert.name or None, "args": args, "message": sentence or str(revert), "raw": str(revert)}


class ExplainRequest(BaseModel):
    error: str = Field(max_length=100, description="a contract error's name, e.g. RegistrySelfReview")
    args: dict[str, str | int | bool] = Field(default_factory=dict, max_length=16)


@info.post("/explain-error", summary="A contract error's name and arguments in the CLI's plain words")
def explain_error(body: ExplainRequest, relay: RelayDep) -> dict[str, Any]:
    sentence = contract_sentence(body.error, body.args, chain_now(relay))
    return {"error": body.error, "message": sentence, "known": sentence is not None}


@info.get("/artifacts/{cid}", summary="An artifact's bytes from the relay's IPFS store (verified against its CID)")
async def artifact(cid: str, relay: RelayDep) -> Response:
    try:
        parsed = CID.parse(cid)
    except ValueError as exc:
        raise Refusal(400, "malformed", str(exc)) from None
    try:
        data = await asyncio.to_thread(relay.store.cat, parsed)
    except IPFSError as exc:
        raise Refusal(404, "not_found", str(exc)) from None
    return Response(data, media_type="application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="{cid}"'})  # fmt: skip


@info.get("/charter/document", summary="The charter document (mission, norms), as text")
async def charter_document(relay: RelayDep) -> dict[str, Any]:
    with relay.state.lock:
        raw = model_of(relay).document_cid
    try:
        cid = CID.from_bytes(raw)
        text = (await asyncio.to_thread(relay.store.cat, cid)).decode("utf-8", "replace")
    except (ValueError, IPFSError) as exc:
        return {"cid": "0x" + raw.hex(), "text": None, "error": str(exc)}
    return {"cid": str(cid), "text": text}
