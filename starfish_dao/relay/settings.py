"""Relay settings from the environment (prefix STARFISH_RELAY_), cached, overridable in tests."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from starfish_dao import config


class Webhook(BaseModel):
    """Where reminders go (`starfish_dao.relay.served.notifier`): a generic JSON webhook signed with
    HMAC-SHA256 (`secret`), a Matrix room (`url` = the room's send endpoint, `token` = an access
    token), a Discord webhook, or an ntfy topic URL; for the listed members, or every member."""

    name: str = ""  # what the logs and /v1/info call it; default: the kind and the position
    kind: Literal["json", "matrix", "discord", "ntfy"] = "json"
    url: str
    secret: SecretStr | None = None  # json: the shared secret of the signature (required)
    token: SecretStr | None = None  # matrix: the access token; ntfy: an optional access token
    members: list[str] = []  # checksummed addresses; empty: every member


class RelaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STARFISH_RELAY_", extra="ignore")

    rpc_url: str | None = None  # default: $STARFISH_RPC_URL or the managed anvil
    deployment: Path | None = None  # a manifest file; default: $STARFISH_HOME/deployments/<chainId>.json
    relayer_key: SecretStr | None = None  # hex private key; or keystore + password below
    relayer_keystore: Path | None = None
    relayer_password: SecretStr | None = None
    db_path: Path | None = None  # default: $STARFISH_HOME/relay/queue.sqlite3
    max_body_bytes: int = 64 * 1024
    max_upload_bytes: int = 16 * 1024 * 1024
    rate_per_signer: float = 20.0  # actions per second, burst = 5 x rate
    rate_per_ip: float = 200.0
    # reads (GET, HEAD) per second from one IP (an IPv6 /64), burst = 5 x rate: a read may wait on
    # the node in a worker thread, so one client must not hold them all
    read_rate_per_ip: float = 100.0
    gas_cap: int = 1_000_000
    signature_ttl: int = 3600
    cors_origins: list[str] = []
    # names the relay is served under besides loopback (its own page posts from them); a page whose
    # Host header names anything else is refused, so DNS rebinding cannot pass as the relay's page
    hosts: list[str] = []
    poll_interval: float = 0.2  # the submitter's pause when it has nothing to do
    # the chain checks wait this long for more actions to check and store together (one JSON-RPC
    # batch and one fsync for all): CPU per action at a modest rate, for as much added latency
    # (20 ms: at 200/s, 0.90-0.95 ms of CPU an action against 1.05-1.10 at 10 ms; p99 32 ms, not 24)
    check_gather: float = 0.03
    state_interval: float = 0.25  # seconds between reads of new blocks for the served numbers and events
    submitter_process: bool = True  # sign and send in a process of its own (a thread on an in-process chain)
    submitter_nice: int = 0  # the submitter process's niceness (raise it to favour accepting on a shared machine)
    simulate_ahead: int = 60  # signed actions are simulated as if mined this many seconds from now
    max_in_flight: int = 64  # the relayer's transactions waiting in the node's pool at most
    resubmit_after: float = 30.0  # seconds before a stuck transaction is replaced with a higher fee
    # finalize closed contributions: on by default (an award is credited as of its deadline, so when it
    # runs changes nothing but how soon the author holds it)
    keeper_finalize: bool = True
    keeper_claim_threshold_wei: int | None = None  # sweep claims of members owed more than this
    # score every revealed rating once its median is final, and record every seal never revealed, so
    # that each epoch's review pay is complete when it closes: on by default (anyone may send either)
    keeper_review_pay: bool = True
    # record each drawn panel's seed as soon as its submission block is mined: every seal then costs the
    # same (a first seal that draws pays about 4,400 more), and no draw can lapse after 256 blocks
    keeper_draw_panels: bool = True
    keeper_fix_seeds: bool = True  # each ended epoch's grid seed, while the community has hosts
    keeper_attest: bool = True  # each host whose checkers agree, in its epoch's attestation window
    ipfs_api: str | None = None
    verifier_process: bool = True  # compare in a process of its own, not in the accepting one
    verify_interval: float = 30.0  # seconds between checks of every served number against the chain
    confirmations: int = 3  # blocks deep before a mined action is final (a rollback above it is re-sent)
    # budgets in gas, not only requests: what one IP, and one signer, may have the relay spend per hour
    gas_per_ip_per_hour: int = 50_000_000
    gas_per_signer_per_hour: int = 5_000_000
    upload_bytes_per_ip_per_hour: int = 256 * 1024 * 1024
    upload_token: SecretStr | None = None  # when set, uploads need "Authorization: Bearer <token>"
    trusted_proxies: list[str] = []  # X-Forwarded-For is believed only from these addresses
    header_timeout: float = 10.0  # seconds for a request's headers to arrive
    body_timeout: float = 30.0  # seconds for a whole request body to arrive
    max_connections: int = 2048  # open connections beyond this are closed at once
    max_sse_clients: int = 1000
    access_log: bool = False
    # reminders (what waits for each member): webhooks as JSON, e.g. STARFISH_RELAY_WEBHOOKS='[{"kind":
    # "ntfy", "url": "https://ntfy.sh/our-space", "members": ["0x..."]}]'; the Atom feed needs none
    webhooks: list[Webhook] = []
    reminder_interval: float = 30.0  # seconds between looks at what waits for whom
    webhook_backoff: float = 10.0  # the first retry after a failed delivery; doubled each time
    webhook_max_backoff: float = 3600.0  # retries never wait longer than this (and never stop)
    webhook_timeout: float = 10.0
    public_url: str | None = None  # the relay's address as members reach it: links in reminders
    # members' own webhooks (`starfish remind set`, served/member_hooks.py) and where they may point
    # (served/egress.py): public https only, unless these allow a LAN's receivers
    member_webhooks: bool = True
    member_webhook_http: bool = False  # plain http URLs
    member_webhook_private: bool = False  # private addresses (never the cloud metadata service)
    member_webhook_loopback: bool = False  # the relay machine itself: for tests

    @field_validator(
        "max_body_bytes",
        "max_upload_bytes",
        "gas_cap",
        "confirmations",
        "gas_per_ip_per_hour",
        "gas_per_signer_per_hour",
        "upload_bytes_per_ip_per_hour",
        "max_connections",
        "max_sse_clients",
    )
    @classmethod
    def _positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("must be positive")
        return value

    def queue_path(self) -> Path:
        return self.db_path or config.subdir("relay") / "queue.sqlite3"


@lru_cache
def get_settings() -> RelaySettings:
    return RelaySettings()
