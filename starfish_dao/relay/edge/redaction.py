"""Redaction: no secret reaches a client or a log line.

A node URL with an API key in it (`?apikey=`, `user:password@`), an upload token, a webhook's
secret: each is registered once (`register_secret`) and `scrub` replaces it, and every URL's
credentials, path and query, in whatever text passes through it: every problem detail
(`edge/problems.py`), every log record of the relay and its children (`ScrubFilter`), and the
traceback of an uncaught exception (`scrub_uncaught`).
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from typing import Any

_SECRETS: set[str] = set()
_URL_SECRET = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<userinfo>[^/@\s]+@)?(?P<rest>[^\s'\"]*)", re.I)


_URLLIB_PATH = re.compile(r"(\burl: )\S+")
_QUERY_SECRET = re.compile(r"(?i)([?&;](?:api[-_]?key|key|token|secret|access[-_]?token|auth|password)=)[^&\s'\"]+")


def register_secret(value: str | None) -> None:
    """A string (a node URL with a key in it, a token) that must never appear in a message. A URL's
    path and query are registered too: a message may quote them without the host."""
    if not value or len(value) < 6:
        return
    _SECRETS.add(value)
    match = _URL_SECRET.match(value)
    if match:
        userinfo = (match.group("userinfo") or "").rstrip("@")
        for part in (userinfo, userinfo.partition(":")[2]):  # user:password@, and the password alone
            if len(part) >= 6:
                _SECRETS.add(part)
        rest = match.group("rest")
        host = re.split(r"[/?#]", rest, maxsplit=1)[0]
        if len(rest) - len(host) >= 6:
            _SECRETS.add(rest[len(host) :])


def scrub(text: str) -> str:
    """`text` with every registered secret, every URL's credentials, query string and path replaced."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, "[redacted]")

    def url(match: re.Match[str]) -> str:
        rest = match.group("rest")
        host = re.split(r"[/?#]", rest, maxsplit=1)[0]
        tail = rest[len(host) :]
        return match.group("scheme") + host + ("/[redacted]" if tail.strip("/") else "")

    text = _URL_SECRET.sub(url, text)
    text = _URLLIB_PATH.sub(r"\1[redacted]", text)  # urllib3 quotes the path and query alone
    return _QUERY_SECRET.sub(r"\1[redacted]", text)


class ScrubFilter(logging.Filter):
    """Scrubs every log record of this process (the relay's, uvicorn's, web3's): its message, and
    the traceback and stack it carries (uvicorn logs an ASGI application's exception with
    `exc_info`, whose text quotes the node URL a connection error names)."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record: leave it to the handler
            return True
        clean = scrub(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            # formatted once here; every formatter uses exc_text when it is set
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


def scrub_uncaught() -> None:
    """An uncaught exception's traceback (which bypasses logging) is scrubbed too: a child process
    that fails to reach its node must not print the node's URL."""

    def hook(kind: type[BaseException], value: BaseException, tb: Any) -> None:
        sys.stderr.write(scrub("".join(traceback.format_exception(kind, value, tb))))

    sys.excepthook = hook
