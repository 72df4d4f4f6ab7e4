"""EIP-712 typed data for every signed action, each with its own struct so a wallet shows what is signed.

Pure: builds the JSON that `eth_signTypedData_v4` takes and eth-account's `SignableMessage`;
signing is left to the caller (`Account.sign_message`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import encode
from eth_account.messages import SignableMessage, encode_typed_data
from eth_utils.crypto import keccak

DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]

#: Each action's struct, field by field, exactly as the contracts hash it.
ACTION_TYPES: dict[str, list[dict[str, str]]] = {
    "Join": [
        {"name": "member", "type": "address"},
        {"name": "generation", "type": "uint256"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ],
    "Leave": [
        {"name": "member", "type": "address"},
        {"name": "generation", "type": "uint256"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ],
    "Submit": [
        {"name": "author", "type": "address"},
        {"name": "cid", "type": "bytes"},
        {"name": "contentHash", "type": "bytes32"},
        {"name": "effort", "type": "uint32"},
        {"name": "salt", "type": "bytes32"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ],
    # a rating sealed while the window is open: `sealed` hides the stars and the comment until the
    # reveal (an unsigned `Reveal` after the window closes, by whoever holds the opening)
    "SealedReview": [
        {"name": "reviewer", "type": "address"},
        {"name": "contribution", "type": "uint256"},
        {"name": "sealed", "type": "bytes32"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ],
    "ClaimTo": [
        {"name": "member", "type": "address"},
        {"name": "token", "type": "address"},
        {"name": "to", "type": "address"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ],
    # pay earned in an earlier incarnation of a token (listed before a delisting), to another address
    "ClaimIncarnationTo": [
        {"name": "member", "type": "address"},
        {"name": "token", "type": "address"},
        {"name": "incarnation", "type": "uint256"},
        {"name": "to", "type": "address"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ],
    # a member offers to host the community's files at `endpoint` (UTF-8: gateway URL and/or multiaddr)
    "RegisterHost": [
        {"name": "host", "type": "address"},
        {"name": "endpoint", "type": "bytes"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ],
    "UnregisterHost": [
        {"name": "host", "type": "address"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ],
    # a checker's sealed result of checking a host for an epoch (`Grid.checkSeal`), relayable
    "SealCheck": [
        {"name": "checker", "type": "address"},
        {"name": "epoch", "type": "uint256"},
        {"name": "host", "type": "address"},
        {"name": "sealed", "type": "bytes32"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ],
    # OpenZeppelin Governor's own ballot (its nonces are sequential, per voter; it has no deadline)
    "Ballot": [
        {"name": "proposalId", "type": "uint256"},
        {"name": "support", "type": "uint8"},
        {"name": "voter", "type": "address"},
        {"name": "nonce", "type": "uint256"},
    ],
}

#: Which contract verifies which action, and that contract's EIP-712 name and version.
ACTION_DOMAINS: dict[str, tuple[str, str, str]] = {
    "Join": ("membership", "Starfish Membership", "1"),
    "Leave": ("membership", "Starfish Membership", "1"),
    "Submit": ("registry", "Starfish Contributions", "1"),
    "SealedReview": ("registry", "Starfish Contributions", "1"),
    "ClaimTo": ("splitter", "Starfish Splitter", "1"),
    "ClaimIncarnationTo": ("splitter", "Starfish Splitter", "1"),
    "Ballot": ("governor", "Starfish Governor", "1"),
    "RegisterHost": ("grid", "Starfish Grid", "1"),
    "UnregisterHost": ("grid", "Starfish Grid", "1"),
    "SealCheck": ("grid", "Starfish Grid", "1"),
}

#: The field that names who signs, where it is not the first one.
_SIGNER_FIELDS = {"Ballot": "voter"}


def signer_field(action: str) -> str:
    """The message field that names the signer (`reviewer` of a SealedReview, `voter` of a Ballot...)."""
    return _SIGNER_FIELDS.get(action, ACTION_TYPES[action][0]["name"])


def type_string(action: str) -> str:
    """`Review(address reviewer,...)`: the string whose keccak256 is the contract's typehash."""
    fields = ",".join(f"{f['type']} {f['name']}" for f in ACTION_TYPES[action])
    return f"{action}({fields})"


