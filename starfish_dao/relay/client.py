"""A small Python client for the relay: sign locally, let the relay pay the gas."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import requests
from eth_account.signers.local import LocalAccount

from starfish_dao.domain import typed_data as td
from starfish_dao.domain.errors import StarfishError


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
    def __init__(self, url: str, timeout: float = 30) -> None:
        self.url = url.rstrip("/")
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

    # writes
    def upload(self, path: Path) -> dict[str, Any]:
        with Path(path).open("rb") as f:
            return dict(self._json("POST", "/v1/artifacts", files={"file": (Path(path).name, f)}))

    def typed_data(self, action: str, signer: str, **fields: Any) -> dict[str, Any]:
        body = {"action": action, "signer": signer, "fields": fields}
        return dict(self._json("POST", "/v1/actions/typed-data", json=body)["typedData"])

    def sign_and_send(self, account: LocalAccount, action: str, **fields: Any) -> dict[str, Any]:
        """Asks the relay for the typed data, checks it is what was asked, signs it, sends it."""
        data = self.typed_data(action, account.address, **fields)
        message = data["message"]
        for name, value in fields.items():
            if str(message.get(name)).lower() != str(value).lower():
                raise RelayError(0, {"code": "tampered", "detail": f"the relay changed {name}: {message.get(name)}"})
        signature = account.sign_message(td.signable(data)).signature
        return self.send({"action": action, "typedData": data, "signature": "0x" + bytes(signature).hex()})

    def send(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self._json("POST", "/v1/actions", json=body))

    def commit(self, commitment: bytes) -> dict[str, Any]:
        """Posts a commitment (it reveals nothing; the relay pays the gas)."""
        return self.send({"action": "Commit", "commitment": "0x" + commitment.hex()})

    def finalize(self, contribution: int) -> dict[str, Any]:
        return self.send({"action": "Finalize", "contribution": contribution})

    def claim(self, member: str, token: str = "0x" + "00" * 20) -> dict[str, Any]:
        return self.send({"action": "Claim", "member": member, "token": token})

    def action(self, action_id: str) -> dict[str, Any]:
        return dict(self._json("GET", f"/v1/actions/{action_id}"))

    def wait(self, action_id: str, timeout: float = 60) -> dict[str, Any]:
        """Polls until the action is mined or failed."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.action(action_id)
            if state["status"] in ("mined", "failed") or time.monotonic() > deadline:
                return state
            time.sleep(0.1)
