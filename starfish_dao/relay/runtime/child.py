"""What the relay's child processes (its submitter and its verifier) share: how they are started
(settings as one JSON line on stdin, never on the command line or in the environment: the key is
among them), how they are stopped (stdin closed: end of file is the relay's end), and how a child
sets itself up (dies with its relay, niceness, logging scrubbed of secrets)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
from typing import Any

from starfish_dao.chain.redact import without_secrets


def child_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The relay's environment less its settings and secrets: a child gets what it needs on stdin,
    so the relayer key (`STARFISH_RELAY_RELAYER_KEY`), the keystore password and any other secret
    never show in `/proc/<child>/environ`."""
    return without_secrets(environ)  # one rule for every process we start (the managed anvil too)


def spawn(module: str, config: dict[str, Any], stdout: int | None = None) -> subprocess.Popen[bytes]:
    """`python -m module` with `config` as its first line of stdin; stdin is kept open."""
    proc = subprocess.Popen(
        [sys.executable, "-m", module], stdin=subprocess.PIPE, stdout=stdout, stderr=None, env=child_environment()
    )
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(config).encode() + b"\n")
    proc.stdin.flush()
    return proc


def stop(proc: subprocess.Popen[bytes], wait: float) -> None:
    """Closes its stdin (it ends on end of file) and waits; killed if it does not end in `wait` s."""
    if proc.stdin is not None:
        with contextlib.suppress(OSError):
            proc.stdin.close()
    try:
        proc.wait(wait)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def setup(name: str) -> dict[str, Any]:
    """In the child: its settings, read from stdin; it dies with its relay, takes the niceness it
    is given, and logs (and prints uncaught tracebacks) scrubbed of the node URL's secrets."""
    from starfish_dao.relay.edge.redaction import ScrubFilter, register_secret, scrub_uncaught

    die_with_parent()
    config: dict[str, Any] = json.loads(sys.stdin.buffer.readline())
    if config.get("nice"):
        os.nice(int(config["nice"]))
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s %(levelname)s {name}: %(message)s")
    register_secret(config.get("rpc_url"))
    scrub_uncaught()
    for handler in logging.getLogger().handlers:
        handler.addFilter(ScrubFilter())
    return config


def die_with_parent() -> None:
    """On Linux the kernel kills this process the moment its relay dies (even by kill -9), as it
    would a thread: an orphan submitter must not go on sending what another relay may already carry
    (the queue makes this safe: whatever was sent or not is reconciled by the next submitter)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the relay died before the request took effect
        os._exit(0)
