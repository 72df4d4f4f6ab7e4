"""A small Python client for the relay: sign locally, let the relay pay the gas."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import requests
from eth_account.signers.local import LocalAccount

from starfish_dao.domain import typed_data as td
from starfish_dao.domain.errors import StarfishError
from starfish_dao.relay.intake import commits


class RelayError(StarfishError, RuntimeError):
    """The relay refused a request. `body` is its RFC 9457 problem (`code` names the reason, e.g.
    would_revert, bad_signature; `detail` says it in words; `contractError` and `args` name a
    contract's custom error); `status` is the HTTP status, 0 when no relay answered."""

    def __init__(self, status: int, body: Any) -> None:
        self.status = status
        self.body = body if isinstance(body, dict) else {"detail": str(body)}
        self.code = str(self.body.get("code", ""))
        super().__init__(f"relay answered {status}: {self.body.get('detail', self.body)}")


class RelayClient:
    """One relay, or several: `RelayClient([url1, url2])`. Reads go to the current relay; `submit`
    moves on to the next when one is down, refuses to serve (429, 5xx), hangs, or loses an action it
    accepted. An action signed once is valid at any relay (the nonce is the member's own), and the
    contract makes sure it takes effect at most once, so moving on never doubles anything."""

    def __init__(self, url: str | Sequence[str], timeout: float = 30) -> None:
        urls = [url] if isinstance(url, str) else list(url)
        if not urls:
            raise ValueError("at least one relay URL is needed")
        self.urls = [u.rstrip("/") for u in urls]
        self.url = self.urls[0]
        self.timeout = timeout
        self.session = requests.Session()
        self.session.trust_env = False

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.session.request(method, f"{self.url}{path}", timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise RelayError(0, {"code": "unreachable", "detail": f"no relay answers at {self.url}: {exc}"}) from exc
        try:
            body = response.json()
        except ValueError:
            body = {"detail": response.text}
        if response.status_code >= 400:
            raise RelayError(response.status_code, body)
        return body

    # reads
    def info(self) -> dict[str, Any]:
        return dict(self._json("GET", "/v1/info"))

    def member(self, address: str) -> dict[str, Any]:
        return dict(self._json("GET", f"/v1/members/{address}"))

    def contribution(self, contribution: int) -> dict[str, Any]:
        return dict(self._json("GET", f"/v1/contributions/{contribution}"))

    def review_budget(self, member: str, contribution: int) -> dict[str, Any]:
        """What a rating of `contribution` by `member` may spend when it opens (`domain/review_budget.py`)."""
        return dict(self._json("GET", f"/v1/members/{member}/review-budget/{contribution}"))

    def check(self, action: str, signer: str, **fields: Any) -> dict[str, Any]:
        """Would `action` by `signer` succeed now? Nothing is stored or sent (POST /v1/actions/check);
        a refusal raises RelayError with the relay's problem."""
        return dict(
            self._json("POST", "/v1/actions/check", json={"action": action, "signer": signer, "fields": fields})
        )

    # writes
    def member_webhook(self, hook: Any, signature: str) -> dict[str, Any]:
        """Sets the member's own reminder webhook (a signed `MemberWebhook`; an empty url removes it)."""
        body = {"member": hook.member, "kind": hook.kind, "url": hook.url, "issuedAt": hook.issued_at,
                "signature": signature}  # fmt: skip
        return dict(self._json("POST", "/v1/reminders/webhook", json=body))

    def upload(self, path: Path, token: str | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        with Path(path).open("rb") as f:
            return dict(self._json("POST", "/v1/artifacts", files={"file": (Path(path).name, f)}, headers=headers))

    def typed_data(self, action: str, signer: str, **fields: Any) -> dict[str, Any]:
        body = {"action": action, "signer": signer, "fields": fields}
        return dict(self._json("POST", "/v1/actions/typed-data", json=body)["typedData"])

    def signed_body(self, account: LocalAccount, action: str, **fields: Any) -> dict[str, Any]:
        """Asks the relay for the typed data, checks it is what was asked, and signs it."""
        data = self.typed_data(action, account.address, **fields)
        message = data["message"]
        for name, value in fields.items():
            if str(message.get(name)).lower() != str(value).lower():
                raise RelayError(0, {"code": "tampered", "detail": f"the relay changed {name}: {message.get(name)}"})
        if action == "Commit":  # the relay's own RelayCommit, in its own domain: nothing a contract takes
            primary, signer_field = commits.PRIMARY, "member"
            mine = data.get("types", {}).get(primary) == commits.FIELDS
            mine = mine and data.get("domain", {}).get("name") == commits.DOMAIN_NAME
        else:
            primary, signer_field, mine = action, td.signer_field(action), True
        if data.get("primaryType") != primary or not mine:
            raise RelayError(0, {"code": "tampered", "detail": f"the relay asked to sign another thing than {primary}"})
        if message.get(signer_field) != account.address:
            raise RelayError(0, {"code": "tampered", "detail": "the relay named another signer"})
        signature = account.sign_message(td.signable(data)).signature
        return {"action": action, "typedData": data, "signature": "0x" + bytes(signature).hex()}

    def sign_and_send(self, account: LocalAccount, action: str, **fields: Any) -> dict[str, Any]:
        return self.send(self.signed_body(account, action, **fields))

    def send(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self._json("POST", "/v1/actions", json=body))

    def commit(self, account: LocalAccount, commitment: bytes) -> dict[str, Any]:
        """Posts a commitment (it reveals nothing), signed by `account`, an active member: the relay
        pays its gas and counts it against that member's budget (relay/intake/commits.py)."""
        return self.sign_and_send(account, "Commit", commitment="0x" + commitment.hex())

    def finalize(self, contribution: int) -> dict[str, Any]:
        return self.send({"action": "Finalize", "contribution": contribution})

    def claim(self, member: str, token: str = "0x" + "00" * 20) -> dict[str, Any]:
        return self.send({"action": "Claim", "member": member, "token": token})

    def action(self, action_id: str) -> dict[str, Any]:
        return dict(self._json("GET", f"/v1/actions/{action_id}"))

    def wait(self, action_id: str, timeout: float = 60) -> dict[str, Any]:
        """Polls until the action is mined or failed (or `timeout` passes: its last state)."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.action(action_id)
            if state["status"] in ("mined", "failed") or time.monotonic() > deadline:
                return state
            time.sleep(0.1)

    def submit(self, body: dict[str, Any], timeout: float = 120,
               on_accept: Callable[[str, dict[str, Any]], None] | None = None) -> dict[str, Any]:  # fmt: skip
        """Has the first willing relay carry `body` out and waits until it is mined or failed.

        A relay that is unreachable, answers 408/429/5xx, dies or hangs after accepting, or does
        not mine the action within `timeout`, is passed over: the next one gets the same body. A
        refusal that is about the action itself (a bad signature, a revert) is raised at once. If a
        later relay finds the nonce used, an earlier one put the action on chain: that is success."""
        problems: list[str] = []
        start = self.urls.index(self.url) if self.url in self.urls else 0
        tried = False
        for url in self.urls[start:] + self.urls[:start]:
            self.url = url
            try:
                sent = self.send(body)
            except RelayError as exc:
                if tried and exc.code == "nonce_used":
                    return {"status": "mined", "elsewhere": True, "relay": url}
                if exc.status in (0, 408, 429) or exc.status >= 500:
                    problems.append(f"{url}: {exc.body.get('detail', exc)}")
                    continue
                raise
            tried = True
            if on_accept is not None:
                on_accept(url, sent)
            try:
                state = self.wait(sent["id"], timeout)
            except RelayError as exc:
                problems.append(f"{url} accepted it, then: {exc.body.get('detail', exc)}")
                continue
            if state["status"] in ("mined", "failed"):
                return {**state, "relay": url}
            problems.append(f"{url}: accepted but not mined within {timeout:g} s")
        raise RelayError(0, {"code": "no_relay", "detail": "no relay carried the action out: " + "; ".join(problems)})
