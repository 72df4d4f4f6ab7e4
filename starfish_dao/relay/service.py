"""Everything the relay runs, assembled once: chain client, queue, checker, submitter, state, store."""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from starfish_dao.chain.backends import connect
from starfish_dao.chain.client import Starfish
from starfish_dao.chain.deployment import Deployment
from starfish_dao.domain.errors import ConfigError, KeyError_
from starfish_dao.ipfs import ArtifactStore, open_store
from starfish_dao.relay.actions import GAS_LIMITS, Checked, Checker, Refusal
from starfish_dao.relay.queue import Action, Queue
from starfish_dao.relay.settings import RelaySettings
from starfish_dao.relay.state import ChainState
from starfish_dao.relay.submitter import Submitter


def relayer_account(settings: RelaySettings) -> LocalAccount:
    """The relayer's key: required, never logged. A keystore needs its password."""
    if settings.relayer_key is not None:
        try:
            account: LocalAccount = Account.from_key(settings.relayer_key.get_secret_value().strip())
        except (ValueError, TypeError):
            raise KeyError_("STARFISH_RELAY_RELAYER_KEY is not a valid private key") from None
        return account
    if settings.relayer_keystore is not None:
        if settings.relayer_password is None:
            raise KeyError_("STARFISH_RELAY_RELAYER_KEYSTORE needs STARFISH_RELAY_RELAYER_PASSWORD")
        try:
            key = Account.decrypt(json.loads(Path(settings.relayer_keystore).read_text()),
                                  settings.relayer_password.get_secret_value())  # fmt: skip
        except (OSError, ValueError) as exc:
            raise KeyError_(f"cannot open the relayer keystore {settings.relayer_keystore}: {exc}") from None
        account = Account.from_key(key)
        return account
    raise KeyError_(
        "the relay refuses to start without a relayer key: set STARFISH_RELAY_RELAYER_KEY, or "
        "STARFISH_RELAY_RELAYER_KEYSTORE and STARFISH_RELAY_RELAYER_PASSWORD"
    )


@dataclass
class TokenBucket:
    rate: float
    burst: float
    tokens: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    stamps: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        with self.lock:
            last = self.stamps.get(key)
            level = self.burst if last is None else min(self.burst, self.tokens[key] + (now - last) * self.rate)
            self.stamps[key] = now
            if level < 1:
                self.tokens[key] = level
                return False
            self.tokens[key] = level - 1
            return True


class Relay:
    def __init__(self, settings: RelaySettings, sf: Starfish | None = None, store: ArtifactStore | None = None) -> None:
        self.settings = settings
        self.account = relayer_account(settings)
        if max(GAS_LIMITS.values()) > settings.gas_cap:
            raise ConfigError(f"gas_cap {settings.gas_cap} is below what actions need ({max(GAS_LIMITS.values())})")
        if sf is None:
            backend = connect(settings.rpc_url)
            if settings.deployment is not None:
                deployment = Deployment.from_json(json.loads(Path(settings.deployment).read_text()))
            else:
                deployment = Deployment.load(int(backend.w3.eth.chain_id))
            sf = Starfish(backend.w3, deployment)
        self.sf = sf
        self.store = store or open_store(settings.ipfs_api)
        self.queue = Queue(settings.queue_path())
        self.checker = Checker(sf, self.account.address)
        self.submitter = Submitter(sf, self.queue, self.account, settings.resubmit_after)
        self.state = ChainState(sf, settings.verify_interval)
        self.by_signer = TokenBucket(settings.rate_per_signer, 5 * settings.rate_per_signer)
        self.by_ip = TokenBucket(settings.rate_per_ip, 5 * settings.rate_per_ip)
        self._keeper_stop = threading.Event()
        self._keeper: threading.Thread | None = None

    def start(self) -> None:
        self.state.start(self.settings.poll_interval)
        self.submitter.start(self.settings.poll_interval)
        if self.settings.keeper_finalize or self.settings.keeper_claim_threshold_wei is not None:
            self._keeper = threading.Thread(target=self._keep, name="keeper", daemon=True)
            self._keeper.start()

    def stop(self) -> None:
        self._keeper_stop.set()
        self.submitter.stop()
        self.state.stop()
        self.queue.close()

    def accept(self, body: Any, client_ip: str) -> tuple[Action, bool]:
        if not self.by_ip.allow(client_ip):
            raise Refusal(429, "rate_limited", f"too many requests from {client_ip}")
        checked = self.checker.parse(body)
        known = self.queue.get(checked.id)
        if known is not None:  # posted before: the same answer, whatever the chain says now
            return known, False
        if checked.signer and not self.by_signer.allow(checked.signer):
            raise Refusal(429, "rate_limited", f"too many actions signed by {checked.signer}")
        return self._enqueue(self.checker.on_chain(checked))

    def _enqueue(self, checked: Checked) -> tuple[Action, bool]:
        stored = {**checked.request, "_to": checked.to, "_data": "0x" + checked.data.hex(), "_gas": checked.gas}
        return self.queue.accept(checked.id, checked.kind, stored, checked.signer)

    def _keep(self) -> None:
        """Finalizes contributions whose window closed; sweeps claims above the threshold."""
        while not self._keeper_stop.wait(max(1.0, self.settings.poll_interval * 5)):
            try:
                now = self.sf.now()
                with self.state.lock:
                    due = [c.id for c in self.state.model.contributions.values()
                           if c.status == "pending" and c.deadline < now]  # fmt: skip
                    owed: list[tuple[str, str]] = []
                    threshold = self.settings.keeper_claim_threshold_wei
                    if threshold is not None:
                        owed = [(m, t) for m in self.state.model.accounts for t in self.state.model.all_tokens()
                                if self.state.model.claimable(m, t) > threshold]  # fmt: skip
                for cid in due if self.settings.keeper_finalize else []:
                    self._try({"action": "Finalize", "contribution": cid})
                for member, token in owed:
                    self._try({"action": "Claim", "member": member, "token": token})
            except Exception:  # noqa: BLE001 - keepers are best effort; the next round retries
                continue

    def _try(self, body: dict[str, Any]) -> None:
        try:
            checked = self.checker.check(body)
        except Refusal:
            return
        existing = self.queue.get(checked.id)
        if existing is None or existing.status in ("mined", "failed"):
            # a claim can be due again later: give repeated keeper claims a fresh id
            if existing is not None:
                checked.id = checked.id + f"-{int(time.time())}"
            self._enqueue(checked)
