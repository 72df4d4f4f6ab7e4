"""Everything the relay runs, assembled once: chain client, queue, checker, submitter, state, store,
budgets, keepers and reminders; started and stopped together."""

from __future__ import annotations

import functools
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from starfish_dao.chain.backends import connect
from starfish_dao.chain.client import Starfish
from starfish_dao.chain.deployment import Deployment
from starfish_dao.domain.errors import ConfigError, KeyError_
from starfish_dao.ipfs import ArtifactStore, open_store
from starfish_dao.relay.edge.budgets import TokenBucket
from starfish_dao.relay.edge.redaction import register_secret, scrub
from starfish_dao.relay.intake.accept import Intake
from starfish_dao.relay.intake.chain_check import Checker
from starfish_dao.relay.intake.checked import GAS_LIMITS
from starfish_dao.relay.intake.keepers import Keepers
from starfish_dao.relay.outbox.process import SubmitterProcess
from starfish_dao.relay.outbox.queue import Queue
from starfish_dao.relay.outbox.relayer import fee_cap
from starfish_dao.relay.outbox.submitter import Submitter
from starfish_dao.relay.runtime.batching import Batcher
from starfish_dao.relay.runtime.locks import KeyedLocks
from starfish_dao.relay.runtime.supervisor import Part, Supervisor
from starfish_dao.relay.served.notifier import Notifier
from starfish_dao.relay.served.reminder_store import ReminderStore
from starfish_dao.relay.served.state import ChainState
from starfish_dao.relay.served.verifier import VerifierProcess
from starfish_dao.relay.settings import RelaySettings

log = logging.getLogger("starfish.relay")


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
        from starfish_dao.keys import find_keystore

        path = find_keystore(settings.relayer_keystore, "relayer keystore")  # a file, or a name as the CLI takes
        try:
            key = Account.decrypt(json.loads(path.read_text()), settings.relayer_password.get_secret_value())
        except OSError as exc:
            raise KeyError_(f"cannot read the relayer keystore {path}: {exc.strerror}") from None
        except ValueError:
            raise KeyError_(f"wrong STARFISH_RELAY_RELAYER_PASSWORD for {path} (or a damaged keystore)") from None
        account = Account.from_key(key)
        return account
    raise KeyError_(
        "the relay refuses to start without a relayer key: set STARFISH_RELAY_RELAYER_KEY, or "
        "STARFISH_RELAY_RELAYER_KEYSTORE and STARFISH_RELAY_RELAYER_PASSWORD"
    )


