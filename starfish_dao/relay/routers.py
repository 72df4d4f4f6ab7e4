"""The relay's HTTP API, versioned under /v1. Reads come from the reference model; writes are
signed actions (or finalize/claim, which need no signature) checked before they are accepted."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from starfish_dao.domain import fastabi as fast
from starfish_dao.domain import typed_data as td
from starfish_dao.domain.charter import PARAMETER_KEYS
from starfish_dao.domain.charter_units import KINDS, describe
from starfish_dao.domain.errors import IPFSError
from starfish_dao.domain.model import Model
from starfish_dao.domain.unixfs import CID
from starfish_dao.relay.edge import fastpath
from starfish_dao.relay.edge.problems import Refusal
from starfish_dao.relay.intake import commits
from starfish_dao.relay.intake.checked import SIGNED
from starfish_dao.relay.intake.fields import address_field, field_value
from starfish_dao.relay.intake.nonces import free_nonce
from starfish_dao.relay.service import Relay


async def get_relay(request: Request) -> Relay:  # async: no thread hop per request
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
        "charter": {
            "parameters": params,
            "shown": {k: describe(KINDS[k], int(v)) for k, v in params.items()},  # in people's units
            "ids": {k: int(p) for k, p in PARAMETER_KEYS.items()},  # ParameterChanged names its parameter by these
            "documentCid": "0x" + doc.hex(),
            "revenueTokens": tokens,
        },
        "indexedBlock": relay.state.block,
        "chainTime": relay.sf.now(),
        "healthy": relay.state.healthy and relay.submitter_healthy,
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
        checksum = address_field(address, "address")
    except Refusal as exc:
        raise exc from None
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
        "minReviewers": c.min_reviewers, "snapshot": c.snapshot, "epochSnapshot": c.epoch_snapshot,
        "median": c.median if c.status == "accepted" else None, "points": _str(c.points),
        "reviews": [{"reviewer": r, "stars": s, "weight": _str(w), "commentCid": _cid_text(cc),
                     "commentCidHex": "0x" + cc.hex()} for r, s, w, cc in c.reviews],
        "supersededBy": c.superseded_by or None,
    }  # fmt: skip


@contributions.get("", summary="Contributions with their reviews and status")
def list_contributions(relay: RelayDep, offset: int = 0, limit: int = 100) -> list[dict[str, Any]]:
    if offset < 0 or not 1 <= limit <= 1000:
        raise Refusal(400, "malformed", "offset >= 0 and 1 <= limit <= 1000")
    with relay.state.lock:
        items = list(_model(relay).contributions.values())[offset : offset + limit]
        return [_contribution(c) for c in items]


@contributions.get("/{contribution_id}/content", summary="Are the artifact's bytes the work its author claimed?")
def get_contribution_content(contribution_id: int, relay: RelayDep) -> dict[str, str]:
    """Fetches the artifact from the relay's IPFS node and compares the sha256 of its bytes with the
    declared content hash (a dag-pb CID does not state it; the registry checks raw CIDs itself).
    `verdict` is match, mismatch or unavailable; `message` is one sentence for a person."""
    from starfish_dao.ipfs.content import check_content

    with relay.state.lock:
        c = _model(relay).contributions.get(contribution_id)
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
        c = _model(relay).contributions.get(contribution_id)
        if c is None:
            raise Refusal(404, "not_found", f"no contribution #{contribution_id}")
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


@artifacts.post(
    "", status_code=201, summary="Upload and pin a file (multipart field `file`); returns its CID",
    openapi_extra={"requestBody": {"content": {"multipart/form-data": {"schema": {
        "type": "object", "properties": {"file": {"type": "string", "format": "binary"}}, "required": ["file"]}}}}},
)  # fmt: skip
async def upload(request: Request, relay: RelayDep) -> dict[str, Any]:
    limit = relay.settings.max_upload_bytes
    # parsed here, not by the framework: the size limit and the body timeout apply while it streams
    async with request.form(max_files=1, max_fields=4, max_part_size=limit + 1) as form:
        file = form.get("file")
        if file is None or isinstance(file, str):
            raise Refusal(400, "malformed", "send the file as the multipart field 'file'")
        data = await file.read(limit + 1)
    if len(data) > limit:
        raise Refusal(413, "too_large", f"files are limited to {limit} bytes")
    try:
        cid = await asyncio.to_thread(relay.store.add_bytes, data)
    except IPFSError as exc:
        raise Refusal(503, "ipfs_unavailable", str(exc)) from exc
    return {"cid": str(cid), "cidHex": "0x" + cid.bytes.hex(), "size": len(data)}


# ------------------------------------------------------------------- actions

actions = APIRouter(prefix="/v1/actions", tags=["actions"])


class TypedDataRequest(BaseModel):
    action: str = Field(description="Join, Leave, Submit, Review, ClaimTo, ClaimIncarnationTo, Ballot or Commit")
    signer: str = Field(description="the member who will sign")
    fields: dict[str, Any] = Field(
        default_factory=dict, description="the action's own fields (e.g. contribution, stars)"
    )
    ttl: int | None = Field(
        default=None, ge=60, le=30 * 86400,
        description="seconds the signature stays valid (default: the relay's SIGNATURE_TTL)",
    )  # fmt: skip


@actions.post("/typed-data", summary="EIP-712 typed data for an action, with an unused nonce and a deadline")
def typed_data(body: TypedDataRequest, request: Request, relay: RelayDep) -> dict[str, Any]:
    # its per-IP rate was checked by the Guard, before the body was read
    if body.action not in (*SIGNED, "Commit"):
        raise Refusal(400, "unknown_action", f"signed actions are {', '.join(SIGNED)} and Commit")
    signer = address_field(body.signer, "signer")
    if body.action == "Commit":  # signed for the relay only: who pays for it (relay/intake/commits.py)
        if set(body.fields) != {"commitment"}:
            raise Refusal(400, "malformed", 'a Commit\'s fields are exactly {"commitment": "0x..."}')
        ttl = body.ttl if body.ttl is not None else relay.settings.signature_ttl
        data = commits.typed_data(relay.sf.deployment.chain_id, fast.checksum(relay.sf.registry.address), signer,
                                  field_value(body.fields["commitment"], "commitment", "bytes32"),
                                  relay.sf.now() + ttl)  # fmt: skip
        return {"typedData": data}
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
    message = {td.signer_field(body.action): signer, **fields}
    if body.action == "Ballot":  # the governor's own ballot: its sequential nonce, no deadline
        message["nonce"] = int(relay.sf.contracts["governor"].functions.nonces(signer).call())
    else:
        # the lowest unused nonce, the same however often it is asked for (nobody can push a
        # member's nonces into fresh, costlier bitmap words)
        message["nonce"] = free_nonce(relay.sf, relay.queue, body.action, signer)
        message["deadline"] = relay.sf.now() + (body.ttl if body.ttl is not None else relay.settings.signature_ttl)
    data = relay.sf.typed_data_for(body.action, message)
    # integers beyond JavaScript's exact range (a proposal id) as decimal strings, which every EIP-712
    # implementation accepts: a JSON number would be rounded by JSON.parse before a wallet signs it
    data["message"] = {k: str(v) if isinstance(v, int) and v > JS_SAFE else v for k, v in data["message"].items()}
    return {"typedData": data}


class CheckRequest(BaseModel):
    action: str = Field(description="Join, Contribute (fields: effort), Review or Ballot")
    signer: str = Field(description="the member who would sign")
    fields: dict[str, Any] = Field(default_factory=dict)


def _would_revert(exc: Exception, now: int) -> Refusal:
    from starfish_dao.chain.errors import revert_from_exception

    revert = revert_from_exception(exc)
    if revert is None:
        raise exc
    args = {k: str(v) for k, v in revert.error_args.items()}
    return Refusal(422, "would_revert", f"the contract would revert: {revert}",
                   {"error": revert.name, "args": args, "chainTime": now})  # fmt: skip


@actions.post("/check", summary="Would this action succeed now? Checked before anything is signed, pinned or paid")
def check_action(body: CheckRequest, relay: RelayDep) -> dict[str, Any]:
    """The contract's own answer for the action as the signer would send it directly (an `eth_call`
    from the signer: the relayed form runs the same checks after its signature's), and for a
    contribution its effort against the charter and the member's epoch, before any commitment is
    posted or file pinned. Nothing is stored, nothing is sent. 200 `{"ok": true}`, or the problem
    the relay would answer, its `detail` the CLI's sentence."""
    signer = address_field(body.signer, "signer")
    f, now = body.fields, relay.sf.now()
    if body.action == "Contribute":
        effort = int(field_value(f.get("effort"), "effort", "uint32"))
        with relay.state.lock:
            m = _model(relay)
            record = m.members.get(signer)
            active = bool(record and record.active)
            limit, cap = m.params.max_effort, m.params.max_effort_per_epoch
            total = m.epoch_effort[(signer, m.epoch_at(now))] + effort
            digest = str(f.get("contentHash") or "")
            holder = (
                m.artifacts.get(bytes.fromhex(digest[2:])) if digest.startswith("0x") and len(digest) == 66 else None
            )
            held = m.contributions[holder[0]] if holder else None
        if not active:
            told = {"error": "RegistryNotActiveMember", "args": {"account": signer}, "chainTime": now}
            raise Refusal(422, "would_revert", f"{signer} is not an active member", told)
        if not 1 <= effort <= limit:
            raise Refusal(422, "would_revert", f"effort {effort} is outside 1..{limit}",
                          {"error": "RegistryInvalidEffort", "args": {"effort": str(effort), "maxEffort": str(limit)},
                           "chainTime": now})  # fmt: skip
        if held is not None and held.status in ("pending", "accepted"):
            raise Refusal(422, "would_revert", f"the content is contribution #{held.id} ({held.status})",
                          {"error": "RegistryArtifactAlreadyClaimed",
                           "args": {"contentHash": digest, "id": str(held.id)}, "chainTime": now})  # fmt: skip
        if total > cap:
            raise Refusal(422, "would_revert", f"epoch effort {total} above {cap}",
                          {"error": "RegistryEpochEffortExceeded", "args": {"total": str(total), "cap": str(cap)},
                           "chainTime": now})  # fmt: skip
        return {"ok": True}
    if body.action == "Join":
        fn = relay.sf.membership.functions.join()
    elif body.action == "Review":
        comment = str(field_value(f.get("commentCid") or "0x", "commentCid", "bytes"))
        fn = relay.sf.registry.functions.review(
            int(field_value(f.get("contribution"), "contribution", "uint256")),
            int(field_value(f.get("stars"), "stars", "uint8")),
            bytes.fromhex(comment[2:]),
        )
    elif body.action == "Ballot":
        fn = relay.sf.contracts["governor"].functions.castVote(
            int(field_value(f.get("proposalId"), "proposalId", "uint256")),
            int(field_value(f.get("support"), "support", "uint8")),
        )
    else:
        raise Refusal(400, "unknown_action", "checked actions are Join, Contribute, Review and Ballot")
    try:
        fn.call({"from": signer})
    except Exception as exc:  # noqa: BLE001 - a revert is the answer; anything else propagates
        raise _would_revert(exc, now) from None
    return {"ok": True}


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@actions.post(
    "", status_code=202, summary="A signed action (a member's Commit too), a Finalize or a Claim; answers once on disk",
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}},
)  # fmt: skip
async def post_action(request: Request, relay: RelayDep) -> JSONResponse:
    # the Guard serves this path itself, through the same handler: this route documents it (and
    # serves it where no Guard runs), the Guard having limited the body's size, time and rate
    status, body, headers = await fastpath.post_action(relay, await request.body(), client_ip(request))
    media = "application/json" if status < 400 else "application/problem+json"
    return JSONResponse(body, status_code=status, media_type=media,
                        headers={k.decode(): v.decode() for k, v in headers})  # fmt: skip


