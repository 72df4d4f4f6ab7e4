"""One error shape for every refusal: RFC 9457 problem details (`application/problem+json`).

    {"type": "urn:starfish:relay:would_revert", "title": "The contract would revert", "status": 422,
     "detail": "you cannot review your own contribution #3", "code": "would_revert",
     "contractError": "RegistrySelfReview", "args": {...},
     "reason": "the contract would revert: RegistrySelfReview(id=3)"}

A refusal that names a contract error has the CLI's sentence for it as `detail` (one table of
messages, starfish_dao/cli/errors.py) and the relay's own words in `reason`.

`code` is the machine-readable reason (also the last part of `type`); other members depend on the
code (`field`, `expected`, `got`, `retryAfter`, ...). Every message passes through `scrub`
(`edge/redaction.py`), so a node URL with an API key in it, or any other configured secret, never
reaches a client or a log.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi.responses import JSONResponse
from web3.exceptions import ProviderConnectionError

from starfish_dao.domain.errors import ChainError
from starfish_dao.relay.edge.redaction import scrub

log = logging.getLogger("starfish.relay")

TITLES = {
    "malformed": "The request is malformed",
    "unknown_action": "Unknown action",
    "bad_signature": "The signature does not match",
    "signature_required": "A relayed Commit must be signed by an active member",
    "not_a_member": "Not an active member",
    "wrong_domain": "Signed for another chain or contract",
    "expired": "The signature expired",
    "nonce_used": "The nonce is already used",
    "nonce_pending": "The nonce is reserved by a pending action",
    "conflicts_with_pending": "Conflicts with a pending action of the same signer",
    "claim_pending": "A claim of the same member and token is pending",
    "would_revert": "The contract would revert",
    "gas_cap": "The action needs more gas than the relay allows",
    "nothing_to_claim": "Nothing to claim",
    "rate_limited": "Too many requests",
    "gas_budget": "The gas budget is spent",
    "too_large": "The body is too large",
    "too_complex": "The body has more structure than any request needs",
    "too_slow": "The body arrived too slowly",
    "unsupported_media_type": "Unsupported content type",
    "forbidden_origin": "Requests from this origin are not accepted",
    "unauthorized": "An upload token is required",
    "not_found": "Not found",
    "method_not_allowed": "Method not allowed",
    "chain_unavailable": "The chain cannot be reached",
    "ipfs_unavailable": "The IPFS node cannot be reached",
    "busy": "The relay is at capacity",
    "forbidden_target": "The relay will not call this address",
    "stale": "A newer message is already in force",
    "internal": "Internal error",
}
_BY_STATUS = {400: "malformed", 404: "not_found", 405: "method_not_allowed", 413: "too_large", 422: "malformed",
              429: "rate_limited", 503: "chain_unavailable"}  # fmt: skip


class Refusal(Exception):
    """A refused request: an HTTP status, a code and a message that says what was wrong."""

    def __init__(self, status: int, code: str, message: str, detail: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.detail = status, code, message, detail or {}

    def body(self) -> dict[str, Any]:
        return problem_body(self.status, self.code, self.message, self.detail)


# What reading or asking the node raises when it is down, stalled or answers nonsense: every
# route answers it 503 chain_unavailable (never 500, never a traceback in the log)
CHAIN_DOWN: tuple[type[Exception], ...] = (ChainError, OSError, ProviderConnectionError)
_outage = {"logged": 0.0, "since": 0}


def chain_down(exc: Exception) -> Refusal:
    """The 503 for a node that cannot be reached, and one scrubbed log line (at most one every 10 s,
    with how many requests it failed meanwhile: an outage under load must not flood the log)."""
    import time

    now = time.monotonic()
    _outage["since"] += 1
    if now - _outage["logged"] >= 10:
        log.warning("the chain cannot be reached (%s requests answered 503 since the last line): %s",
                    _outage["since"], scrub(f"{type(exc).__name__}: {exc}"))  # fmt: skip
        _outage["logged"], _outage["since"] = now, 0
    return Refusal(503, "chain_unavailable", "the chain cannot be reached; try again shortly", {"retryAfter": 5})


# ------------------------------------------------------------------ responses


def problem_body(status: int, code: str, message: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"urn:starfish:relay:{code}",
        "title": TITLES.get(code, code.replace("_", " ").capitalize()),
        "status": status,
        "detail": scrub(message),
        "code": code,
    }
    for key, value in (extra or {}).items():
        body["contractError" if key == "error" else key] = value
    sentence = contract_sentence(body.get("contractError"), body.get("args"), body.get("chainTime"))
    if sentence is not None:  # the CLI's sentence for the contract's error; the relay's own words stay in `reason`
        body["reason"], body["detail"] = body["detail"], scrub(sentence)
    return body


def contract_sentence(name: Any, args: Any, chain_time: Any = None) -> str | None:
    """The plain sentence for a contract error from the one table (starfish_dao/cli/errors.py), or
    None when the table has none. Deadlines count from `chain_time` when it is known."""
    if not isinstance(name, str) or not name:
        return None
    from starfish_dao.cli.errors import plain

    now = chain_time if isinstance(chain_time, int) else None
    return plain(name, dict(args) if isinstance(args, dict) else {}, now)


def problem(status: int, code: str, message: str, extra: dict[str, Any] | None = None,
            headers: dict[str, str] | None = None) -> JSONResponse:  # fmt: skip
    return JSONResponse(
        problem_body(status, code, message, extra), status_code=status, headers=headers,
        media_type="application/problem+json",
    )  # fmt: skip


def from_http_exception(status: int, detail: Any) -> tuple[str, str, dict[str, Any]]:
    """(code, message, extra) for an HTTPException raised by the framework or by older code."""
    if isinstance(detail, dict):
        code = str(detail.get("error") or _BY_STATUS.get(status, "internal"))
        message = str(detail.get("message") or code)
        extra = {k: v for k, v in detail.items() if k not in ("error", "message")}
        return code, message, extra
    return _BY_STATUS.get(status, "internal"), str(detail), {}
