"""Everything the relay runs, assembled once: chain client, queue, checker, submitter, state, store."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from starfish_dao.chain.backends import connect
from starfish_dao.chain.client import Starfish, lowest_free_bit
from starfish_dao.chain.deployment import Deployment
from starfish_dao.domain import typed_data as td
from starfish_dao.domain.errors import ConfigError, KeyError_
from starfish_dao.ipfs import ArtifactStore, open_store
from starfish_dao.relay import conflicts
from starfish_dao.relay.actions import GAS_LIMITS, Checked, Checker, claim_of, content_of
from starfish_dao.relay.edge.budgets import TokenBucket
from starfish_dao.relay.edge.problems import Refusal
from starfish_dao.relay.edge.redaction import register_secret, scrub
from starfish_dao.relay.queue import Action, NewAction, Queue
from starfish_dao.relay.runtime.batching import Batcher
from starfish_dao.relay.runtime.locks import KeyedLocks
from starfish_dao.relay.settings import RelaySettings
from starfish_dao.relay.state import ChainState
from starfish_dao.relay.submitter import Submitter, SubmitterProcess
from starfish_dao.relay.verifier import VerifierProcess

log = logging.getLogger("starfish.relay")
Stored = tuple[Action | None, bool]  # the action (None: stored before, read it) and whether it is new


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


class Relay:
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
        hour = 3600.0
        self.gas_by_ip = TokenBucket(settings.gas_per_ip_per_hour / hour, settings.gas_per_ip_per_hour)
        self.gas_by_signer = TokenBucket(settings.gas_per_signer_per_hour / hour, settings.gas_per_signer_per_hour)
        self.upload_by_ip = TokenBucket(settings.upload_bytes_per_ip_per_hour / hour,
                                        settings.upload_bytes_per_ip_per_hour)  # fmt: skip
        self.locks = KeyedLocks()
        # two workers, each taking every waiting action: one JSON-RPC batch of chain checks, then one
        # transaction (one fsync) for the rows that passed, before any of them is answered
        self.checkers: list[Checker] = []
        self.checks: Batcher[tuple[Checked, list[Action], str | None], Stored | Refusal] | None = None
        self._keeper_stop = threading.Event()
        self._keeper: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # the app's, where keepers' actions are accepted
        from starfish_dao.relay.notifier import Notifier
        from starfish_dao.relay.outbox import Outbox

        queue = settings.queue_path()  # reminders: what was seen when, and what was delivered to whom
        self.outbox = Outbox(queue.with_name(queue.stem + ".reminders.sqlite3"))
        self.notifier = Notifier(self)

    def start(self) -> None:
        self._warn_if_unfunded()
        self.checkers = [Checker(self.sf, self.account.address, self.settings.simulate_ahead) for _ in range(2)]
        self.checks = Batcher([functools.partial(self._check_and_store, c) for c in self.checkers], "chain-checks",
                              limit=256)  # fmt: skip
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
        if self.settings.keeper_finalize or self.settings.keeper_claim_threshold_wei is not None:
            try:
                self._loop = asyncio.get_running_loop()  # start() runs in the app's lifespan
            except RuntimeError:
                self._loop = None
            self._keeper = threading.Thread(target=self._keep, name="keeper", daemon=True)
            self._keeper.start()
        self.notifier.start()

    def _warn_if_unfunded(self) -> None:
        """Says so, loudly, when the relayer cannot pay for one action at the gas cap: every action
        would then be refused (`relayer_out_of_funds`) until the operator funds it."""
        from starfish_dao.relay.submitter import TIP

        try:
            balance = int(self.sf.w3.eth.get_balance(self.account.address))
            base = int(self.sf.w3.eth.get_block("latest").get("baseFeePerGas", 0))
        except Exception as exc:  # noqa: BLE001 - the node may be down at start: the checks will tell later
            log.warning("could not read the relayer's balance at start: %s", scrub(str(exc)))
            return
        need = self.settings.gas_cap * (2 * base + TIP)
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
        self._keeper_stop.set()
        self.notifier.stop()
        if self.checks is not None:
            self.checks.stop()
        if self.submitter_process is not None:
            self.submitter_process.stop()
        self.submitter.stop()
        self.state.stop()
        self.queue.close()
        self.outbox.close()

    # ------------------------------------------------------------------ accepting

    async def accept(self, body: Any, client_ip: str | None) -> tuple[Action, bool]:
        """Checks `body` and stores it durably; (the action, whether it is new). Refusals raise.
        (`client_ip`'s request rate was checked by the Guard before the body was read.) The relay's
        own keepers come through here too, with `client_ip` None (no IP budget): one pipeline, so a
        keeper can send nothing HTTP intake would refuse."""
        checked = self.checker.parse(body)
        if checked.kind != "Claim":
            known = self.queue.get(checked.id)
            if known is not None:  # posted before: the same answer, whatever the chain says now
                return known, False
        if checked.signer and not self.by_signer.allow(checked.signer):
            raise Refusal(429, "rate_limited", f"too many actions signed by {checked.signer}", {"retryAfter": 1})
        claim = claim_of(checked)
        content = content_of(checked) or self._content_reviewed(checked)
        wanted = {checked.conflict_key} | ({conflicts.signer(claim[0]), conflicts.claim(*claim)} if claim else set())
        if content is not None:
            wanted.add(conflicts.content(content))
        keys = sorted(k for k in wanted if k)  # one order: no deadlock
        async with contextlib.AsyncExitStack() as held:
            for key in keys:
                await held.enter_async_context(self.locks.hold(key))
            in_flight = self.queue.in_flight(checked.conflict_key) if checked.conflict_key else []
            if content is not None:
                # other authors' reveals of the same content: only the earliest commitment's succeeds,
                # so this one is simulated after them too
                mine = {a.id for a in in_flight}
                same = [
                    a for a in self.queue.in_flight_of_kind("Submit") if a.id not in mine and content_of(a) == content
                ]
                in_flight = sorted(in_flight + same, key=lambda a: (a.created, a.id))
            self._one_claim_at_a_time(checked)
            settled = self._before_chain(checked, in_flight)
            if settled is not None:
                return settled, False
            item = (checked, in_flight, client_ip)
            if self.checks is None:  # not started (a test driving the relay by hand)
                outcome = self._check_and_store(self.checker, [item])[0]
            else:
                outcome = await self.checks.run(item)
            if isinstance(outcome, Refusal):
                raise outcome
        action, new = outcome
        if action is None:  # stored before (by a concurrent request): read it
            action = self.queue.get(checked.id)
        assert action is not None
        return action, new

    def _check_and_store(self, checker: Checker, items: list[tuple[Checked, list[Action], str | None]]
                         ) -> list[Stored | Refusal]:  # fmt: skip
        """A worker's batch (in its thread, while each action's callers hold its content locks): the
        chain checks in one JSON-RPC batch, then for each action that passed its gas budgets, then
        every passing row in one transaction (one fsync), all before any is answered. One hand-over
        from the event loop and back per action, not two (a chain check, then a group commit):
        at 200/s each was a separate wake-up of a thread and of the loop."""
        outcomes = checker.on_chain_many([(checked, in_flight) for checked, in_flight, _ in items])
        if len(outcomes) != len(items):  # a checker's bug must not pair an answer with another action
            raise RuntimeError(f"{len(outcomes)} chain checks for a batch of {len(items)}")
        out: list[Stored | Refusal | NewAction] = []
        for (checked, _, client_ip), outcome in zip(items, outcomes, strict=True):
            if isinstance(outcome, Refusal):
                out.append(outcome)
                continue
            if checked.kind == "Claim":
                known = self.queue.get(checked.id)
                if known is not None:
                    out.append((known, False))
                    continue
            try:
                self._charge(checked, client_ip)
            except Refusal as refusal:
                out.append(refusal)
                continue
            out.append(self._row(checked))
        rows = [r for r in out if isinstance(r, NewAction)]
        created = iter(self.queue.insert_many(rows) if rows else [])
        # a new row is answered as written (no read back); one that existed is read by the caller
        answers: list[Stored | Refusal] = []
        for r in out:
            if isinstance(r, NewAction):
                answers.append((r.stored(), True) if next(created) else (None, False))
            else:
                answers.append(r)
        return answers

    def _content_reviewed(self, checked: Checked) -> str | None:
        """The content of the contribution a Review or Finalize is about, as the relay's model knows
        it: a reveal of the same content in flight (an earlier commitment) supersedes that
        contribution, so the Review or Finalize is simulated after it."""
        if checked.kind == "Review":
            number = checked.request["typedData"]["message"]["contribution"]
        elif checked.kind == "Finalize":
            number = checked.request["contribution"]
        else:
            return None
        contribution = self.state.model.contributions.get(int(number))
        return None if contribution is None else contribution.content_hash.hex().lower()

    def _one_claim_at_a_time(self, checked: Checked) -> None:
        """A Claim (anyone's, unsigned) and a ClaimTo (the member's) of one member and token: while one
        is in flight the other would pay nothing, so it is refused (a claim's id is the answer to a
        second identical claim)."""
        claim = claim_of(checked)
        if claim is None:
            return
        member, token = claim
        if checked.kind == "Claim":  # the member's own ClaimTo of this token, in flight?
            others = [a for a in self.queue.in_flight(conflicts.signer(member)) if a.kind == "ClaimTo"
                      and str(a.request["typedData"]["message"]["token"]).lower() == token.lower()]  # fmt: skip
        else:
            others = self.queue.in_flight(conflicts.claim(member, token))
        if others:
            raise Refusal(409, "claim_pending", f"a {others[0].kind} of {member} in {token} is pending "
                          f"({others[0].id}): it pays what is owed", {"pending": others[0].id})  # fmt: skip

    def _before_chain(self, checked: Checked, in_flight: list[Action]) -> Action | None:
        """What the relay's own queue already says: a claim in flight is the answer to a second one;
        a nonce reserved by a pending action of the same signer cannot be used twice; no single action
        above the gas cap (a Finalize grows with the listed revenue tokens)."""
        if checked.gas > self.settings.gas_cap:
            raise Refusal(422, "gas_cap", f"the action may need {checked.gas:,} gas, more than this relay pays for "
                          f"one action ({self.settings.gas_cap:,}): send it directly")  # fmt: skip
        if checked.kind == "Claim" and in_flight:
            return in_flight[0]
        if checked.nonce is not None and checked.kind != "Ballot":
            for other in in_flight:
                if (other.signer == checked.signer and other.nonce == checked.nonce
                        and other.request.get("_to") == checked.to):  # fmt: skip
                    raise Refusal(409, "nonce_pending", f"nonce {checked.nonce} of {checked.signer} is reserved by the "
                                  f"pending action {other.id}: ask for new typed data")  # fmt: skip
        return None

    def _charge(self, checked: Checked, client_ip: str | None) -> None:
        """Gas budgets: what an IP, and what a signer, may have the relay spend per hour."""
        if client_ip is not None and not self.gas_by_ip.allow(client_ip, checked.gas):
            wait = self.gas_by_ip.wait_for(client_ip, checked.gas)
            raise Refusal(429, "gas_budget", f"{client_ip} has used its gas budget; more in {wait:.0f} s",
                          {"retryAfter": int(wait) + 1})  # fmt: skip
        if checked.signer and not self.gas_by_signer.allow(checked.signer, checked.gas):
            wait = self.gas_by_signer.wait_for(checked.signer, checked.gas)
            raise Refusal(429, "gas_budget", f"{checked.signer} has used its gas budget; more in {wait:.0f} s",
                          {"retryAfter": int(wait) + 1})  # fmt: skip

    def _row(self, checked: Checked) -> NewAction:
        stored = {**checked.request, "_to": checked.to, "_data": "0x" + checked.data.hex(), "_gas": checked.gas}
        return NewAction(checked.id, checked.kind, stored, checked.signer, checked.conflict_key, checked.nonce)

    def free_nonce(self, action: str, signer: str) -> int:
        """The lowest nonce that is neither used on chain nor reserved by a pending action of this
        signer here. Asking twice gives the same nonce, so nobody can push a member's nonces into
        fresh bitmap words (each costs the member's later action a cold write)."""
        role = td.ACTION_DOMAINS[action][0]
        contract = self.sf.contracts[role]
        reserved = {a.nonce for a in self.queue.in_flight(conflicts.signer(signer))
                    if a.nonce is not None and a.request.get("_to") == contract.address}  # fmt: skip
        word = 0
        while True:
            bitmap = int(contract.functions.nonceBitmap(signer, word).call())
            bit = lowest_free_bit(bitmap, {n & 0xFF for n in reserved if n >> 8 == word})
            if bit is not None:
                return word << 8 | bit
            word += 1

    # ------------------------------------------------------------------ keepers

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
        """A keeper's action, through the same `accept` as HTTP intake, on the relay's event loop."""
        try:
            if self._loop is not None and self._loop.is_running():
                asyncio.run_coroutine_threadsafe(self.accept(body, None), self._loop).result(timeout=120)
            else:  # a relay driven by hand, without its app: no other coroutine shares the locks
                asyncio.run(self.accept(body, None))
        except Refusal:
            return