@actions.get("/{action_id}", summary="An action's state: accepted, sent, mined (tx, block, final) or failed")
def get_action(action_id: str, relay: RelayDep) -> dict[str, Any]:
    action = relay.queue.get(action_id)
    if action is None:
        raise Refusal(404, "not_found", f"no action {action_id}")
    return action.public()


# ------------------------------------------------------------------- events

events = APIRouter(prefix="/v1/events", tags=["events"])


@events.get("", summary="Server-sent events of new on-chain activity")
async def stream(relay: RelayDep, replay: int = 0) -> StreamingResponse:
    feed = relay.state.feed
    if feed.subscribers >= relay.settings.max_sse_clients:
        raise Refusal(503, "busy", f"this relay serves at most {relay.settings.max_sse_clients} event streams",
                      {"retryAfter": 30})  # fmt: skip
    cursor = feed.cursor_for_replay(replay) if replay > 0 else feed.seq
    feed.subscribers += 1

    async def body() -> AsyncIterator[str]:
        nonlocal cursor
        try:
            backlog, cursor, _ = feed.since(cursor)  # the replay first, then live events
            yield "".join(backlog) + ": connected\n\n"
            while True:
                waker = feed.waker()
                texts, cursor, missed = feed.since(cursor)
                if missed:
                    yield "event: Gap\ndata: {}\n\n"  # this client fell behind: reload what it shows
                if texts:
                    yield "".join(texts)
                    continue
                try:
                    await asyncio.wait_for(waker.wait(), timeout=15)
                except TimeoutError:
                    yield f": keep-alive {int(time.time())}\n\n"
        finally:
            feed.subscribers -= 1

    return StreamingResponse(body(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


ROUTERS = (info, members, contributions, treasury, artifacts, actions, events)
