"""Intake's first phase: everything that needs no chain (shape, domain, signature), and the
contract call that carries the action out.

A signed action must be the contract's own EIP-712 type, signed for this chain and contract by the
signer it names (`commits.signed_by`: one signature written two ways is one action, one id); a
Commit is signed for the relay only (`intake/commits.py`); a Finalize or a Claim needs no
signature. Every refusal is a `Refusal` with an HTTP status, a code and a message that says what
was wrong. The chain's view comes after, in `intake/chain_check.py`.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
import time
from typing import Any

from eth_utils.abi import function_signature_to_4byte_selector

from starfish_dao.chain.client import Starfish
from starfish_dao.domain import fastabi as fast
from starfish_dao.domain import typed_data as td
from starfish_dao.domain.model import ETH
from starfish_dao.relay.edge.problems import Refusal
from starfish_dao.relay.edge.redaction import scrub
from starfish_dao.relay.intake import commits, conflicts
from starfish_dao.relay.intake.by_sig import by_sig_calldata
from starfish_dao.relay.intake.checked import FINALIZE_GAS, GAS_LIMITS, SIGNED, UNSIGNED, Checked, digest
from starfish_dao.relay.intake.fields import address_field, hex_field, int_field, message_fields

log = logging.getLogger("starfish.relay")
#: `Charter.MAX_REVENUE_TOKENS`: the most a Finalize can settle besides ETH
MAX_REVENUE_TOKENS = 8


@functools.lru_cache(maxsize=64)
def _selector(signature: str) -> bytes:
    return bytes(function_signature_to_4byte_selector(signature))


class Parser:
    def __init__(self, sf: Starfish) -> None:
        self.sf = sf
        self.chain_id = sf.deployment.chain_id
        self._domains: dict[str, tuple[td.Domain, dict[str, Any], bytes]] = {}
        self._tokens = MAX_REVENUE_TOKENS  # until the first read: never too few
        self._tokens_at = -1e9
        self._tokens_reading = threading.Event()

    def parse(self, body: Any) -> Checked:
        """Shape, domain and signature: everything that needs no chain."""
        if not isinstance(body, dict):
            raise Refusal(400, "malformed", "the request body must be a JSON object")
        action = body.get("action")
        if action in SIGNED:
            return self._signed(action, body)
        if action == "Commit":  # signed by an active member, for the relay only
            fields = commits.parse(body, self.chain_id, fast.checksum(self.sf.registry.address))
            return Checked(kind=action, gas=GAS_LIMITS[action], **fields)
        if action == "Finalize":
            contribution = int_field(body.get("contribution"), "contribution")
            request = {"action": action, "contribution": contribution}
            call = self.sf.registry.functions.finalize(contribution)
            gas = FINALIZE_GAS + 60_000 * self._token_count()
            return Checked(digest(request), action, None, request, *self._encode(call), gas)
        if action == "Reveal":
            contribution = int_field(body.get("contribution"), "contribution")
            reviewer = address_field(body.get("reviewer"), "reviewer")
            stars = int_field(body.get("stars"), "stars")
            if not 0 <= stars <= 5:
                raise Refusal(400, "malformed", f"stars must be 0-5 (got {stars})")
            comment = hex_field(body.get("commentCid", "0x"), "commentCid")
            salt = hex_field(body.get("salt"), "salt", 32)
            if len(salt) != 32:
                raise Refusal(400, "malformed", "salt must be 32 bytes")
            request = {"action": action, "contribution": contribution, "reviewer": reviewer, "stars": stars,
                       "commentCid": "0x" + comment.hex(), "salt": "0x" + salt.hex()}  # fmt: skip
            call = self.sf.registry.functions.revealReview(contribution, reviewer, stars, comment, salt)
            # one reveal of a rating: the same opening posted twice is one action
            return Checked(digest({"action": action, "contribution": contribution, "reviewer": reviewer}), action,
                           None, request, *self._encode(call), GAS_LIMITS[action],
                           conflict_key=conflicts.reveals_of(reviewer))  # fmt: skip
        if action == "Claim":
            member = address_field(body.get("member"), "member")
            token = address_field(body.get("token", ETH), "token")
            request = {"action": action, "member": member, "token": token}
            call = self.sf.splitter.functions.claim(member, token)
            return Checked(digest(request), action, None, request, *self._encode(call), GAS_LIMITS[action],
                           conflict_key=conflicts.claim(member, token))  # fmt: skip
        if action == "FixSeed":  # an ended epoch's grid seed: chooses its block, or fixes it from that block's hash
            if "grid" not in self.sf.deployment.addresses:
                raise Refusal(422, "not_deployed", "this community has no grid contract: no seed to fix")
            epoch = int_field(body.get("epoch"), "epoch")
            # the block the seed waits for (0: choose one): the two steps are two actions, two ids
            seed_block = int_field(body.get("seedBlock", 0), "seedBlock")
            request = {"action": action, "epoch": epoch, "seedBlock": seed_block}
            call = self.sf.grid.functions.fixSeed(epoch)
            return Checked(digest(request), action, None, request, *self._encode(call), GAS_LIMITS[action],
                           conflict_key=conflicts.seed())  # fmt: skip
        if action == "DrawPanel":  # records a contribution's panel seed from its submission block's hash
            contribution = int_field(body.get("contribution"), "contribution")
            request = {"action": action, "contribution": contribution}
            call = self.sf.registry.functions.drawPanel(contribution)
            return Checked(digest(request), action, None, request, *self._encode(call), GAS_LIMITS[action])
        if action in ("ScoreReview", "Forfeit"):
            contribution = int_field(body.get("contribution"), "contribution")
            reviewer = address_field(body.get("reviewer"), "reviewer")
            request = {"action": action, "contribution": contribution, "reviewer": reviewer}
            registry = self.sf.registry.functions
            fn = registry.scoreReview if action == "ScoreReview" else registry.forfeitUnrevealed
            call = fn(contribution, reviewer)
            # one rating: a score and a forfeit of it cannot both succeed; the same one twice is one action
            return Checked(digest(request), action, None, request, *self._encode(call), GAS_LIMITS[action],
                           conflict_key=conflicts.rating(contribution, reviewer))  # fmt: skip
        if action == "ClaimReviewPay":
            reviewer = address_field(body.get("reviewer"), "reviewer")
            epoch = int_field(body.get("epoch"), "epoch")
            token = address_field(body.get("token", ETH), "token")
            request = {"action": action, "reviewer": reviewer, "epoch": epoch, "token": token}
            call = self.sf.registry.functions.claimReviewPay(reviewer, epoch, token)
            return Checked(digest(request), action, None, request, *self._encode(call), GAS_LIMITS[action],
                           conflict_key=conflicts.review_pay(reviewer, epoch, token))  # fmt: skip
        if action in ("RevealCheck", "Attest", "ClaimHostingPay"):
            return self._grid_action(action, body)
        known = ", ".join((*SIGNED, "Commit", *UNSIGNED))
        raise Refusal(400, "unknown_action", f"unknown action {action!r}; known: {known}")

    def _grid_action(self, action: str, body: dict[str, Any]) -> Checked:
        """The grid's unsigned actions: each only does what anyone may (a reveal opens a seal its
        checker made; an attestation records the checkers' majority; a claim pays the host)."""
        if "grid" not in self.sf.deployment.addresses:
            raise Refusal(422, "not_deployed", f"this community has no grid (deployed before it existed): "
                          f"{action} cannot be carried out here")  # fmt: skip
        epoch = int_field(body.get("epoch"), "epoch")
        host = address_field(body.get("host"), "host")
        grid = self.sf.grid.functions
        if action == "Attest":
            request: dict[str, Any] = {"action": action, "epoch": epoch, "host": host}
            return Checked(digest(request), action, None, request, *self._encode(grid.attest(epoch, host)),
                           GAS_LIMITS[action], conflict_key=conflicts.attestation(epoch, host))  # fmt: skip
        if action == "ClaimHostingPay":
            token = address_field(body.get("token", ETH), "token")
            request = {"action": action, "epoch": epoch, "host": host, "token": token}
            call = grid.claimHostingPay(host, epoch, token)
            return Checked(digest(request), action, None, request, *self._encode(call), GAS_LIMITS[action],
                           conflict_key=conflicts.hosting_pay(host, epoch, token))  # fmt: skip
        checker = address_field(body.get("checker"), "checker")
        held = int_field(body.get("held"), "held")
        passes = int_field(body.get("passes"), "passes")
        evidence = hex_field(body.get("evidence", "0x"), "evidence", 128)
        failed_raw = body.get("failed", [])
        if not isinstance(failed_raw, list) or len(failed_raw) > 16:
            raise Refusal(400, "malformed", "failed is a list of at most 16 block digests (0x + 64 hex digits)")
        failed = [hex_field(f, "failed", 32) for f in failed_raw]
        if any(len(f) != 32 for f in failed):
            raise Refusal(400, "malformed", "each failed digest is 32 bytes")
        salt = hex_field(body.get("salt"), "salt", 32)
        if len(salt) != 32 or held >= 2**64 or passes > 255:
            raise Refusal(400, "malformed", "salt is 32 bytes; held fits 64 bits; passes 0 to 10")
        request = {"action": action, "epoch": epoch, "host": host, "checker": checker, "held": held,
                   "passes": passes, "evidence": "0x" + evidence.hex(), "failed": ["0x" + f.hex() for f in failed],
                   "salt": "0x" + salt.hex()}  # fmt: skip
        call = grid.revealCheck(epoch, host, checker, (held, passes, evidence, failed), salt)
        return Checked(digest(request), action, None, request, *self._encode(call), GAS_LIMITS[action],
                       conflict_key=conflicts.check(epoch, host, checker))  # fmt: skip

    def _encode(self, call: Any) -> tuple[str, bytes]:
        return call.address, bytes.fromhex(call._encode_transaction_data()[2:])

    def _signed(self, action: str, body: dict[str, Any]) -> Checked:
        data = body.get("typedData")
        if not isinstance(data, dict):
            raise Refusal(400, "malformed", "typedData (the EIP-712 JSON that was signed) is required")
        if data.get("primaryType") != action:
            raise Refusal(400, "malformed", f"typedData.primaryType must be {action}")
        types = data.get("types", {})
        if not isinstance(types, dict) or types.get(action) != td.ACTION_TYPES[action]:
            raise Refusal(400, "malformed", f"typedData.types.{action} is not the contract's {td.type_string(action)}")
        message = message_fields(action, data.get("message"))
        signature = hex_field(body.get("signature"), "signature", 65)
        if len(signature) != 65:
            raise Refusal(400, "malformed", "signature must be 65 bytes (r, s, v)")
        domain_obj, expected, separator = self._domain(action)
        domain = data.get("domain")
        if not isinstance(domain, dict):
            raise Refusal(400, "malformed", "typedData.domain is required")
        for key, want in expected.items():
            got = domain.get(key)
            if key == "verifyingContract" and isinstance(got, str) and fast.is_address(got):
                got = fast.checksum(got)
            if key == "chainId" and isinstance(got, str):
                got = int_field(got, "domain.chainId")
            if got != want:
                raise Refusal(
                    422, "wrong_domain", f"signed for domain.{key}={got!r}, but this relay serves {want!r}",
                    {"field": key, "expected": want, "got": got},
                )  # fmt: skip
        full = td.typed_data(action, domain_obj, message)
        signer = message[td.signer_field(action)]
        signed_digest = td.digest(action, separator, message)
        signature = commits.signed_by(signer, signed_digest, signature)
        request = {"action": action, "typedData": full, "signature": "0x" + signature.hex()}
        to, calldata = by_sig_calldata(self.sf.deployment.addresses, action, message, signature)
        # the id: the action, what was signed (the EIP-712 digest covers every field and the domain)
        # and the signature; the same request always gets the same id
        action_id = "0x" + hashlib.sha256(action.encode() + signed_digest + signature).hexdigest()
        return Checked(action_id, action, signer, request, to, calldata, GAS_LIMITS[action],
                       message.get("deadline"), message["nonce"], conflicts.signer(signer))  # fmt: skip

    def _domain(self, action: str) -> tuple[td.Domain, dict[str, Any], bytes]:
        """The domain `action` must be signed for: the object, its JSON, and its separator (the
        deployment's, fixed for the relay's life: computed once)."""
        known = self._domains.get(action)
        if known is None:
            role = td.ACTION_DOMAINS[action][0]
            if role not in self.sf.deployment.addresses:
                raise Refusal(422, "not_deployed", f"this community has no {role} contract (deployed before it "
                              f"existed): {action} cannot be carried out here")  # fmt: skip
            domain = td.domain_for(action, self.chain_id, self.sf.deployment.addresses)
            known = self._domains[action] = (domain, domain.as_dict(), td.domain_separator(domain))
        return known

    def _token_count(self) -> int:
        """Listed revenue tokens (a Finalize settles each), read again every 10 s: governance can list
        one at any time, and a stale count would make the simulation run out of gas. The read runs in
        a thread of its own: this is called on the event loop, which must never wait on the node
        (a stalled node once held every request of every client for 42 s). Until the first read
        answers, the most the charter allows is assumed."""
        if time.monotonic() - self._tokens_at > 10 and not self._tokens_reading.is_set():
            self._tokens_reading.set()
            threading.Thread(target=self._read_token_count, name="token-count", daemon=True).start()
        return self._tokens

    def _read_token_count(self) -> None:
        try:
            self._tokens = len(self.sf.charter.functions.revenueTokens().call())
            self._tokens_at = time.monotonic()
        except Exception as exc:  # noqa: BLE001 - the node is down: keep the last count, try again later
            log.warning("reading the revenue tokens: %s", scrub(str(exc)))
        finally:
            self._tokens_reading.clear()
