"""A member's own reminder webhook: an EIP-712 message the member signs and a relay keeps (no gas,
nothing on-chain).

`MemberWebhook(address member, string kind, string url, uint64 issuedAt)` under the domain
{name "Starfish Relay", version "1", chainId, verifyingContract = the DAO's Membership}: a wallet
shows the URL it is asked to approve, and the signature is good for this DAO on this chain only. An
empty `url` removes the member's webhook. A relay keeps, per member, the message with the latest
`issuedAt` and refuses an older or equal one, so a signature seen once (in a log, by another relay)
cannot bring back a URL the member replaced; it also refuses messages issued more than
`MAX_AGE` before its clock or `MAX_SKEW` after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data

from starfish_dao.domain.typed_data import DOMAIN_TYPE

KINDS = ("json", "discord", "ntfy")  # Matrix needs an access token a member would hand to the relay
MAX_AGE = 24 * 3600
MAX_SKEW = 300
TYPE = [
    {"name": "member", "type": "address"},
    {"name": "kind", "type": "string"},
    {"name": "url", "type": "string"},
    {"name": "issuedAt", "type": "uint64"},
]


@dataclass(frozen=True)
class MemberWebhook:
    member: str
    kind: str
    url: str  # "" removes the member's webhook
    issued_at: int

    def typed_data(self, chain_id: int, membership: str) -> dict[str, Any]:
        return {
            "types": {"EIP712Domain": DOMAIN_TYPE, "MemberWebhook": TYPE},
            "primaryType": "MemberWebhook",
            "domain": {"name": "Starfish Relay", "version": "1", "chainId": chain_id, "verifyingContract": membership},
            "message": {"member": self.member, "kind": self.kind, "url": self.url, "issuedAt": self.issued_at},
        }

    def signer(self, signature: str, chain_id: int, membership: str) -> str:
        """The address that signed this message (raises ValueError on a malformed signature)."""
        message = encode_typed_data(full_message=self.typed_data(chain_id, membership))
        return str(Account.recover_message(message, signature=signature))

    def sign(self, account: Any, chain_id: int, membership: str) -> str:
        message = encode_typed_data(full_message=self.typed_data(chain_id, membership))
        return "0x" + bytes(account.sign_message(message).signature).hex()
