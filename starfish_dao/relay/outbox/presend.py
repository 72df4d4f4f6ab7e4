"""The submitter's last look before the relayer pays (issue 24, finding 5).

An action is checked when it is accepted, but the chain moves before it is sent: someone claims a
member's pay first (a relayed Claim would then pay 0), the signer cancels the nonce (`cancelNonce`)
or another relay carries the same signed action (it would revert with `NonceAlreadyUsed`). So right
before signing, each round reads, in one JSON-RPC batch at the `pending` block (the node's own
pending transactions included, where it keeps any: another relay's copy of the action, waiting in
the pool, counts), each Claim's and ClaimTo's claimable amount, each signed action's nonce, and for
each unsigned action the view that says whether someone else already carried it out (a rating opened,
scored or forfeited, a contribution finalized, a panel drawn, a seed fixed, review pay claimed; on the
grid a check revealed, a host attested, hosting pay claimed). An action that would pay nothing,
revert, or whose nonce is taken is not sent; it is failed with why, and final.
An unanswered read concludes nothing: the action is sent as before.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from eth_utils.abi import function_signature_to_4byte_selector

from starfish_dao.domain import typed_data as td
from starfish_dao.domain.fastabi import keccak
from starfish_dao.relay.intake import conflicts
from starfish_dao.relay.outbox.rows import Action, Status

if TYPE_CHECKING:
    from starfish_dao.relay.outbox.queue import Queue

log = logging.getLogger("starfish.relay")

_NONCE_USED = bytes(function_signature_to_4byte_selector("nonceUsed(address,uint256)"))
_NONCES = bytes(function_signature_to_4byte_selector("nonces(address)"))  # the governor's sequential nonce
_CLAIMABLE = bytes(function_signature_to_4byte_selector("claimable(address,address)"))
_SEALED = bytes(function_signature_to_4byte_selector("sealedRating(uint256,address)"))
_STATUS = bytes(function_signature_to_4byte_selector("status(uint256)"))
_PANEL = bytes(function_signature_to_4byte_selector("panel(uint256)"))
_SEED_OF = bytes(function_signature_to_4byte_selector("seedOf(uint256)"))
_PAID = bytes(function_signature_to_4byte_selector("reviewPayClaimed(uint256,address,address)"))
_SEAL_OF = bytes(function_signature_to_4byte_selector("sealOf(uint256,address,address)"))
_TALLY_OF = bytes(function_signature_to_4byte_selector("tallyOf(uint256,address)"))
_HOSTING_PAID = bytes(function_signature_to_4byte_selector("hostingPayClaimed(uint256,address,address)"))
_NO_ANSWER = object()
#: the signed actions whose signer's nonce is read (Ballot: the governor's sequential nonce)
_NONCED = ("Join", "Leave", "Submit", "SealedReview", "ClaimTo", "ClaimIncarnationTo", "Ballot", "RegisterHost",
           "UnregisterHost", "SealCheck")  # fmt: skip

Batch = Callable[..., list[Any]]


def _address(value: Any) -> bytes:
    return bytes(12) + bytes.fromhex(str(value)[2:])


def _uint(value: Any) -> bytes:
    return int(value).to_bytes(32, "big")


def _seal(r: dict[str, Any]) -> int:
    """`Grid.checkSeal` of a RevealCheck's request: keccak256(abi.encode(checker, epoch, host, held,
    passes, keccak256(evidence), keccak256(abi.encode(failed)), salt)), the word its reveal must match."""
    failed = b"".join(bytes.fromhex(str(f)[2:]) for f in r["failed"])
    failed_hash = keccak(_uint(32) + _uint(len(r["failed"])) + failed)
    evidence, salt = bytes.fromhex(str(r["evidence"])[2:]), bytes.fromhex(str(r["salt"])[2:])
    words = (_address(r["checker"]) + _uint(r["epoch"]) + _address(r["host"]) + _uint(r["held"]) + _uint(r["passes"])
             + keccak(evidence) + failed_hash + salt)  # fmt: skip
    return int.from_bytes(keccak(words), "big")


def _nonce(action: Action) -> int | None:
    if action.nonce is not None:
        return int(action.nonce)
    value = action.request.get("typedData", {}).get("message", {}).get("nonce")
    return None if value is None else int(str(value), 0)


def _reads(addresses: dict[str, str], action: Action) -> list[tuple[str, str, bytes]]:
    """(what, contract, calldata) of each read that decides whether `action` is still worth sending."""
    reads: list[tuple[str, str, bytes]] = []
    message = action.request.get("typedData", {}).get("message", {}) if action.signer else {}
    if action.kind == "Claim":
        member, token = action.request["member"], action.request["token"]
        reads.append(("claimable", addresses["splitter"], _CLAIMABLE + _address(member) + _address(token)))
    elif action.kind == "ClaimTo":
        call = _CLAIMABLE + _address(message["member"]) + _address(message["token"])
        reads.append(("claimable", addresses["splitter"], call))
    elif action.kind == "Reveal":  # opened by someone else meanwhile (the member's CLI, another relay)
        call = _SEALED + _uint(action.request["contribution"]) + _address(action.request["reviewer"])
        reads.append(("sealed", addresses["registry"], call))
    elif action.kind == "Finalize":  # finalized by someone else meanwhile (a member, another relay)
        reads.append(("status", addresses["registry"], _STATUS + _uint(action.request["contribution"])))
    elif action.kind == "FixSeed" and "grid" in addresses:  # fixed by someone else meanwhile
        reads.append(("seed", addresses["grid"], _SEED_OF + _uint(action.request["epoch"])))
    elif action.kind == "DrawPanel":  # drawn by a seal or someone else meanwhile
        reads.append(("panel", addresses["registry"], _PANEL + _uint(action.request["contribution"])))
    elif action.kind in ("ScoreReview", "Forfeit"):  # scored or forfeited by someone else meanwhile
        call = _SEALED + _uint(action.request["contribution"]) + _address(action.request["reviewer"])
        reads.append(("rating:" + action.kind, addresses["registry"], call))
    elif action.kind == "ClaimReviewPay":  # claimed by someone else meanwhile
        r = action.request
        call = _PAID + _uint(r["epoch"]) + _address(r["reviewer"]) + _address(r["token"])
        reads.append(("review_paid", addresses["registry"], call))
    elif action.kind in ("RevealCheck", "Attest", "ClaimHostingPay") and "grid" in addresses:  # done meanwhile
        r = action.request
        if action.kind == "RevealCheck":  # opened by the checker's own client or another relay
            reads.append(("check_seal", addresses["grid"], _SEAL_OF + _uint(r["epoch"]) + _address(r["host"])
                          + _address(r["checker"])))  # fmt: skip
        elif action.kind == "Attest":  # attested by another relay's keeper or anyone
            reads.append(("tally", addresses["grid"], _TALLY_OF + _uint(r["epoch"]) + _address(r["host"])))
        else:  # claimed by the host itself or another relay
            call = _HOSTING_PAID + _uint(r["epoch"]) + _address(r["host"]) + _address(r["token"])
            reads.append(("hosting_paid", addresses["grid"], call))
    nonce = _nonce(action)
    if action.kind in _NONCED and action.signer and nonce is not None:
        contract = addresses[td.ACTION_DOMAINS[action.kind][0]]
        if action.kind == "Ballot":
            reads.append(("nonces", contract, _NONCES + _address(action.signer)))
        else:
            reads.append(("nonce_used", contract, _NONCE_USED + _address(action.signer) + _uint(nonce)))
    return reads


def _slot(action: Action) -> tuple[str, int, str] | None:
    """The signer's nonce at a contract that `action` uses (`conflicts.nonce_slot`), if it has one."""
    nonce = _nonce(action)
    if action.kind not in _NONCED or action.kind == "Ballot" or not action.signer or nonce is None:
        return None
    return conflicts.nonce_slot(action.signer, nonce, str(action.request.get("_to", "")))