@dataclass(frozen=True)
class Domain:
    name: str
    version: str
    chain_id: int
    verifying_contract: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "chainId": self.chain_id,
            "verifyingContract": self.verifying_contract,
        }


def domain_for(action: str, chain_id: int, contracts: dict[str, str]) -> Domain:
    """The domain of the contract that verifies `action`, given `{"membership": addr, "registry": addr}`."""
    role, name, version = ACTION_DOMAINS[action]
    return Domain(name, version, chain_id, contracts[role])


def typed_data(action: str, domain: Domain, message: dict[str, Any]) -> dict[str, Any]:
    """The full EIP-712 JSON (what `eth_signTypedData_v4` takes). `bytes` fields as 0x-hex strings."""
    if action not in ACTION_TYPES:
        raise ValueError(f"unknown action {action!r}; known: {', '.join(ACTION_TYPES)}")
    names = [f["name"] for f in ACTION_TYPES[action]]
    missing = [n for n in names if n not in message]
    extra = [n for n in message if n not in names]
    if missing or extra:
        raise ValueError(f"{action} message: missing {missing}, unexpected {extra}")
    normalized = {}
    for f in ACTION_TYPES[action]:
        value = message[f["name"]]
        if f["type"] in ("bytes", "bytes32") and isinstance(value, bytes | bytearray):
            value = "0x" + bytes(value).hex()
        normalized[f["name"]] = value
    return {
        "types": {"EIP712Domain": DOMAIN_TYPE, action: ACTION_TYPES[action]},
        "primaryType": action,
        "domain": domain.as_dict(),
        "message": normalized,
    }


def signable(data: dict[str, Any]) -> SignableMessage:
    """eth-account's `SignableMessage` for typed data built by `typed_data`."""
    return encode_typed_data(full_message=data)


# ---------------------------------------------------------------------- fast hashing

_DOMAIN_TYPEHASH = keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")


def domain_separator(domain: Domain) -> bytes:
    """The EIP-712 domain separator, as the contract's `DOMAIN_SEPARATOR()` returns it."""
    return keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [
                _DOMAIN_TYPEHASH,
                keccak(text=domain.name),
                keccak(text=domain.version),
                domain.chain_id,
                domain.verifying_contract,
            ],
        )
    )


def digest(action: str, domain_hash: bytes, message: dict[str, Any]) -> bytes:
    """The EIP-712 digest a signature covers: keccak(0x1901 || domain separator || hashStruct(message)),
    computed directly (the same bytes as eth-account's `encode_typed_data`, several times faster)."""
    from starfish_dao.domain import fastabi

    fields = ACTION_TYPES[action]
    types = ["bytes32"]
    values: list[Any] = [_type_hash(action)]
    for f in fields:
        value = message[f["name"]]
        if f["type"] == "bytes":
            raw = value if isinstance(value, bytes | bytearray) else bytes.fromhex(str(value).removeprefix("0x"))
            types.append("bytes32")
            values.append(fastabi.keccak(bytes(raw)))
        elif f["type"] == "bytes32" and not isinstance(value, bytes | bytearray):
            types.append("bytes32")
            values.append(bytes.fromhex(str(value).removeprefix("0x")))
        else:
            types.append(f["type"])
            values.append(value)
    return fastabi.keccak(b"\x19\x01" + domain_hash + fastabi.keccak(fastabi.encode(types, values)))


@functools.lru_cache(maxsize=64)
def _type_hash(action: str) -> bytes:
    return bytes(keccak(text=type_string(action)))
