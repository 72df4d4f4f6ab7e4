"""The nonce typed data is handed out with: the lowest free one, the same however often it is asked."""

from __future__ import annotations

from starfish_dao.chain.client import Starfish, lowest_free_bit
from starfish_dao.domain import typed_data as td
from starfish_dao.relay.intake import conflicts
from starfish_dao.relay.outbox.queue import Queue


def free_nonce(sf: Starfish, queue: Queue, action: str, signer: str) -> int:
    """The lowest nonce that is neither used on chain nor reserved by a pending action of this
    signer here. Asking twice gives the same nonce, so nobody can push a member's nonces into
    fresh bitmap words (each costs the member's later action a cold write)."""
    role = td.ACTION_DOMAINS[action][0]
    contract = sf.contracts[role]
    reserved = {a.nonce for a in queue.in_flight(conflicts.signer(signer))
                if a.nonce is not None and a.request.get("_to") == contract.address}  # fmt: skip
    word = 0
    while True:
        bitmap = int(contract.functions.nonceBitmap(signer, word).call())
        bit = lowest_free_bit(bitmap, {n & 0xFF for n in reserved if n >> 8 == word})
        if bit is not None:
            return word << 8 | bit
        word += 1