def carried(queue: Queue, actions: list[Action]) -> dict[str, dict[str, Any]]:
    """The actions of `actions` whose signer's nonce another action of this relay already carries:
    one sent or mined (not yet final) with the same signer, nonce and contract. It happens after a
    rollback: the chain forgot the first action, a second with its nonce passed the chain check
    (the queue still said mined), and the first is sent again (after a grace, or a throttled
    rebroadcast), so the node's pool may not hold it yet when the second's last look reads the
    chain; the second would revert (an attacker session paid 5 reverts out of 5 this way, with two
    rollbacks a second apart). Read from the queue, exact, before any chain read."""
    slots = {a.id: slot for a in actions if (slot := _slot(a)) is not None and a.conflict_key}
    if not slots:
        return {}
    carriers: dict[tuple[str, int, str], Action] = {}
    for other in queue.carrying(str(a.conflict_key) for a in actions if a.id in slots):
        if (slot := _slot(other)) is not None:
            carriers.setdefault(slot, other)
    out: dict[str, dict[str, Any]] = {}
    for action in actions:
        carrier = carriers.get(slots[action.id]) if action.id in slots else None
        nonce = _nonce(action)
        if carrier is not None and carrier.id != action.id:
            out[action.id] = _failed("NonceAlreadyUsed", "nonce_used", f"nonce {nonce} of {action.signer} is used "
                                     f"by the action {carrier.id}, which this relay carries ({carrier.status}; the "
                                     "chain had forgotten it when this one was accepted): it was not sent")  # fmt: skip
    for action_id, fields in out.items():
        log.info("action %s not sent: %s", action_id, json.loads(fields["error"])["message"])
    return out


