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
import threading
import traceback
from typing import Any

from starfish_dao.chain.redact import URL, redact_urls

_SECRETS: set[str] = set()


def register_secret(value: str | None) -> None:
    """A string (a node URL with a key in it, a token) that must never appear in a message. A URL's
    path and query are registered too: a message may quote them without the host."""
    if not value or len(value) < 6:
        return
    _SECRETS.add(value)
    match = URL.match(value)
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
    return redact_urls(text)


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
    that fails to reach its node must not print the node's URL. One that escapes a thread (a
    chain reader, a batch worker) is logged, scrubbed, as an error naming the thread."""

    def hook(kind: type[BaseException], value: BaseException, tb: Any) -> None:
        sys.stderr.write(scrub("".join(traceback.format_exception(kind, value, tb))))

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return  # what the default hook ignores too
        text = "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))
        name = args.thread.name if args.thread is not None else "?"
        logging.getLogger("starfish.relay").error("uncaught exception in thread %s:\n%s", name, scrub(text.rstrip()))

    sys.excepthook = hook
    threading.excepthook = thread_hook
