"""Reminders delivered where members live: the items of `starfish todo` (work to review with its
deadline, pay to claim, votes open and closing, proposals that would suspend or slash them), queued
in the reminder store's outbox (`served/reminder_store.py`) once per webhook and member, then sent
with retries: the first after `webhook_backoff` seconds, doubling up to `webhook_max_backoff`, never
given up while the item is still true. An item that stopped being true before it could be sent
(reviewed, voted, claimed) is withdrawn, not sent late."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from starfish_dao.domain.address import checked_address
from starfish_dao.domain.errors import ConfigError
from starfish_dao.domain.reminders import Reminder, reminders
from starfish_dao.relay.edge.redaction import register_secret, scrub
from starfish_dao.relay.runtime.supervisor import Loop
from starfish_dao.relay.served.egress import send as send_pinned
from starfish_dao.relay.served.member_hooks import policy_of
from starfish_dao.relay.served.webhooks import deliver, delivery_id, request_for
from starfish_dao.relay.settings import Webhook

if TYPE_CHECKING:
    from starfish_dao.relay.service import Relay

log = logging.getLogger("starfish.relay.reminders")


def named_hooks(hooks: Iterable[Webhook]) -> dict[str, Webhook]:
    """Each configured hook by its name, checked: a JSON hook needs its secret, Matrix its token,
    and every listed member must be a valid (checksummed, when mixed case) address."""
    out: dict[str, Webhook] = {}
    for n, hook in enumerate(hooks):
        name = hook.name or f"{hook.kind}-{n + 1}"
        if name in out:
            raise ConfigError(f"two webhooks are named {name!r}: give each its own name")
        if hook.kind == "json" and (hook.secret is None or len(hook.secret.get_secret_value()) < 16):
            raise ConfigError(f"webhook {name}: a JSON webhook needs a secret of at least 16 characters to sign with")
        if hook.kind == "matrix" and hook.token is None:
            raise ConfigError(f"webhook {name}: Matrix needs an access token (token)")
        members = [checked_address(m, f"webhook {name}: the member") for m in hook.members]
        for secret in (hook.secret, hook.token):
            if secret is not None:
                register_secret(secret.get_secret_value())
        register_secret(hook.url if hook.kind in ("discord", "matrix") else None)  # the URL is the credential
        out[name] = hook.model_copy(update={"name": name, "members": members})
    return out


class Notifier:
    def __init__(self, relay: Relay) -> None:
        self.relay = relay
        self.settings = relay.settings
        self.hooks = named_hooks(relay.settings.webhooks)
        self._stop = threading.Event()
        self._thread: Loop | None = None
        self._looked_at: tuple[int, float] = (-1, 0.0)  # (block, time.monotonic()) of the last look
        self._last_error: tuple[str, float] = ("", 0.0)

    def _units(self, token: str) -> tuple[str, int | None]:
        """A token's symbol and decimals as its contract states them (read once per token)."""
        from starfish_dao.chain.tokens import stated_units

        return stated_units(self.relay.sf.w3, token)

    def member_hooks(self) -> dict[str, Webhook]:
        """The members' own webhooks in force, each for its member only (`member-<address>`)."""
        from pydantic import SecretStr

        out: dict[str, Webhook] = {}
        if not self.settings.member_webhooks:
            return out
        for h in self.relay.reminders.member_hooks():
            register_secret(h.secret)
            register_secret(h.url if h.kind == "discord" else None)  # a Discord webhook's URL is its credential
            secret = SecretStr(h.secret) if h.secret else None
            name = f"member-{h.member}"
            out[name] = Webhook(name=name, kind=h.kind, url=h.url, secret=secret, members=[h.member])  # type: ignore[arg-type]
        return out

    def all_hooks(self) -> dict[str, Webhook]:
        return {**self.hooks, **self.member_hooks()}

    def start(self) -> None:
        if self.hooks or self.settings.member_webhooks:
            self._thread = Loop(self._run, "reminders")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.settings.webhook_timeout + 5)

    def _run(self) -> None:
        pause = min(1.0, self.settings.reminder_interval, self.settings.webhook_backoff)
        while not self._stop.is_set():
            try:
                self.look()
                self.send_due()
            except Exception as exc:  # noqa: BLE001 - the chain or the disk failed: try again later
                message = scrub(f"{type(exc).__name__}: {exc}")
                if message != self._last_error[0] or time.monotonic() - self._last_error[1] > 60:
                    log.warning("reminders: %s", message)  # once a minute while it lasts, not every second
                    self._last_error = (message, time.monotonic())
            self._stop.wait(pause)

    def look(self) -> None:
        """Queues what waits for each member now, when there are new blocks or every interval."""
        state = self.relay.state
        block, at = self._looked_at
        if state.block == block and time.monotonic() - at < self.settings.reminder_interval:
            return
        if state.block < self.relay.sf.deployment.deploy_block:
            return  # the model is being rebuilt (a rollback): an empty list now would withdraw what is due
        now = self.relay.sf.now()
        items: dict[str, list[Reminder]] = {}
        hooks = self.all_hooks()
        with state.lock:
            model, looked = state.model, state.block
            everyone = [a for a, r in model.members.items() if r.token_id]
            for hook in hooks.values():
                for member in hook.members or everyone:
                    if member not in items:
                        found = reminders(model, member, now, self.relay.sf.deployment.addresses, self._units)
                        # "anyone may finalize #3" is not worth a message when this relay finalizes it
                        items[member] = [i for i in found if i.kind != "finalize" or not self.settings.keeper_finalize]
        for hook in hooks.values():
            for member in hook.members or everyone:
                new = self.relay.reminders.offer(hook.name, member, {i.id: i.as_json() for i in items[member]})
                if new:
                    log.info("reminders: %d new for %s via %s", new, member, hook.name)
        self._looked_at = (looked, time.monotonic())

    def send_due(self) -> None:
        down: set[str] = set()  # a receiver that failed is not asked again before its retry time
        members = self.member_hooks()
        for d in self.relay.reminders.due():
            hook = self.hooks.get(d.hook) or members.get(d.hook)
            if hook is None or d.hook in down or self._stop.is_set():
                continue  # a hook no longer configured keeps its pending items, should it come back
            try:
                delivery = delivery_id(d.hook, d.member, d.item)
                if d.hook in members:  # a member's URL: checked again, and called at the address checked
                    request = request_for(hook, d.body, delivery, self.settings.public_url)
                    status = send_pinned(request, policy_of(self.settings), self.settings.webhook_timeout)
                    if not 200 <= status < 300:
                        raise RuntimeError(f"HTTP {status}")
                else:
                    deliver(hook, d.body, delivery, self.settings.public_url, self.settings.webhook_timeout)
            except Exception as exc:  # noqa: BLE001 - down, refused, or a timeout: retried later
                wait = min(self.settings.webhook_backoff * 2**d.attempts, self.settings.webhook_max_backoff)
                reason = scrub(f"{type(exc).__name__}: {exc}")
                self.relay.reminders.failed(d, reason, wait)
                down.add(d.hook)
                log.warning("reminder %s for %s via %s not delivered (%s): retry in %.0f s",
                            d.item, d.member, d.hook, reason, wait)  # fmt: skip
                continue
            self.relay.reminders.sent(d)
