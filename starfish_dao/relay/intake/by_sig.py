"""The contract call that carries a signed action out: its `...BySig` function with the signer's
fields and signature, ABI-encoded with `domain/fastabi.py` (web3's contract objects cost ~3 ms)."""

from __future__ import annotations

import functools
from typing import Any

from eth_utils.abi import function_signature_to_4byte_selector

from starfish_dao.domain import fastabi as fast
from starfish_dao.domain import typed_data as td
from starfish_dao.relay.edge.problems import Refusal


@functools.lru_cache(maxsize=64)
def _selector(signature: str) -> bytes:
    return bytes(function_signature_to_4byte_selector(signature))


def by_sig_calldata(addresses: dict[str, str], action: str, m: dict[str, Any], signature: bytes
                    ) -> tuple[str, bytes]:  # fmt: skip
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
    elif action == "RegisterHost":
        name, types = "registerHostBySig", ["address", "bytes", "uint256", "uint256", "bytes"]
        values = [m["host"], hexb(m["endpoint"]), m["nonce"], m["deadline"], signature]
    elif action == "UnregisterHost":
        name, types = "unregisterHostBySig", ["address", "uint256", "uint256", "bytes"]
        values = [m["host"], m["nonce"], m["deadline"], signature]
    elif action == "SealCheck":
        name = "sealCheckBySig"
        types = ["address", "uint256", "address", "bytes32", "uint256", "uint256", "bytes"]
        values = [m["checker"], m["epoch"], m["host"], hexb(m["sealed"]), m["nonce"], m["deadline"], signature]
    elif action == "SealedReview":
        name, types = "sealReviewBySig", ["address", "uint256", "bytes32", "uint256", "uint256", "bytes"]
        values = [m["reviewer"], m["contribution"], hexb(m["sealed"]), m["nonce"], m["deadline"], signature]
    else:
        raise Refusal(400, "malformed", f"{action} is not an action this relay sends")
    selector = _selector(f"{name}({','.join(types)})")
    role = td.ACTION_DOMAINS[action][0]
    return addresses[role], selector + fast.encode(types, values)
