"""Checking a request before it is accepted, and turning it into the contract call that carries it out.

Pure checks (shape, domain, signature) come first, then the chain's view (deadline, nonce,
simulation with the action's gas limit). Every refusal is a `Refusal` with an HTTP status, a code
and a message that says what was wrong.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import encode
from eth_account import Account
from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.address import is_address, to_checksum_address

from starfish_dao.chain.client import Starfish
from starfish_dao.chain.errors import decode_revert
from starfish_dao.chain.rpc import RawRpc, ViewCalls
from starfish_dao.domain import typed_data as td
from starfish_dao.domain.model import ETH

SIGNED = ("Join", "Leave", "Submit", "Review", "ClaimTo", "Ballot")
UNSIGNED = ("Commit", "Finalize", "Claim")
#: Gas each action may use; the simulation runs with this limit, so an action that needs more is refused.
GAS_LIMITS = {
    "Join": 200_000, "Leave": 150_000, "Submit": 300_000, "Review": 250_000, "Claim": 200_000, "ClaimTo": 220_000,
    "Commit": 100_000, "Ballot": 250_000,
}  # fmt: skip
FINALIZE_GAS = 350_000  # plus 60,000 per listed revenue token (the award settles each)


_NONCE_USED = function_signature_to_4byte_selector("nonceUsed(address,uint256)")


class Refusal(Exception):
    def __init__(self, status: int, code: str, message: str, detail: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.detail = status, code, message, detail or {}

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, **({"detail": self.detail} if self.detail else {})}


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
    if not isinstance(value, str) or not is_address(value):
        raise Refusal(400, "malformed", f"{field} must be a 20-byte hex address")
    return to_checksum_address(value)


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


class Checker:
    def __init__(self, sf: Starfish, relayer: str) -> None:
        self.sf = sf
        self.rpc = RawRpc(sf.w3)
        self.relayer = relayer
        self.chain_id = sf.deployment.chain_id
        self._separators: dict[str, bytes] = {}

    def check(self, body: Any) -> Checked:
        """Both phases: the request's own validity, then the chain's."""
        return self.on_chain(self.parse(body))

    def on_chain(self, checked: Checked) -> Checked:
        """Deadline and nonce (signed actions), then a simulation with the action's gas limit; over
        HTTP all three go to the node as one JSON-RPC batch."""
        signed = checked.signer is not None and checked.deadline is not None and checked.nonce is not None
        if checked.kind == "Claim":
            self._something_to_claim(checked)
        if self.rpc.url is None or not signed:
            if signed:
                now = int(self.rpc.request("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
                self._deadline_and_nonce(
                    checked, now, self._nonce_used(checked.kind, str(checked.signer), int(checked.nonce or 0))
                )
            return self._simulate(checked)
        contract = self.sf.contracts[td.ACTION_DOMAINS[checked.kind][0]]
        nonce_call = "0x" + (_NONCE_USED + encode(["address", "uint256"], [checked.signer, checked.nonce])).hex()
        answers = self.rpc._post([
            {"jsonrpc": "2.0", "id": 0, "method": "eth_getBlockByNumber", "params": ["latest", False]},
            {"jsonrpc": "2.0", "id": 1, "method": "eth_call",
             "params": [{"to": contract.address, "data": nonce_call}, "latest"]},
            {"jsonrpc": "2.0", "id": 2, "method": "eth_call", "params": [self._call_params(checked), "latest"]},
        ])  # fmt: skip
        if "error" in answers[0] or "error" in answers[1]:
            raise OSError(f"the node refused a read: {answers[0].get('error') or answers[1].get('error')}")
        now = int(answers[0]["result"]["timestamp"], 16)
        self._deadline_and_nonce(checked, now, int(answers[1]["result"], 16) != 0)
        self._simulation_outcome(checked, answers[2])
        return checked

    def _something_to_claim(self, checked: Checked) -> None:
        """A claim of nothing would succeed on chain and change nothing: the relay pays no gas for it."""
        member, token = checked.request["member"], checked.request["token"]
        splitter = self.sf.splitter
        calls = ViewCalls(self.rpc)
        calls.add(splitter.address, list(splitter.abi), "claimable", member, token)  # type: ignore[arg-type]
        if not int(calls.run()[0] or 0):
            raise Refusal(422, "nothing_to_claim", f"{member} has nothing to claim in {token}: nothing is sent")

    def _deadline_and_nonce(self, checked: Checked, now: int, used: bool) -> None:
        if checked.deadline is not None and checked.deadline < now:
            raise Refusal(422, "expired", f"the signature expired at {checked.deadline} (chain time {now})")
        if used:
            raise Refusal(409, "nonce_used", f"nonce {checked.nonce} of {checked.signer} is already used")

    def _call_params(self, checked: Checked) -> dict[str, str]:
        return {"from": self.relayer, "to": checked.to, "data": "0x" + checked.data.hex(), "gas": hex(checked.gas)}

    def parse(self, body: Any) -> Checked:
        """Shape, domain and signature: everything that needs no chain."""
        if not isinstance(body, dict):
            raise Refusal(400, "malformed", "the request body must be a JSON object")
        action = body.get("action")
        if action in SIGNED:
            return self._signed(action, body)
        if action == "Commit":
            commitment = field_value(body.get("commitment"), "commitment", "bytes32")
            request = {"action": action, "commitment": commitment}
            call = self.sf.registry.functions.commit(bytes.fromhex(commitment[2:]))
            return Checked(digest(request), action, None, request, *self._encode(call), GAS_LIMITS[action])
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
            return Checked(digest(request), action, None, request, *self._encode(call), GAS_LIMITS[action])
        known = ", ".join((*SIGNED, *UNSIGNED))
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
            if key == "verifyingContract" and isinstance(got, str) and is_address(got):
                got = to_checksum_address(got)
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
        try:
            recovered = Account._recover_hash(td.digest(action, separator, message), signature=signature)
        except Exception:  # noqa: BLE001 - any malformed signature
            raise Refusal(422, "bad_signature", "the signature cannot be recovered") from None
        if recovered != signer:
            raise Refusal(422, "bad_signature", f"signed by {recovered}, not by {signer}",
                          {"recovered": recovered, "claimed": signer})  # fmt: skip
        request = {"action": action, "typedData": full, "signature": "0x" + signature.hex()}
        to, calldata = self._by_sig_calldata(action, message, signature)
        return Checked(digest(request), action, signer, request, to, calldata, GAS_LIMITS[action],
                       message.get("deadline"), message["nonce"])  # fmt: skip

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
        else:
            name, types = "reviewBySig", ["address", "uint256", "uint8", "bytes", "uint256", "uint256", "bytes"]
            values = [m["reviewer"], m["contribution"], m["stars"], hexb(m["commentCid"]), m["nonce"], m["deadline"],
                      signature]  # fmt: skip
        selector = function_signature_to_4byte_selector(f"{name}({','.join(types)})")
        role = td.ACTION_DOMAINS[action][0]
        return self.sf.deployment.addresses[role], selector + encode(types, values)

    def _nonce_used(self, action: str, signer: str, nonce: int) -> bool:
        contract = self.sf.contracts[td.ACTION_DOMAINS[action][0]]
        calls = ViewCalls(self.rpc)
        calls.add(contract.address, list(contract.abi), "nonceUsed", signer, nonce)  # type: ignore[arg-type]
        return bool(calls.run()[0])

    def _token_count(self) -> int:
        if not hasattr(self, "_tokens"):
            self._tokens = len(self.sf.charter.functions.revenueTokens().call())
        return self._tokens

    def _simulate(self, checked: Checked) -> Checked:
        params = {"from": self.relayer, "to": checked.to, "data": "0x" + checked.data.hex(), "gas": hex(checked.gas)}
        if self.rpc.url is None:
            try:
                self.sf.w3.eth.call({**params, "gas": checked.gas})  # type: ignore[typeddict-item]
            except Exception as exc:
                from starfish_dao.chain.errors import revert_from_exception

                revert = revert_from_exception(exc)
                raise Refusal(
                    422, "would_revert", str(revert or exc), {"error": revert.name if revert else ""}
                ) from exc
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
            raise Refusal(
                422, "would_revert", f"the contract would revert: {revert}", {"error": revert.name, "args": args}
            )
        message = str(answer["error"].get("message", answer["error"]))
        if "gas" in message.lower():
            raise Refusal(422, "gas_cap", f"the action needs more than {checked.gas} gas: {message}")
        raise Refusal(422, "would_revert", f"the simulation failed: {message}")
