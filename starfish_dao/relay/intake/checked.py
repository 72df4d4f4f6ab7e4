"""What the relay carries, and an action as intake checked it.

The kinds of action (signed by a member, or unsigned: anyone may ask for a Finalize or a Claim), the
gas each may use, and `Checked`: a request whose shape, domain and signature passed, with the
contract call that carries it out. `claim_of` and `content_of` name what two actions may compete
for (one member's pay in one token, one content's reveal).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from starfish_dao.domain import fastabi as fast

SIGNED = ("Join", "Leave", "Submit", "SealedReview", "ClaimTo", "ClaimIncarnationTo", "Ballot", "RegisterHost",
          "UnregisterHost", "SealCheck")  # fmt: skip
# a Commit is signed for the relay only (relay/intake/commits.py); a Reveal opens a sealed rating
# after its window closed, for whoever holds the opening (the stars are public from then on)
# review pay: a ScoreReview scores a revealed rating, a Forfeit records a rating never revealed, a
# ClaimReviewPay pays a reviewer (always the reviewer) their pay of a closed epoch
# the grid: a RevealCheck opens a checker's sealed result (anyone may, as with ratings), an Attest records
# a host's majority result, a ClaimHostingPay pays a host (always the host) its share of an epoch's pot
UNSIGNED = ("Finalize", "Claim", "Reveal", "ScoreReview", "Forfeit", "ClaimReviewPay", "DrawPanel", "FixSeed",
            "RevealCheck", "Attest", "ClaimHostingPay")  # fmt: skip
#: Gas each action may use; the simulation runs with this limit, so an action that needs more is refused.
GAS_LIMITS = {
    "Join": 200_000, "Leave": 150_000, "Submit": 300_000, "SealedReview": 250_000, "Reveal": 250_000,
    "Claim": 200_000, "ClaimTo": 220_000, "ClaimIncarnationTo": 220_000,
    "Commit": 100_000, "Ballot": 250_000, "ScoreReview": 150_000, "Forfeit": 120_000, "ClaimReviewPay": 200_000,
    "DrawPanel": 80_000, "RegisterHost": 250_000, "UnregisterHost": 120_000, "FixSeed": 90_000,
    "SealCheck": 200_000, "RevealCheck": 200_000, "Attest": 90_000, "ClaimHostingPay": 200_000,
}  # fmt: skip
FINALIZE_GAS = 350_000  # plus 60,000 per listed revenue token (the award settles each)


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
