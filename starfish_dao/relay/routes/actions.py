"""`/v1/actions`: typed data to sign, a check before anything is signed, the actions themselves
(answered once on disk: the handler is `edge/fastpath.py`, which the Guard serves this path with
too), and an action's state."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from starfish_dao.domain import fastabi as fast
from starfish_dao.domain import typed_data as td
from starfish_dao.relay.edge import fastpath
from starfish_dao.relay.edge.budgets import client_key
from starfish_dao.relay.edge.problems import Refusal
from starfish_dao.relay.intake import commits
from starfish_dao.relay.intake.checked import SIGNED
from starfish_dao.relay.intake.fields import address_field, field_value
from starfish_dao.relay.intake.nonces import free_nonce
from starfish_dao.relay.routes.deps import RelayDep, chain_now, model_of

actions = APIRouter(prefix="/v1/actions", tags=["actions"])
JS_SAFE = 2**53 - 1


class TypedDataRequest(BaseModel):
    action: str = Field(description="Join, Leave, Submit, SealedReview, ClaimTo, ClaimIncarnationTo, Ballot or Commit")
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
                                  chain_now(relay) + ttl)  # fmt: skip
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
        message["deadline"] = chain_now(relay) + (body.ttl if body.ttl is not None else relay.settings.signature_ttl)
    data = relay.sf.typed_data_for(body.action, message)
    # integers beyond JavaScript's exact range (a proposal id) as decimal strings, which every EIP-712
    # implementation accepts: a JSON number would be rounded by JSON.parse before a wallet signs it
    data["message"] = {k: str(v) if isinstance(v, int) and v > JS_SAFE else v for k, v in data["message"].items()}
    return {"typedData": data}


class CheckRequest(BaseModel):
    action: str = Field(description="Join, Contribute (fields: effort), SealedReview (fields: contribution) or Ballot")
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
    f, now = body.fields, chain_now(relay)
    if body.action == "Contribute":
        effort = int(field_value(f.get("effort"), "effort", "uint32"))
        with relay.state.lock:
            m = model_of(relay)
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
    elif body.action in ("Review", "SealedReview"):
        # whether the signer may seal a rating of it now (the window, standing, not the author, once),
        # and whether that standing reaches the charter's minimum, which the registry checks when the
        # rating opens; the stars stay with the reviewer: the budget is spent when it opens
        number = int(field_value(f.get("contribution"), "contribution", "uint256"))
        with relay.state.lock:
            m = model_of(relay)
            c = m.contributions.get(number)
            weight = m.review_weight(signer, c) if c is not None else 0
            needed = min(m.params.min_reviewer_standing, c.quorum_weight) if c is not None else 0
        if c is not None and c.author != signer and (weight == 0 or weight < needed):
            raise Refusal(422, "would_revert", f"{signer}'s standing on #{number} is below the charter's minimum",
                          {"error": "RegistryInsufficientStanding",
                           "args": {"reviewer": signer, "standing": str(weight), "required": str(max(needed, 1))},
                           "chainTime": now})  # fmt: skip
        fn = relay.sf.registry.functions.sealReview(number, b"\x01" * 32)
    elif body.action == "Ballot":
        fn = relay.sf.contracts["governor"].functions.castVote(
            int(field_value(f.get("proposalId"), "proposalId", "uint256")),
            int(field_value(f.get("support"), "support", "uint8")),
        )
    else:
        raise Refusal(400, "unknown_action", "checked actions are Join, Contribute, SealedReview and Ballot")
    try:
        fn.call({"from": signer})
    except Exception as exc:  # noqa: BLE001 - a revert is the answer; anything else propagates
        raise _would_revert(exc, now) from None
    return {"ok": True}


def client_ip(request: Request) -> str:
    """The key of the client's per-IP budgets (an IPv6 client's /64: `edge/budgets.client_key`)."""
    return client_key(request.client.host if request.client else "unknown")


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
