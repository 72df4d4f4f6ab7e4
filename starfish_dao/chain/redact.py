"""What of a node URL, a message and the environment may be shown or handed on.

A node URL may carry a secret (`?apikey=`, `user:password@`, a token as its path): a message names
its scheme, host and port only (`redact_url`, `redact_urls`). A process the toolkit starts (the
managed anvil, the relay's submitter and verifier) gets the environment less every setting and
secret of ours (`without_secrets`): the relayer key reaches the submitter only through its pipe.

One implementation, below the chain and the relay both: the relay's scrubber
(`relay/edge/redaction.py`) adds the secrets it registers to `redact_urls`.
"""

from __future__ import annotations

import os
import re

URL = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<userinfo>[^/@\s]+@)?(?P<rest>[^\s'\"]*)", re.I)
_URLLIB_PATH = re.compile(r"(\burl: )\S+")  # urllib3 and requests quote the path and query alone
_QUERY_SECRET = re.compile(r"(?i)([?&;](?:api[-_]?key|key|token|secret|access[-_]?token|auth|password)=)[^&\s'\"]+")
_SECRET_WORDS = ("KEY", "PASSWORD", "TOKEN", "SECRET")


def _shown(match: re.Match[str]) -> str:
    """A URL as it may be shown: scheme, host and port; `/[redacted]` for any path, query or fragment."""
    rest = match.group("rest")
    host = re.split(r"[/?#]", rest, maxsplit=1)[0]
    tail = rest[len(host) :]
    return match.group("scheme") + host + ("/[redacted]" if tail.strip("/") else "")


def redact_url(url: str) -> str:
    """`http://user:pw@node:8545/v3/KEY?apikey=KEY` -> `http://node:8545/[redacted]`."""
    match = URL.fullmatch(url.strip())
    return _shown(match) if match else redact_urls(url)


def redact_urls(text: str) -> str:
    """`text` with every URL's credentials, path and query replaced (and a quoted path or query alone)."""
    text = URL.sub(_shown, text)
    text = _URLLIB_PATH.sub(r"\1[redacted]", text)
    return _QUERY_SECRET.sub(r"\1[redacted]", text)


def without_secrets(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment (`os.environ` by default) less the relay's settings (`STARFISH_RELAY_*`,
    the relayer key among them) and every `STARFISH_*` key, password, token or secret."""
    environ = dict(os.environ if environ is None else environ)
    return {
        name: value for name, value in environ.items()
        if not name.startswith("STARFISH_RELAY_")
        and not (name.startswith("STARFISH_") and any(w in name for w in _SECRET_WORDS))
    }  # fmt: skip
