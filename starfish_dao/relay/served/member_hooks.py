"""A member's own reminder webhook, set with a signed `MemberWebhook` message
(`starfish_dao/domain/subscription.py`; `starfish remind set`): who may set one, where it may point,
and which message wins.

- Only the member: the message is signed by the address it names, for this DAO's Membership on
  this chain, issued within a day of the relay's clock (five minutes ahead at most).
- Only an active member: a fresh key, a member who left or one suspended cannot make the relay call
  anything.
- Only where the relay may call (`served/egress.py`): a public https URL by default; checked now and
  again at every delivery, connecting to the address checked.
- The latest message wins, per member: an older or equal `issuedAt` is refused, so a replayed
  signature cannot bring back a URL the member replaced or removed.
- A JSON webhook is signed with a secret the relay makes for it and answers once, to the request
  that set it (the member's CLI prints it); the secret is kept beside the reminders, never logged.

The relay learns nothing from this but the URL itself; the reminders it sends are what its feed
already shows anyone.
"""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING, Any

from starfish_dao.domain.address import checked_address
from starfish_dao.domain.subscription import KINDS, MAX_AGE, MAX_SKEW, MemberWebhook
from starfish_dao.relay.edge.problems import Refusal
from starfish_dao.relay.served.egress import EgressPolicy, EgressRefused, check_url

if TYPE_CHECKING:
    from starfish_dao.relay.service import Relay


def policy_of(settings: Any) -> EgressPolicy:
    return EgressPolicy(
        allow_http=settings.member_webhook_http,
        allow_private=settings.member_webhook_private,
        allow_loopback=settings.member_webhook_loopback,
    )


def _field(body: dict[str, Any], name: str, kind: type) -> Any:
    value = body.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise Refusal(422, "malformed", f"{name} must be a {kind.__name__}", {"field": name})
    return value


def accept(relay: Relay, body: dict[str, Any]) -> dict[str, Any]:
    """Sets (or removes, with an empty url) the member's webhook; answers what was set."""
    if not relay.settings.member_webhooks:
        raise Refusal(404, "not_found", "this relay does not deliver to members' own webhooks")
    try:
        member = checked_address(_field(body, "member", str), "member")
    except ValueError as exc:
        raise Refusal(422, "malformed", str(exc), {"field": "member"}) from exc
    kind, url, issued = _field(body, "kind", str), _field(body, "url", str), _field(body, "issuedAt", int)
    signature = _field(body, "signature", str)
    if kind not in KINDS:
        raise Refusal(422, "malformed", f"kind must be one of {', '.join(KINDS)}", {"field": "kind"})
    now = time.time()
    if issued < now - MAX_AGE or issued > now + MAX_SKEW:
        raise Refusal(422, "expired", "the message was issued too long ago, or in the future: sign a new one")
    hook = MemberWebhook(member, kind, url, issued)
    deployment = relay.sf.deployment
    try:
        signer = hook.signer(signature, deployment.chain_id, deployment.addresses["membership"])
    except Exception as exc:
        raise Refusal(401, "bad_signature", f"the signature cannot be read: {exc}") from exc
    if signer != member:
        raise Refusal(401, "bad_signature", "the message is not signed by the member it names")
    with relay.state.lock:
        record = relay.state.model.members.get(member)
        active = bool(record and record.active)
    if not active:
        raise Refusal(403, "not_a_member", "only an active member may have the relay send reminders")
    host = ""
    if url:
        try:
            host = check_url(url, policy_of(relay.settings)).host
        except EgressRefused as exc:
            raise Refusal(
                422, "forbidden_target", f"the relay will not call this URL: {exc}", {"field": "url"}
            ) from exc
    secret = secrets.token_hex(32) if url and kind == "json" else None
    if not relay.reminders.set_member_hook(member, kind, url, secret, issued, signature):
        raise Refusal(409, "stale", "a webhook signed at the same time or later is already set: sign a new one")
    answer: dict[str, Any] = {"member": member, "kind": kind if url else None, "host": host or None, "issuedAt": issued}
    if secret:
        answer["secret"] = secret
    return answer