def stale(batch: Batch, addresses: dict[str, str], actions: list[Action]) -> dict[str, dict[str, Any]]:
    """The actions of `actions` not worth sending any more, by id, with the queue fields that record
    why (failed, final, the reason). `batch` is the submitter's JSON-RPC batch."""
    asked: list[tuple[Action, str]] = []
    calls: list[tuple[str, list[Any]]] = []
    for action in actions:
        for what, to, data in _reads(addresses, action):
            asked.append((action, what))
            calls.append(("eth_call", [{"to": to, "data": "0x" + data.hex()}, "pending"]))
    if not calls:
        return {}
    try:
        answers = batch(calls, errors=_NO_ANSWER)
    except Exception as exc:  # noqa: BLE001 - a node that refuses the reads concludes nothing: send as before
        log.warning("the last look before sending failed (%s): sending as accepted", exc)
        return {}
    out: dict[str, dict[str, Any]] = {}
    for (action, what), answer in zip(asked, answers, strict=True):
        if answer is _NO_ANSWER or not isinstance(answer, str) or len(answer) < 3 or action.id in out:
            continue  # no answer is no conclusion
        value, nonce = int(answer, 16), _nonce(action)
        if what == "claimable" and value == 0:
            why = "nothing is claimable any more (claimed after this action was accepted): it would pay 0, not sent"
            out[action.id] = _failed("", "nothing_to_claim", why)
        elif what == "sealed" and value >> 112 == 0:  # 0, or a revealed rating's record (its top bits 0)
            why = (
                "the sealed rating was opened after this action was accepted (by the reviewer or another relay): "
                "not sent"
            )
            out[action.id] = _failed("RegistryNotSealed", "already_opened", why)
        elif what == "status" and value != 1:  # no longer pending
            why = "the contribution was finalized after this action was accepted (by someone else): not sent"
            out[action.id] = _failed("RegistryNotPending", "already_finalized", why)
        elif what == "panel" and (value >> 256) & ((1 << 256) - 1) != 0:  # the seed: (drawBlock, seed, divisor)
            out[action.id] = _failed("RegistryPanelAlreadyDrawn", "already_drawn",
                                     "the panel was drawn after this action was accepted: not sent")  # fmt: skip
        elif what == "seed" and value >> 256 != 0:  # (seed, hosts): fixed
            out[action.id] = _failed("GridSeedAlreadyFixed", "already_fixed",
                                     "the epoch's seed was fixed after this action was accepted: not sent")  # fmt: skip
        elif what == "rating:ScoreReview" and value & (1 << 6):  # the record's "scored" bit
            out[action.id] = _failed("RegistryAlreadyScored", "already_scored",
                                     "the rating was scored after this action was accepted: not sent")  # fmt: skip
        elif what == "rating:Forfeit" and value >> 112 == 0:  # opened, or forfeited already
            why = "the rating was forfeited or opened after this action was accepted: not sent"
            out[action.id] = _failed("RegistryNotSealed", "already_forfeited", why)
        elif what == "review_paid" and value != 0:
            out[action.id] = _failed("RegistryNoReviewPay", "nothing_to_claim",
                                     "the review pay was claimed after this action was accepted: not sent")  # fmt: skip
        elif what == "check_seal" and value != _seal(action.request):  # the seal's word is the result's now
            out[action.id] = _failed("GridSealMismatch", "already_revealed",
                                     "the check was revealed after this action was accepted: not sent")  # fmt: skip
        elif what == "tally" and value & 1:  # the Tally's last field: attested
            why = "the host was attested for the epoch after this action was accepted: not sent"
            out[action.id] = _failed("GridNoAttestation", "already_attested", why)
        elif what == "hosting_paid" and value != 0:
            why = "the hosting pay was claimed after this action was accepted: not sent"
            out[action.id] = _failed("GridNoHostingPay", "nothing_to_claim", why)
        elif what == "nonce_used" and value != 0:
            out[action.id] = _failed("NonceAlreadyUsed", "nonce_used", f"nonce {nonce} of {action.signer} "
                                     "was used after this action was accepted (cancelled by the signer, or the same "
                                     "action carried by another relay or sent directly): it was not sent")  # fmt: skip
        elif what == "nonces" and nonce is not None and value > nonce:
            out[action.id] = _failed("", "nonce_used", f"{action.signer}'s ballot nonce {nonce} was used after "
                                     "this ballot was accepted: it was not sent")  # fmt: skip
    for action_id, fields in out.items():
        log.info("action %s not sent: %s", action_id, json.loads(fields["error"])["message"])
    return out


def _failed(name: str, code: str, message: str) -> dict[str, Any]:
    return {"status": Status.FAILED, "final": 1, "error": json.dumps({"name": name, "code": code, "message": message})}
