"""File descriptors for the connection cap (issue 24, finding 7).

Each open connection is a descriptor. Under the common soft limit of 1,024 and the default cap of
2,048 connections, `accept()` failed with EMFILE long before the cap closed anything: valid actions
got errors and nothing said why. At start the relay raises its soft `RLIMIT_NOFILE` as far as the
cap needs (an unprivileged process may, up to the hard limit); when the hard limit is lower, it
lowers the cap to what fits and says so in the log.
"""

from __future__ import annotations

import logging
import resource

from starfish_dao.relay.settings import RelaySettings

log = logging.getLogger("starfish.relay")

# descriptors the relay holds besides its connections: the listening socket, the queue database
# (file, WAL, shared memory), logs, the children's pipes, the node connections of the checkers,
# the state poller and web3's pools, and the headroom a request needs to open a file or a socket.
# A relay at rest holds about 25.
RESERVE = 128
MIN_CONNECTIONS = 16


def fit_descriptors(settings: RelaySettings) -> RelaySettings:
    """`settings`, with `max_connections` lowered if the descriptor limit cannot be raised to hold
    it (after raising the soft limit as far as it needs and the hard limit allows)."""
    wanted = settings.max_connections + RESERVE
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return settings
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            log.info("file descriptors: soft limit raised from %s to %s for %s connections",
                     soft, target, settings.max_connections)  # fmt: skip
            soft = target
        except (ValueError, OSError) as exc:
            log.warning("file descriptors: could not raise the soft limit from %s to %s: %s", soft, target, exc)
    if soft >= wanted:
        return settings
    fits = max(MIN_CONNECTIONS, soft - RESERVE)
    log.warning(
        "file descriptors: the limit is %s (hard %s), which holds %s connections, not MAX_CONNECTIONS=%s: "
        "the relay closes connections beyond %s. To serve %s, raise the hard limit (ulimit -Hn, "
        "LimitNOFILE= in a systemd unit, --ulimit nofile= for a container) to at least %s",
        soft, "unlimited" if hard == resource.RLIM_INFINITY else hard, fits, settings.max_connections,
        fits, settings.max_connections, wanted,
    )  # fmt: skip
    return settings.model_copy(update={"max_connections": fits})
