"""The relay's conflict keys, built in one place.

Two actions that share a key are checked one after the other (the later simulated after the
earlier in flight), never side by side: every action of one signer (their nonces), every claim of
one member and token (a second would pay nothing), every reveal of one content (only the earliest
commitment's succeeds). The queue stores the key with each action; the accept path takes a lock
per key. These functions are the only place a key's text is written.
"""

from __future__ import annotations


def signer(address: str) -> str:
    """Every action signed by `address`: its nonces are consumed in order."""
    return f"signer:{address}"


def claim(member: str, token: str) -> str:
    """Every claim of `member`'s pay in `token`: while one is in flight another pays nothing."""
    return f"claim:{member}:{token}"


def content(content_hash_hex: str) -> str:
    """Every reveal of one content: only the earliest commitment's succeeds."""
    return f"content:{content_hash_hex}"


def reveals_of(reviewer: str) -> str:
    """Every reveal of one reviewer's sealed ratings: each spends the same approval budget, so a
    second is simulated after the first still in flight (two at once once passed the check alone
    and the second reverted, with the relay paying)."""
    return f"reveals:{reviewer}"


def seed() -> str:
    """The grid's one waiting seed: two FixSeed calls in flight would race for it."""
    return "grid-seed"


def rating(contribution: int, reviewer: str) -> str:
    """Every score or forfeit of one rating: only one of them can succeed."""
    return f"rating:{contribution}:{reviewer}"


def review_pay(reviewer: str, epoch: int, token: str) -> str:
    """Every claim of one reviewer's review pay of one epoch in one token: a second pays nothing."""
    return f"review-pay:{reviewer}:{epoch}:{token}"


def check(epoch: int, host: str, checker: str) -> str:
    """Every reveal of one checker's result for one host and epoch: only one can succeed."""
    return f"check:{epoch}:{host}:{checker}"


def attestation(epoch: int, host: str) -> str:
    """Every attestation of one host for one epoch: only one can succeed."""
    return f"attest:{epoch}:{host}"


def hosting_pay(host: str, epoch: int, token: str) -> str:
    """Every claim of one host's hosting pay of one epoch in one token: a second pays nothing."""
    return f"hosting-pay:{host}:{epoch}:{token}"


def nonce_slot(signer_address: str, nonce: int, contract: str) -> tuple[str, int, str]:
    """What two signed actions must not share: one signer's nonce at one contract (the second to
    reach the chain reverts with `NonceAlreadyUsed`). A Ballot has none: the governor's nonce is
    sequential and checked on chain."""
    return signer_address.lower(), int(nonce), contract.lower()
