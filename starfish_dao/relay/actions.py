"""Checking a request before it is accepted, and turning it into the contract call that carries it out.

Pure checks (shape, domain, signature) come first, then the chain's view (deadline, nonce,
simulation with the action's gas limit). Every refusal is a `Refusal` with an HTTP status, a code
and a message that says what was wrong.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import encode
from eth_utils.abi import function_signature_to_4byte_selector

from starfish_dao.chain.client import Starfish
from starfish_dao.chain.errors import decode_revert
from starfish_dao.chain.rpc import RawRpc, ViewCalls
from starfish_dao.domain import fastabi as fast
from starfish_dao.domain import typed_data as td
from starfish_dao.domain.address import address_problem
from starfish_dao.domain.model import ETH
from starfish_dao.relay import commits, conflicts
from starfish_dao.relay.edge.problems import Refusal
from starfish_dao.relay.edge.redaction import scrub
from starfish_dao.relay.submitter import TIP

log = logging.getLogger("starfish.relay")
#: `Charter.MAX_REVENUE_TOKENS`: the most a Finalize can settle besides ETH
MAX_REVENUE_TOKENS = 8

SIGNED = ("Join", "Leave", "Submit", "Review", "ClaimTo", "ClaimIncarnationTo", "Ballot")
UNSIGNED = ("Finalize", "Claim")  # a Commit is signed for the relay only (relay/commits.py)
#: Gas each action may use; the simulation runs with this limit, so an action that needs more is refused.
GAS_LIMITS = {
    "Join": 200_000, "Leave": 150_000, "Submit": 300_000, "Review": 250_000, "Claim": 200_000, "ClaimTo": 220_000,
    "ClaimIncarnationTo": 220_000,
    "Commit": 100_000, "Ballot": 250_000,
}  # fmt: skip
FINALIZE_GAS = 350_000  # plus 60,000 per listed revenue token (the award settles each)


_NONCE_USED = function_signature_to_4byte_selector("nonceUsed(address,uint256)")
_CLAIMABLE = function_signature_to_4byte_selector("claimable(address,address)")
_PROPOSAL_DEADLINE = function_signature_to_4byte_selector("proposalDeadline(uint256)")


@functools.lru_cache(maxsize=64)
def _selector(signature: str) -> bytes:
    return bytes(function_signature_to_4byte_selector(signature))


def _eth_call(i: int, to: str, data: bytes) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": i,
        "method": "eth_call",
        "params": [{"to": to, "data": "0x" + data.hex()}, "latest"],
    }


@dataclass
class Checked:
    id: str
    kind: str
    signer: str | None
    request: dict[str, Any]
    to: str
    data: bytes
    gas: int
    deadline: int | None = None
    nonce: int | None = None
    conflict_key: str | None = None  # actions with the same key are simulated one after the other


def claim_of(checked: Checked) -> tuple[str, str] | None:
    """(member, token) of a Claim or a ClaimTo, else None."""
    if checked.kind == "Claim":
        return checked.request["member"], checked.request["token"]
    if checked.kind == "ClaimTo":
        message = checked.request["typedData"]["message"]
        return fast.checksum(str(message["member"])), fast.checksum(str(message["token"]))
    return None


def content_of(item: Any) -> str | None:
    """The content hash a Submit reveals (a checked action or a queued one), lower-case hex; else None."""
    if item.kind != "Submit":
        return None
    value = item.request["typedData"]["message"]["contentHash"]
    text = value.hex() if isinstance(value, bytes) else str(value)
    return text.lower().removeprefix("0x")


def digest(request: dict[str, Any]) -> str:
    return "0x" + hashlib.sha256(json.dumps(request, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _int(value: Any, field: str, bits: int = 256) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise Refusal(400, "malformed", f"{field} must be an integer")
    try:
        number = int(value, 0) if isinstance(value, str) else value
    except ValueError:
        raise Refusal(400, "malformed", f"{field} must be an integer, got {value!r}") from None
    if not 0 <= number < 2**bits:
        raise Refusal(400, "malformed", f"{field} must be in [0, 2^{bits})")
    return number


def _address(value: Any, field: str) -> str:
    problem = address_problem(value)
    if problem is not None:
        raise Refusal(400, "malformed", f"{field} {problem}")
    return fast.checksum(value)


def _hexbytes(value: Any, field: str, limit: int = 128) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise Refusal(400, "malformed", f"{field} must be 0x-prefixed hex")
    try:
        raw = bytes.fromhex(value[2:])
    except ValueError:
        raise Refusal(400, "malformed", f"{field} is not valid hex") from None
    if len(raw) > limit:
        raise Refusal(400, "malformed", f"{field} is longer than {limit} bytes")
    return raw


def field_value(value: Any, name: str, typ: str) -> Any:
    """One typed-data field, checked and normalized: checksum address, 0x-hex bytes, or an integer."""
    if typ == "address":
        return _address(value, name)
    if typ == "bytes":
        return "0x" + _hexbytes(value, name).hex()
    if typ == "bytes32":
        raw = _hexbytes(value, name, 32)
        if len(raw) != 32:
            raise Refusal(400, "malformed", f"{name} must be 32 bytes")
        return "0x" + raw.hex()
    return _int(value, name, int(typ[4:]))


def _message(action: str, message: Any) -> dict[str, Any]:
    if not isinstance(message, dict):
        raise Refusal(400, "malformed", "typedData.message must be an object")
    names = [f["name"] for f in td.ACTION_TYPES[action]]
    missing = [n for n in names if n not in message]
    extra = [n for n in message if n not in names]
    if missing or extra:
        raise Refusal(400, "malformed", f"{action} message: missing {missing}, unexpected {extra}")
    return {f["name"]: field_value(message[f["name"]], f["name"], f["type"]) for f in td.ACTION_TYPES[action]}


#: Signed actions are simulated as if mined this many seconds after the chain's time (so that an
#: action valid now but not by the time it is mined is refused before it costs gas).
SIMULATE_AHEAD = 60
#: The time-critical conditions of signed actions only run out (a signature's deadline, a review
#: window, a reveal window); the Governor's ballot also waits for its vote to open, so it is
#: simulated at the chain's time.
_AHEAD_KINDS = frozenset(SIGNED) - {"Ballot"}


class Checker:
    def __init__(self, sf: Starfish, relayer: str, ahead: int = SIMULATE_AHEAD) -> None:
        self.sf = sf
        self.ahead = ahead
        self._chain_time = 0  # the latest block's time at the previous check
        self.rpc = RawRpc(sf.w3)
        self.relayer = relayer
        self.chain_id = sf.deployment.chain_id
        self._separators: dict[str, bytes] = {}
        self._tokens = MAX_REVENUE_TOKENS  # until the first read: never too few
        self._tokens_at = -1e9
        self._tokens_reading = threading.Event()

    def check(self, body: Any, in_flight: list[Any] | None = None) -> Checked:
        """Both phases: the request's own validity, then the chain's."""
        return self.on_chain(self.parse(body), in_flight or [])

    def on_chain(self, checked: Checked, in_flight: list[Any] | None = None) -> Checked:
        outcome = self.on_chain_many([(checked, in_flight or [])])[0]
        if isinstance(outcome, Refusal):
            raise outcome
        return outcome

    def on_chain_many(self, items: list[tuple[Checked, list[Any]]]) -> list[Checked | Refusal]:
        """The chain's view of many actions in one JSON-RPC batch: the latest block (deadlines), each
        signed action's nonce, each claim's amount, and a simulation of each action with its gas
        limit, run after the same signer's actions still in flight (`eth_simulateV1`), so that a
        second conflicting action is refused before it costs gas."""
        if self.rpc.url is None:
            return [self._on_chain_in_process(c, f) for c, f in items]
        # when the action is mined: the next block comes at the chain's time or the wall clock,
        # whichever is later (an idle dev chain's latest block may be hours old)
        at = max(self._chain_time, int(time.time())) + self.ahead
        outcome = self._on_chain_batch(items, at)
        if outcome is None:  # the chain's clock jumped past the estimate: again, with its time
            outcome = self._on_chain_batch(items, max(self._chain_time, int(time.time())) + self.ahead)
        if outcome is None:  # still moving (a dev chain pushed by evm_increaseTime): say so, never hang
            refusal = Refusal(503, "chain_clock_moving", "the chain's clock moved during the check: send it again")
            return [refusal for _ in items]
        return outcome

    def _on_chain_batch(self, items: list[tuple[Checked, list[Any]]], at: int) -> list[Checked | Refusal] | None:
        payload: list[dict[str, Any]] = [
            {"jsonrpc": "2.0", "id": 0, "method": "eth_getBlockByNumber", "params": ["latest", False]}
        ]
        slots: list[dict[str, int]] = []
        for checked, in_flight in items:
            slot: dict[str, int] = {}
            # a used nonce or an expired signature makes the simulation revert with the contract's own
            # NonceAlreadyUsed / SignatureExpired: no separate read per action
            claim = claim_of(checked)
            if claim is not None:
                call = _CLAIMABLE + encode(["address", "address"], list(claim))
                slot["claimable"] = len(payload)
                payload.append(_eth_call(len(payload), self.sf.splitter.address, call))
            if checked.kind == "Ballot":  # the vote must still be open when the ballot is mined
                call = _PROPOSAL_DEADLINE + encode(
                    ["uint256"], [int(checked.request["typedData"]["message"]["proposalId"])]
                )
                slot["vote_ends"] = len(payload)
                payload.append(_eth_call(len(payload), self.sf.contracts["governor"].address, call))
            if checked.kind == "Commit":  # the relay pays for active members' commits only
                slot["member"] = len(payload)
                payload.append(_eth_call(len(payload), self.sf.membership.address,
                                         commits.is_active_call(str(checked.signer))))  # fmt: skip
            if checked.signer is not None:
                # a signer with code (a contract, or an EIP-7702 delegation) is checked on chain by
                # ERC-1271, whose answer can depend on the transaction itself (gas price, origin):
                # what the simulation saw is no promise, so the relay does not pay for it
                slot["code"] = len(payload)
                payload.append({"jsonrpc": "2.0", "id": len(payload), "method": "eth_getCode",
                                "params": [checked.signer, "latest"]})  # fmt: skip
            ahead = checked.kind in _AHEAD_KINDS
            slot["simulate"] = len(payload)
            if in_flight:
                calls = [{"from": self.relayer, "to": a.request["_to"], "data": a.request["_data"],
                          "gas": hex(int(a.request["_gas"]))} for a in in_flight]  # fmt: skip
                calls.append(self._call_params(checked))
                block: dict[str, Any] = {"calls": calls}
                if ahead:
                    block["blockOverrides"] = {"time": hex(at)}
                block_calls = {"blockStateCalls": [block], "validation": False}
                payload.append({"jsonrpc": "2.0", "id": len(payload), "method": "eth_simulateV1",
                                "params": [block_calls, "latest"]})  # fmt: skip
            else:
                params: list[Any] = [self._call_params(checked), "latest"]
                if ahead:
                    params += [{}, {"time": hex(at)}]
                payload.append({"jsonrpc": "2.0", "id": len(payload), "method": "eth_call", "params": params})
            slots.append(slot)
        balance_slot = len(payload)  # can the relayer pay for what it accepts?
        payload.append({"jsonrpc": "2.0", "id": balance_slot, "method": "eth_getBalance",
                        "params": [self.relayer, "latest"]})  # fmt: skip
        answers = self.rpc._post(payload)
        if "error" in answers[0]:
            raise OSError(f"the node refused a read: {answers[0]['error']}")
        now = int(answers[0]["result"]["timestamp"], 16)
        head = int(answers[0]["result"]["number"], 16)
        self._chain_time = now
        if at < now + self.ahead:
            return None
        # what the submitter will offer per gas (twice the base fee plus its tip), against the balance
        price = 2 * int(answers[0]["result"].get("baseFeePerGas", "0x0"), 16) + TIP
        balance = int(answers[balance_slot].get("result", "0x0"), 16) if "error" not in answers[balance_slot] else None
        out: list[Checked | Refusal] = []
        for (checked, in_flight), slot in zip(items, slots, strict=True):
            try:
                if balance is not None and balance < checked.gas * price:
                    raise Refusal(503, "relayer_out_of_funds", f"this relay's relayer ({self.relayer}) holds "
                                  f"{balance} wei, less than the {checked.gas * price} wei this action may cost: "
                                  "nothing was accepted; send it directly or through another relay (the relay's "
                                  "operator funds the relayer)")  # fmt: skip
                self._deadline_and_nonce(checked, at if checked.kind in _AHEAD_KINDS else now, False)
                if "code" in slot:
                    answer = answers[slot["code"]]
                    if "error" in answer:
                        raise OSError(f"the node refused a read: {answer['error']}")
                    if str(answer["result"]) not in ("0x", "0x0", ""):
                        raise Refusal(422, "contract_signer", f"{checked.signer} has code (a contract or an EIP-7702 "
                                      "delegation): its signature is checked by the contract at mining time and "
                                      "can depend on the transaction, so this relay does not pay for it; send it "
                                      "directly")  # fmt: skip
                if "member" in slot:
                    answer = answers[slot["member"]]
                    if "error" in answer:
                        raise OSError(f"the node refused a read: {answer['error']}")
                    commits.require_member(str(checked.signer), answer["result"])
                if "vote_ends" in slot:
                    answer = answers[slot["vote_ends"]]
                    if "error" in answer:
                        raise OSError(f"the node refused a read: {answer['error']}")
                    ends = int(answer["result"], 16)
                    if ends and ends < at:
                        raise Refusal(422, "expired", f"voting ends at {ends}, before the relay can be sure to have "
                                      f"the ballot mined (by {at}, {self.ahead} s from the chain's time)")  # fmt: skip
                if "claimable" in slot:
                    answer = answers[slot["claimable"]]
                    if "error" in answer:
                        raise OSError(f"the node refused a read: {answer['error']}")
                    self._claim_amount(checked, int(answer["result"], 16), head)
                answer = answers[slot["simulate"]]
                if in_flight:
                    self._simulation_after(checked, answer, len(in_flight))
                else:
                    self._simulation_outcome(checked, answer)
                out.append(checked)
            except Refusal as refusal:
                out.append(refusal)
        return out

    def _on_chain_in_process(self, checked: Checked, in_flight: list[Any]) -> Checked | Refusal:
        """The same checks, one call at a time (an in-process py-evm chain has no JSON-RPC batches)."""
        try:
            if in_flight:
                raise Refusal(409, "conflicts_with_pending", "an action of this signer is still pending: wait until "
                              "it is mined (this chain cannot simulate one action after another)")  # fmt: skip
            if checked.signer is not None and checked.deadline is not None and checked.nonce is not None:
                now = int(self.rpc.request("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
                used = checked.kind != "Ballot" and self._nonce_used(checked.kind, checked.signer, checked.nonce)
                self._deadline_and_nonce(checked, now, used)
            if checked.kind == "Commit":
                member = str(checked.signer)
                now = int(self.rpc.request("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
                self._deadline_and_nonce(checked, now, False)
                call = {"to": self.sf.membership.address, "data": commits.is_active_call(member)}
                commits.require_member(member, self.sf.w3.eth.call(call))  # type: ignore[arg-type]
            claim = claim_of(checked)
            if claim is not None:
                splitter = self.sf.splitter
                calls = ViewCalls(self.rpc)
                calls.add(splitter.address, list(splitter.abi), "claimable", *claim)  # type: ignore[arg-type]
                head = int(self.rpc.request("eth_blockNumber", []), 16)
                self._claim_amount(checked, int(calls.run()[0] or 0), head)
            return self._simulate(checked)
        except Refusal as refusal:
            return refusal

    def _claim_amount(self, checked: Checked, amount: int, block: int) -> None:
        """A claim of nothing would succeed on chain and change nothing: the relay pays no gas for it.
        A claim is keyed by what it would pay and when, so a member claims again once more is owed
        (while one claim is in flight, asking again returns that one)."""
        claim = claim_of(checked)
        assert claim is not None
        member, token = claim
        if amount == 0:
            what = "ETH" if token == ETH else f"the token {token}"  # never "in 0x000…000"
            raise Refusal(422, "nothing_to_claim", f"{member} has nothing to claim in {what} yet: nothing is sent")
        if checked.kind == "Claim":  # a signed ClaimTo keeps the id of its signature
            checked.id = digest({**checked.request, "amount": amount, "block": block})

    def _deadline_and_nonce(self, checked: Checked, now: int, used: bool) -> None:
        if checked.deadline is not None and checked.deadline < now:
            raise Refusal(422, "expired", f"the signature expires at {checked.deadline}, before the relay can be sure "
                          f"to have it mined (by {now}, {self.ahead} s from the chain's time): sign with a later "
                          "deadline")  # fmt: skip
        if used:
            raise Refusal(409, "nonce_used", f"nonce {checked.nonce} of {checked.signer} is already used")

    def _call_params(self, checked: Checked) -> dict[str, str]:
        return {"from": self.relayer, "to": checked.to, "data": "0x" + checked.data.hex(), "gas": hex(checked.gas)}

    def _simulation_after(self, checked: Checked, answer: dict[str, Any], earlier: int) -> None:
        """The outcome of this action simulated after `earlier` pending ones of the same signer."""
        if "error" in answer:
            code = answer["error"].get("code")
            message = str(answer["error"].get("message", ""))
            if code == -32601 or "not supported" in message.lower() or "method not found" in message.lower():
                raise Refusal(409, "conflicts_with_pending", "an action of this signer is still pending: wait until "
                              "it is mined (this node cannot simulate one action after another)")  # fmt: skip
            self._simulation_outcome(checked, answer)
            return
        calls = answer["result"][0]["calls"]
        mine = calls[-1]
        if int(str(mine.get("status", "0x0")), 16) == 1:
            return
        error = mine.get("error") or {}
        data = error.get("data") or mine.get("returnData")
        reason = str(decode_revert(data)) if isinstance(data, str) and len(data) >= 10 else error.get("message", "")
        revert = decode_revert(data) if isinstance(data, str) and len(data) >= 10 else None
        raise Refusal(
            409, "conflicts_with_pending",
            f"after the {earlier} pending action(s) of the same signer (or revealing the same content) this one "
            f"would revert: {reason}",
            {"error": revert.name if revert else "", "args": {k: str(v) for k, v in revert.error_args.items()}
             if revert else {}},
        )  # fmt: skip

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
            contribution = _int(body.get("contribution"), "contribution")
            request = {"action": action, "contribution": contribution}
            call = self.sf.registry.functions.finalize(contribution)
            gas = FINALIZE_GAS + 60_000 * self._token_count()
            return Checked(digest(request), action, None, request, *self._encode(call), gas)
        if action == "Claim":
            member = _address(body.get("member"), "member")
            token = _address(body.get("token", ETH), "token")
            request = {"action": action, "member": member, "token": token}
            call = self.sf.splitter.functions.claim(member, token)
            return Checked(digest(request), action, None, request, *self._encode(call), GAS_LIMITS[action],
                           conflict_key=conflicts.claim(member, token))  # fmt: skip
        known = ", ".join((*SIGNED, "Commit", *UNSIGNED))
        raise Refusal(400, "unknown_action", f"unknown action {action!r}; known: {known}")

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
        message = _message(action, data.get("message"))
        signature = _hexbytes(body.get("signature"), "signature", 65)
        if len(signature) != 65:
            raise Refusal(400, "malformed", "signature must be 65 bytes (r, s, v)")
        expected = td.domain_for(action, self.chain_id, self.sf.deployment.addresses).as_dict()
        domain = data.get("domain")
        if not isinstance(domain, dict):
            raise Refusal(400, "malformed", "typedData.domain is required")
        for key, want in expected.items():
            got = domain.get(key)
            if key == "verifyingContract" and isinstance(got, str) and fast.is_address(got):
                got = fast.checksum(got)
            if key == "chainId" and isinstance(got, str):
                got = _int(got, "domain.chainId")
            if got != want:
                raise Refusal(
                    422, "wrong_domain", f"signed for domain.{key}={got!r}, but this relay serves {want!r}",
                    {"field": key, "expected": want, "got": got},
                )  # fmt: skip
        domain_obj = td.domain_for(action, self.chain_id, self.sf.deployment.addresses)
        full = td.typed_data(action, domain_obj, message)
        signer = message[td.signer_field(action)]
        separator = self._separators.get(action)
        if separator is None:
            separator = self._separators[action] = td.domain_separator(domain_obj)
        signed_digest = td.digest(action, separator, message)
        signature = commits.signed_by(signer, signed_digest, signature)
        request = {"action": action, "typedData": full, "signature": "0x" + signature.hex()}
        to, calldata = self._by_sig_calldata(action, message, signature)
        # the id: the action, what was signed (the EIP-712 digest covers every field and the domain)
        # and the signature; the same request always gets the same id
        action_id = "0x" + hashlib.sha256(action.encode() + signed_digest + signature).hexdigest()
        return Checked(action_id, action, signer, request, to, calldata, GAS_LIMITS[action],
                       message.get("deadline"), message["nonce"], conflicts.signer(signer))  # fmt: skip

    def _by_sig_calldata(self, action: str, m: dict[str, Any], signature: bytes) -> tuple[str, bytes]:
        """The `...BySig` call, encoded with eth_abi directly (web3's contract objects cost ~3 ms)."""

        def hexb(value: str) -> bytes:
            return bytes.fromhex(value[2:])

        if action in ("Join", "Leave"):
            name, types = f"{action.lower()}BySig", ["address", "uint256", "uint256", "uint256", "bytes"]
            values: list[Any] = [m["member"], m["generation"], m["nonce"], m["deadline"], signature]
        elif action == "Submit":
            name = "submitBySig"
            types = ["address", "bytes", "bytes32", "uint32", "bytes32", "uint256", "uint256", "bytes"]
            values = [m["author"], hexb(m["cid"]), hexb(m["contentHash"]), m["effort"], hexb(m["salt"]), m["nonce"],
                      m["deadline"], signature]  # fmt: skip
        elif action == "Ballot":  # the governor checks its own sequential nonce
            name, types = "castVoteBySig", ["uint256", "uint8", "address", "bytes"]
            values = [m["proposalId"], m["support"], m["voter"], signature]
        elif action == "ClaimTo":
            name, types = "claimToBySig", ["address", "address", "address", "uint256", "uint256", "bytes"]
            values = [m["member"], m["token"], m["to"], m["nonce"], m["deadline"], signature]
        elif action == "ClaimIncarnationTo":
            name = "claimIncarnationToBySig"
            types = ["address", "address", "uint256", "address", "uint256", "uint256", "bytes"]
            values = [m["member"], m["token"], m["incarnation"], m["to"], m["nonce"], m["deadline"], signature]
        else:
            name, types = "reviewBySig", ["address", "uint256", "uint8", "bytes", "uint256", "uint256", "bytes"]
            values = [m["reviewer"], m["contribution"], m["stars"], hexb(m["commentCid"]), m["nonce"], m["deadline"],
                      signature]  # fmt: skip
        selector = _selector(f"{name}({','.join(types)})")
        role = td.ACTION_DOMAINS[action][0]
        return self.sf.deployment.addresses[role], selector + fast.encode(types, values)

    def _nonce_used(self, action: str, signer: str, nonce: int) -> bool:
        contract = self.sf.contracts[td.ACTION_DOMAINS[action][0]]
        calls = ViewCalls(self.rpc)
        calls.add(contract.address, list(contract.abi), "nonceUsed", signer, nonce)  # type: ignore[arg-type]
        return bool(calls.run()[0])

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

    def _simulate(self, checked: Checked) -> Checked:
        params = {"from": self.relayer, "to": checked.to, "data": "0x" + checked.data.hex(), "gas": hex(checked.gas)}
        if self.rpc.url is None:
            try:
                self.sf.w3.eth.call({**params, "gas": checked.gas})  # type: ignore[typeddict-item]
            except Exception as exc:
                from starfish_dao.chain.errors import revert_from_exception

                revert = revert_from_exception(exc)
                args = {k: str(v) for k, v in revert.error_args.items()} if revert else {}
                raise Refusal(422, "would_revert", str(revert or exc), {"error": revert.name if revert else "",
                              "args": args, "chainTime": int(self.sf.now())}) from exc  # fmt: skip
            return checked
        answer = self.rpc._post([{"jsonrpc": "2.0", "id": 0, "method": "eth_call", "params": [params, "latest"]}])[0]
        self._simulation_outcome(checked, answer)
        return checked

    def _simulation_outcome(self, checked: Checked, answer: dict[str, Any]) -> None:
        if "error" not in answer:
            return
        data = answer["error"].get("data")
        if isinstance(data, dict):
            data = data.get("data")
        if isinstance(data, str) and data.startswith("0x") and len(data) >= 10:
            revert = decode_revert(data)
            args = {k: str(v) for k, v in revert.error_args.items()}
            # the chain's time of the check: a client tells "closes in 2 d 23 h" from it, not from its own clock
            told = {"error": revert.name, "args": args, "chainTime": self._chain_time or int(self.sf.now())}
            if revert.name == "NonceAlreadyUsed":
                raise Refusal(409, "nonce_used", f"nonce {checked.nonce} of {checked.signer} is already used", told)
            if revert.name == "SignatureExpired":
                raise Refusal(422, "expired", f"the signature expired at {checked.deadline}", told)
            raise Refusal(422, "would_revert", f"the contract would revert: {revert}", told)
        message = str(answer["error"].get("message", answer["error"]))
        if "gas" in message.lower():
            raise Refusal(422, "gas_cap", f"the action needs more than {checked.gas} gas: {message}")
        raise Refusal(422, "would_revert", f"the simulation failed: {message}")
