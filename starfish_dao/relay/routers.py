"""The relay's HTTP API, versioned under /v1. Reads come from the reference model; writes are
signed actions (or finalize/claim, which need no signature) checked before they are accepted."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from starfish_dao.chain.client import SIGNATURE_TTL
from starfish_dao.domain import typed_data as td
from starfish_dao.domain.charter import PARAMETER_KEYS
from starfish_dao.domain.errors import ChainError, IPFSError
from starfish_dao.domain.model import Model
from starfish_dao.domain.unixfs import CID
from starfish_dao.relay.actions import SIGNED, Refusal, _address, field_value
from starfish_dao.relay.service import Relay


def get_relay(request: Request) -> Relay:
    relay: Relay = request.app.state.relay
    return relay


RelayDep = Annotated[Relay, Depends(get_relay)]


def _str(value: int) -> str:
    return str(value)


def _model(relay: Relay) -> Model:
    return relay.state.model


# ------------------------------------------------------------------- info

info = APIRouter(prefix="/v1", tags=["info"])


@info.get("/info", summary="Addresses, chain, charter and its document CID")
def get_info(relay: RelayDep) -> dict[str, Any]:
    d = relay.sf.deployment
    with relay.state.lock:
        m = _model(relay)
        params = {key: str(m.params.value(p)) for key, p in PARAMETER_KEYS.items()}
        doc = m.document_cid
        tokens = m.all_tokens()
    return {
        "chainId": d.chain_id,
        "contracts": d.addresses,
        "deployBlock": d.deploy_block,
        "relayer": relay.account.address,
        "charter": {"parameters": params, "documentCid": "0x" + doc.hex(), "revenueTokens": tokens},
        "indexedBlock": relay.state.block,
        "chainTime": relay.sf.now(),
        "healthy": relay.state.healthy and relay.submitter.healthy,
    }


JS_SAFE = 2**53 - 1

# ------------------------------------------------------------------- members

members = APIRouter(prefix="/v1/members", tags=["members"])


def _member(m: Model, address: str, now: int) -> dict[str, Any]:
    record = m.members.get(address)
    return {
        "address": address,
        "member": bool(record and record.token_id),
        "tokenId": record.token_id if record else 0,
        "suspended": bool(record and record.suspended),
        "joined": record.joined_at if record and record.token_id else None,
        "points": _str(m.points_of(address, now)),
        "claimable": {t: _str(m.claimable(address, t)) for t in m.all_tokens()},
        "claimed": {t: _str(m.claimed_by[(address, t)]) for t in m.all_tokens()},
    }


@members.get("", summary="Every member and former member with points and claimable amounts")
def list_members(relay: RelayDep) -> list[dict[str, Any]]:
    now = relay.sf.now()
    with relay.state.lock:
        m = _model(relay)
        return [_member(m, a, now) for a in m.accounts_seen()]


@members.get("/{address}", summary="One member: points and claimable amounts per token")
def get_member(address: str, relay: RelayDep) -> dict[str, Any]:
    try:
        checksum = _address(address, "address")
    except Refusal as exc:
        raise HTTPException(400, exc.body()) from None
    now = relay.sf.now()
    with relay.state.lock:
        return _member(_model(relay), checksum, now)


# ------------------------------------------------------------------- contributions

contributions = APIRouter(prefix="/v1/contributions", tags=["contributions"])


def _cid_text(raw: bytes) -> str:
    try:
        return str(CID.from_bytes(raw))
    except ValueError:
        return ""


def _contribution(c: Any) -> dict[str, Any]:
    return {
        "id": c.id, "author": c.author, "cid": _cid_text(c.cid), "cidHex": "0x" + c.cid.hex(),
        "contentHash": "0x" + c.content_hash.hex(), "effort": c.effort, "epoch": c.epoch,
        "reviewDeadline": c.deadline, "status": c.status, "histogram": c.histogram,
        "weights": [_str(w) for w in c.weights], "weight": _str(c.weight), "quorumWeight": _str(c.quorum_weight),
        "minReviewers": c.min_reviewers, "snapshot": c.snapshot,
        "median": c.median if c.status == "accepted" else None, "points": _str(c.points),
        "reviews": [{"reviewer": r, "stars": s, "weight": _str(w), "commentCid": _cid_text(cc),
                     "commentCidHex": "0x" + cc.hex()} for r, s, w, cc in c.reviews],
        "supersededBy": c.superseded_by or None,
    }  # fmt: skip


@contributions.get("", summary="Contributions with their reviews and status")
def list_contributions(relay: RelayDep, offset: int = 0, limit: int = 100) -> list[dict[str, Any]]:
    if offset < 0 or not 1 <= limit <= 1000:
        raise HTTPException(400, {"error": "malformed", "message": "offset >= 0 and 1 <= limit <= 1000"})
    with relay.state.lock:
        items = list(_model(relay).contributions.values())[offset : offset + limit]
        return [_contribution(c) for c in items]


@contributions.get("/{contribution_id}", summary="One contribution")
def get_contribution(contribution_id: int, relay: RelayDep) -> dict[str, Any]:
    with relay.state.lock:
        c = _model(relay).contributions.get(contribution_id)
        if c is None:
            raise HTTPException(404, {"error": "not_found", "message": f"no contribution #{contribution_id}"})
        return _contribution(c)


# ------------------------------------------------------------------- treasury

treasury = APIRouter(prefix="/v1/treasury", tags=["treasury"])


@treasury.get("", summary="Treasury, revenue and payouts per token, and the revenue history")
def get_treasury(relay: RelayDep) -> dict[str, Any]:
    with relay.state.lock:
        m = _model(relay)
        tokens = {
            t: {
                "received": _str(m.received[t]),
                "claimed": _str(m.claimed[t]),
                "treasury": _str(m.treasury[t]),
                "spent": _str(m.spent[t]),
                "undistributed": _str(m.undistributed[t]),
            }
            for t in m.all_tokens()
        }
        revenue = list(relay.state.revenue)
    return {"tokens": tokens, "revenue": revenue}


# ------------------------------------------------------------------- artifacts

artifacts = APIRouter(prefix="/v1/artifacts", tags=["artifacts"])


@artifacts.post("", status_code=201, summary="Upload and pin a file; returns its CID")
async def upload(relay: RelayDep, file: Annotated[UploadFile, File()]) -> dict[str, Any]:
    limit = relay.settings.max_upload_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(413, {"error": "too_large", "message": f"files are limited to {limit} bytes"})
    try:
        cid = await asyncio.to_thread(relay.store.add_bytes, data)
    except IPFSError as exc:
        raise HTTPException(503, {"error": "ipfs_unavailable", "message": str(exc)}) from exc
    return {"cid": str(cid), "cidHex": "0x" + cid.bytes.hex(), "size": len(data)}


# ------------------------------------------------------------------- actions

actions = APIRouter(prefix="/v1/actions", tags=["actions"])


class TypedDataRequest(BaseModel):
    action: str = Field(description="Join, Leave, Submit or Review")
    signer: str = Field(description="the member who will sign")
    fields: dict[str, Any] = Field(
        default_factory=dict, description="the action's own fields (e.g. contribution, stars)"
    )
    ttl: int = Field(default=SIGNATURE_TTL, ge=60, le=30 * 86400, description="seconds the signature stays valid")


@actions.post("/typed-data", summary="EIP-712 typed data for an action, with a fresh nonce and a deadline")
def typed_data(body: TypedDataRequest, relay: RelayDep) -> dict[str, Any]:
    if body.action not in SIGNED:
        raise HTTPException(400, {"error": "unknown_action", "message": f"signed actions are {', '.join(SIGNED)}"})
    try:
        signer = _address(body.signer, "signer")
        fields = dict(body.fields)
        for f in td.ACTION_TYPES[body.action]:
            name, typ = f["name"], f["type"]
            if name in ("nonce", "deadline") or name == td.signer_field(body.action):
                continue
            if name == "generation" and name not in fields:  # the signer's membership state now
                fields[name] = relay.sf.generation(signer)
            if name not in fields:
                raise Refusal(400, "malformed", f"{body.action} needs the field {name!r}")
            fields[name] = field_value(fields[name], name, typ)
        extra = set(fields) - {f["name"] for f in td.ACTION_TYPES[body.action]}
        if extra:
            raise Refusal(400, "malformed", f"unexpected fields {sorted(extra)}")
    except Refusal as exc:
        raise HTTPException(exc.status, exc.body()) from None
    message = {td.signer_field(body.action): signer, **fields}
    if body.action == "Ballot":  # the governor's own ballot: its sequential nonce, no deadline
        message["nonce"] = int(relay.sf.contracts["governor"].functions.nonces(signer).call())
    else:
        message["nonce"] = relay.sf.next_nonce(body.action, signer)
        message["deadline"] = relay.sf.now() + body.ttl
    data = relay.sf.typed_data_for(body.action, message)
    # integers beyond JavaScript's exact range (a proposal id) as decimal strings, which every EIP-712
    # implementation accepts: a JSON number would be rounded by JSON.parse before a wallet signs it
    data["message"] = {k: str(v) if isinstance(v, int) and v > JS_SAFE else v for k, v in data["message"].items()}
    return {"typedData": data}


@actions.post("", status_code=202, summary="Submit a signed action (or a finalize/claim); answers once it is on disk")
async def post_action(request: Request, relay: RelayDep) -> JSONResponse:
    raw = await request.body()
    if len(raw) > relay.settings.max_body_bytes:
        raise HTTPException(
            413, {"error": "too_large", "message": f"bodies are limited to {relay.settings.max_body_bytes} bytes"}
        )
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise HTTPException(400, {"error": "malformed", "message": "the body is not JSON"}) from None
    client = request.client.host if request.client else "unknown"
    try:
        action, new = await asyncio.to_thread(relay.accept, body, client)
    except Refusal as exc:
        return JSONResponse(exc.body(), status_code=exc.status)
    except (ChainError, OSError, ConnectionError) as exc:
        return JSONResponse({"error": "chain_unavailable", "message": f"the chain cannot be reached: {exc}"}, 503)
    return JSONResponse({**action.public(), "duplicate": not new}, status_code=202 if new else 200)


@actions.get("/{action_id}", summary="An action's state: accepted, sent, mined (tx, block) or failed (decoded error)")
def get_action(action_id: str, relay: RelayDep) -> dict[str, Any]:
    action = relay.queue.get(action_id)
    if action is None:
        raise HTTPException(404, {"error": "not_found", "message": f"no action {action_id}"})
    return action.public()


# ------------------------------------------------------------------- events

events = APIRouter(prefix="/v1/events", tags=["events"])


@events.get("", summary="Server-sent events of new on-chain activity")
async def stream(request: Request, relay: RelayDep, replay: int = 0) -> StreamingResponse:
    queue = relay.state.subscribe()
    backlog = relay.state.history[-max(0, min(replay, 1000)) :] if replay else []

    async def body() -> AsyncIterator[str]:
        try:
            for event in backlog:
                yield f"event: {event['event']}\ndata: {json.dumps(event)}\n\n"
            yield ": connected\n\n"
            while not await request.is_disconnected():
                try:
                    event = await asyncio.wait_for(queue.get(), timeout=15)
                except TimeoutError:
                    yield f": keep-alive {int(time.time())}\n\n"
                    continue
                yield f"event: {event['event']}\ndata: {json.dumps(event)}\n\n"
        finally:
            relay.state.unsubscribe(queue)

    return StreamingResponse(body(), media_type="text/event-stream")


ROUTERS = (info, members, contributions, treasury, artifacts, actions, events)
