"""Who pays for a relayed Commit (issue 24, finding 5).

A commitment is 32 bytes that say nothing of their author (that is their point), and the registry
takes one from anyone. Unsigned, the relay paid for whatever it was sent: 1,414 random commitments
from 3 loopback addresses in 15 s (72 M gas), limited only per IP, and an IPv6 /64 is 2^64 IPs.

The rule: the relay carries a Commit only when an active member signs it. The signature is an
EIP-712 `RelayCommit(address member,bytes32 commitment,uint256 deadline)` in the relay's own domain
("Starfish Relay", version 1, this chain, the registry's address), checked here, off-chain: the
contract never sees it, so no contract changes. The member is read as active in the same JSON-RPC
batch that simulates the commit, and the Commit counts against that member's per-signer rate and
gas budget like any signed action, whatever IP it comes from. Why this rule: it ties the gas to
someone the community admitted, at the cost of one wallet prompt, where a bundle with the Submit
would have the relay hold a signed reveal until the commit is mined, and a per-prefix bound would
still pay for nobody's commitments. The deadline bounds a replay, and a replayed body is the same
request with the same id (answered as a duplicate). Anyone can still commit directly
(`registry.commit`), paying their own gas.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
from typing import Any

from eth_utils.abi import function_signature_to_4byte_selector

from starfish_dao.domain import fastabi as fast
from starfish_dao.domain import typed_data as td
from starfish_dao.relay.edge.problems import Refusal
from starfish_dao.relay.intake import conflicts
from starfish_dao.relay.intake.fields import field_value, hex_field

PRIMARY = "RelayCommit"
FIELDS = [
    {"name": "member", "type": "address"},
    {"name": "commitment", "type": "bytes32"},
    {"name": "deadline", "type": "uint256"},
]
DOMAIN_NAME, DOMAIN_VERSION = "Starfish Relay", "1"
_TYPE_HASH = fast.keccak(b"RelayCommit(address member,bytes32 commitment,uint256 deadline)")
_COMMIT = bytes(function_signature_to_4byte_selector("commit(bytes32)"))
_IS_ACTIVE = bytes(function_signature_to_4byte_selector("isActive(address)"))

UNSIGNED = (
    "the relay pays for a Commit only when an active member signs it: ask POST /v1/actions/typed-data for "
    '{"action": "Commit", "signer": <member>, "fields": {"commitment": <0x...>}}, sign the RelayCommit it '
    'returns (eth_signTypedData_v4) and post {"action": "Commit", "typedData", "signature"}; or commit '
    "directly (registry.commit), paying your own gas"
)


def signed_by(signer: str, signed_digest: bytes, signature: bytes) -> bytes:
    """Refuses (422 bad_signature) a signature that does not recover to `signer`; returns it with v
    as the contracts read it (27 or 28: OpenZeppelin's ECDSA refuses 0/1 and 35+), so one signature
    written two ways is one action, with one id."""
    try:
        recovered = fast.recover_lower(signed_digest, signature)
    except Exception:  # noqa: BLE001 - any malformed signature
        raise Refusal(422, "bad_signature", "the signature cannot be recovered") from None
    if recovered != signer.lower():
        recovered = fast.checksum(recovered)
        raise Refusal(422, "bad_signature", f"signed by {recovered}, not by {signer}",
                      {"recovered": recovered, "claimed": signer})  # fmt: skip
    return signature[:64] + bytes([27 + fast.recovery_id(signature[64])])


def domain(chain_id: int, registry: str) -> td.Domain:
    return td.Domain(DOMAIN_NAME, DOMAIN_VERSION, chain_id, registry)


def typed_data(chain_id: int, registry: str, member: str, commitment: str, deadline: int) -> dict[str, Any]:
    """The JSON `eth_signTypedData_v4` takes (and eth-account's `encode_typed_data(full_message=...)`)."""
    return {
        "types": {"EIP712Domain": td.DOMAIN_TYPE, PRIMARY: FIELDS},
        "primaryType": PRIMARY,
        "domain": domain(chain_id, registry).as_dict(),
        "message": {"member": member, "commitment": commitment, "deadline": deadline},
    }


@functools.lru_cache(maxsize=8)
def _separator(chain_id: int, registry: str) -> bytes:
    return td.domain_separator(domain(chain_id, registry))


def digest(chain_id: int, registry: str, member: str, commitment: bytes, deadline: int) -> bytes:
    struct = fast.keccak(fast.encode(["bytes32", "address", "bytes32", "uint256"],
                                     [_TYPE_HASH, member, commitment, deadline]))  # fmt: skip
    return fast.keccak(b"\x19\x01" + _separator(chain_id, registry) + struct)


def parse(body: dict[str, Any], chain_id: int, registry: str) -> dict[str, Any]:
    """The checked Commit of `body` as `Checked`'s fields (id, signer, request, to, data, deadline,
    conflict key); a Refusal for an unsigned one, a foreign domain or a signature by someone else."""
    data, signature_hex = body.get("typedData"), body.get("signature")
    if data is None and signature_hex is None:
        raise Refusal(403, "signature_required", UNSIGNED)
    if not isinstance(data, dict) or data.get("primaryType") != PRIMARY:
        raise Refusal(400, "malformed", f"typedData.primaryType must be {PRIMARY} (see POST /v1/actions/typed-data)")
    types = data.get("types")
    if not isinstance(types, dict) or types.get(PRIMARY) != FIELDS:
        raise Refusal(400, "malformed", f"typedData.types.{PRIMARY} is not the relay's {FIELDS}")
    message = data.get("message")
    if not isinstance(message, dict) or set(message) != {f["name"] for f in FIELDS}:
        raise Refusal(400, "malformed", "typedData.message must hold exactly member, commitment and deadline")
    member = field_value(message["member"], "member", "address")
    commitment = field_value(message["commitment"], "commitment", "bytes32")
    deadline = field_value(message["deadline"], "deadline", "uint256")
    expected = domain(chain_id, registry).as_dict()
    got = data.get("domain")
    if not isinstance(got, dict) or _normalized(got) != expected:
        raise Refusal(422, "wrong_domain", f"a RelayCommit is signed for the domain {expected}, not {got!r}",
                      {"expected": expected, "got": got})  # fmt: skip
    signature = hex_field(signature_hex, "signature", 65)
    if len(signature) != 65:
        raise Refusal(400, "malformed", "signature must be 65 bytes (r, s, v)")
    signed = digest(chain_id, registry, member, bytes.fromhex(commitment[2:]), deadline)
    signature = signed_by(member, signed, signature)
    full = typed_data(chain_id, registry, member, commitment, deadline)
    return {
        "id": "0x" + hashlib.sha256(b"Commit" + signed + signature).hexdigest(),
        "signer": member,
        "request": {"action": "Commit", "typedData": full, "signature": "0x" + signature.hex()},
        "to": registry,
        "data": _COMMIT + bytes.fromhex(commitment[2:]),
        "deadline": deadline,
        "conflict_key": conflicts.signer(member),
    }


def is_active_call(member: str) -> bytes:
    """Calldata of `membership.isActive(member)`."""
    return _IS_ACTIVE + fast.encode(["address"], [member])


def require_member(member: str, answer: Any) -> None:
    """Refuses the Commit unless `answer` (isActive's 32-byte word, hex or bytes) says yes."""
    raw = bytes.fromhex(answer[2:]) if isinstance(answer, str) else bytes(answer or b"")
    if not raw or int.from_bytes(raw, "big") == 0:
        raise Refusal(403, "not_a_member", f"{member} is not an active member: this relay pays for the Commits of "
                      "active members only (join first, or commit directly, paying your own gas)")  # fmt: skip


def _normalized(domain: dict[str, Any]) -> dict[str, Any]:
    """`domain` with a chain id given as a string read as a number and the address checksummed."""
    chain, contract = domain.get("chainId"), domain.get("verifyingContract")
    if isinstance(chain, str):
        with contextlib.suppress(ValueError):
            chain = int(chain, 0)
    return {**domain, "chainId": chain, "verifyingContract": fast.checksum(contract) if fast.is_address(contract)
            else contract}  # fmt: skip
