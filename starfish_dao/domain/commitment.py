"""Commit–reveal of artifacts: what a member posts before anyone may learn the content.

The registry takes a commitment `keccak256(abi.encode(author, contentHash, salt))` first and the
reveal (CID, content hash, salt) later; the earliest commitment to a content wins, so whoever copies
the content from a mempool, a relay's queue or an IPFS announcement is too late. Pure: no I/O.
"""

from __future__ import annotations

import secrets

from eth_abi.abi import encode
from eth_utils.crypto import keccak


def new_salt() -> bytes:
    """32 random bytes, so that nobody can test a guess of the committed content."""
    return secrets.token_bytes(32)


def commitment(author: str, content_hash: bytes, salt: bytes) -> bytes:
    """`keccak256(abi.encode(author, contentHash, salt))`, as `ContributionRegistry._submit` computes it."""
    if len(content_hash) != 32 or len(salt) != 32:
        raise ValueError("content hash and salt are 32 bytes each")
    return keccak(encode(["address", "bytes32", "bytes32"], [author, content_hash, salt]))