class Relay(Intake):
    """The relay, assembled: its settings, chain, store, queue, checks, submitter, state, budgets,
    keepers and reminders; `accept` (from `Intake`) is its one accept pipeline."""

    def __init__(self, settings: RelaySettings, sf: Starfish | None = None, store: ArtifactStore | None = None) -> None:
        self.settings = settings
        self.account = relayer_account(settings)
        register_secret(settings.rpc_url or os.environ.get("STARFISH_RPC_URL"))
        register_secret(settings.ipfs_api)
        if settings.upload_token is not None:
            register_secret(settings.upload_token.get_secret_value())
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
        self.checker = Checker(sf, self.account.address, settings.simulate_ahead)
        self.submitter = Submitter(
            sf, self.queue, self.account, settings.resubmit_after, settings.confirmations, settings.max_in_flight
        )
        self.submitter_process: SubmitterProcess | None = None
        self.state = ChainState(sf, settings.verify_interval)
        self.by_signer = TokenBucket(settings.rate_per_signer, 5 * settings.rate_per_signer)
        self.by_ip = TokenBucket(settings.rate_per_ip, 5 * settings.rate_per_ip)
        self.reads_by_ip = TokenBucket(settings.read_rate_per_ip, 5 * settings.read_rate_per_ip)
        hour = 3600.0
        self.gas_by_ip = TokenBucket(settings.gas_per_ip_per_hour / hour, settings.gas_per_ip_per_hour)
        self.gas_by_signer = TokenBucket(settings.gas_per_signer_per_hour / hour, settings.gas_per_signer_per_hour)
        self.upload_by_ip = TokenBucket(settings.upload_bytes_per_ip_per_hour / hour,
                                        settings.upload_bytes_per_ip_per_hour)  # fmt: skip
        self.locks = KeyedLocks()
        self.checkers: list[Checker] = []
        self.checks = None
        queue = settings.queue_path()  # reminders: what was seen when, and what was delivered to whom
        self.reminders = ReminderStore(queue.with_name(queue.stem + ".reminders.sqlite3"))
        self.notifier = Notifier(self)
        self.keepers = Keepers(self)
        self.supervisor: Supervisor | None = None  # set by start()

    def start(self) -> None:
        self._warn_if_unfunded()
        self.checkers = [Checker(self.sf, self.account.address, self.settings.simulate_ahead) for _ in range(2)]
        self.checks = Batcher([functools.partial(self._check_and_store, c) for c in self.checkers], "chain-checks",
                              limit=256, gather=self.settings.check_gather)  # fmt: skip
        url = getattr(self.sf.w3.provider, "endpoint_uri", None)
        if self.settings.verifier_process and url:
            self.state.remote = VerifierProcess(
                {"rpc_url": str(url), "deployment": self.sf.deployment.to_json()}, self.state.verified
            )
            self.state.remote.start()
        self.state.start(self.settings.state_interval)
        if self.settings.submitter_process and url:
            path = self.settings.queue_path()
            self.submitter_process = SubmitterProcess(
                {"rpc_url": str(url), "deployment": self.sf.deployment.to_json(), "queue": str(path),
                 "key": self.account.key.hex(), "resubmit_after": self.settings.resubmit_after,
                 "confirmations": self.settings.confirmations,
                 "max_in_flight": self.settings.max_in_flight, "nice": self.settings.submitter_nice,
                 "interval": self.settings.poll_interval,
                 "lock_file": str(path) + ".submitter.lock", "status_file": str(path) + ".submitter.json"},
                Path(str(path) + ".submitter.json"),
            )  # fmt: skip
            self.submitter_process.start()
        else:
            self.submitter.start(self.settings.poll_interval)
        self.keepers.start()
        self.notifier.start()
        self.supervisor = Supervisor(self._parts())
        self.supervisor.start()

    def _parts(self) -> list[Part]:
        """What the supervisor watches: each part that runs on its own is started again if it stops."""

        def thread_of(obj: Any) -> tuple[Callable[[], bool], Callable[[], None]]:
            def alive() -> bool:
                return obj._thread is None or bool(obj._thread.alive)

            def revive() -> None:
                if obj._thread is not None:
                    obj._thread.revive()

            return alive, revive

        checks, proc = self.checks, self.submitter_process
        assert checks is not None
        if proc is not None:
            submitter = Part("submitter", lambda: self.submitter_healthy, lambda: proc.alive, proc.revive)
        else:
            submitter = Part("submitter", lambda: self.submitter_healthy, *thread_of(self.submitter))
        return [
            Part("chain", lambda: self.state.healthy, *thread_of(self.state)),
            Part("chainChecks", lambda: True, lambda: checks.alive, checks.revive),
            submitter,
            Part("keeper", lambda: True, *thread_of(self.keepers)),
            Part("reminders", lambda: True, *thread_of(self.notifier)),
        ]

    def health(self) -> dict[str, bool]:
        """Each part of the relay: working, and running if it runs on its own (`/v1/info`)."""
        if self.supervisor is None:  # not started (a test driving the relay by hand)
            return {"chain": self.state.healthy, "submitter": self.submitter_healthy}
        return self.supervisor.health()

    def _warn_if_unfunded(self) -> None:
        """Says so, loudly, when the relayer cannot pay for one action at the gas cap: every action
        would then be refused (`relayer_out_of_funds`) until the operator funds it."""
        try:
            balance = int(self.sf.w3.eth.get_balance(self.account.address))
            base = int(self.sf.w3.eth.get_block("latest").get("baseFeePerGas", 0))
        except Exception as exc:  # noqa: BLE001 - the node may be down at start: the checks will tell later
            log.warning("could not read the relayer's balance at start: %s", scrub(str(exc)))
            return
        need = self.settings.gas_cap * fee_cap(base)
        if balance < need:
            log.warning(
                "THE RELAYER %s HOLDS %s wei, LESS THAN ONE ACTION AT THE GAS CAP MAY COST (%s wei): every action "
                "will be refused as relayer_out_of_funds until it is funded (send it ETH; on a dev chain: "
                "starfish node fund %s)", self.account.address, balance, need, self.account.address,
            )  # fmt: skip

    @property
    def submitter_healthy(self) -> bool:
        if self.submitter_process is not None:
            return self.submitter_process.healthy
        return self.submitter.healthy

    def stop(self) -> None:
        if self.supervisor is not None:
            self.supervisor.stop()  # first: a part being stopped has not died
        self.keepers.stop()
        self.notifier.stop()
        if self.checks is not None:
            self.checks.stop()
        if self.submitter_process is not None:
            self.submitter_process.stop()
        self.submitter.stop()
        self.state.stop()
        self.queue.close()
        self.reminders.close()
