"""The accept pipeline: one for HTTP intake and the relay's keepers alike, so a keeper can send
nothing HTTP intake would refuse.

A request is parsed (`Checker.parse`), answered from the queue when it was posted before, held to
its signer's rate, then checked under the locks of every conflict key it has (its signer's nonces,
a claim's member and token, a reveal's content: `intake/conflicts.py`), simulated after the
conflicting actions still in flight, charged to its gas budgets, and stored durably before it is
answered. The chain checks and the writes of many requests are batched (`_check_and_store`).
`Relay` (`relay/service.py`) is an `Intake`: it holds the parts this pipeline uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starfish_dao.relay.edge.problems import Refusal
from starfish_dao.relay.intake import conflicts
from starfish_dao.relay.intake.chain_check import Checker
from starfish_dao.relay.intake.checked import Checked, claim_of, content_of
from starfish_dao.relay.outbox.queue import Queue
from starfish_dao.relay.outbox.rows import Action, NewAction

if TYPE_CHECKING:
    from starfish_dao.relay.edge.budgets import TokenBucket
    from starfish_dao.relay.runtime.batching import Batcher
    from starfish_dao.relay.runtime.locks import KeyedLocks
    from starfish_dao.relay.served.state import ChainState
    from starfish_dao.relay.settings import RelaySettings

Stored = tuple[Action | None, bool]  # the action (None: stored before, read it) and whether it is new


class Intake:
    """The pipeline's steps; the parts it uses are the relay's own (declared here, set by `Relay`)."""

    settings: RelaySettings
    checker: Checker
    queue: Queue
    state: ChainState
    locks: KeyedLocks
    by_signer: TokenBucket
    gas_by_ip: TokenBucket
    gas_by_signer: TokenBucket
    # two workers, each taking every waiting action: one JSON-RPC batch of chain checks, then one
    # transaction (one fsync) for the rows that passed, before any of them is answered
    checks: Batcher[tuple[Checked, list[Action], str | None], Stored | Refusal] | None

    async def accept(self, body: Any, client_ip: str | None) -> tuple[Action, bool]:
        """Checks `body` and stores it durably; (the action, whether it is new). Refusals raise.
        (`client_ip`'s request rate was checked by the Guard before the body was read.) The relay's
        own keepers come through here too, with `client_ip` None (no IP budget): one pipeline, so a
        keeper can send nothing HTTP intake would refuse."""
        checked = self.checker.parse(body)
        early: list[Action] | None = None
        if checked.kind != "Claim":
            # whether it was posted before, and the conflict key's actions in flight, in one read;
            # the second stands if every lock below is free (taken with no await: nothing in this
            # process can have changed them, as rows are stored while their key is held)
            known, early = self.queue.get_with_in_flight(checked.id, checked.conflict_key)
            if known is not None:  # posted before: the same answer, whatever the chain says now
                return known, False
        if checked.signer and not self.by_signer.allow(checked.signer):
            raise Refusal(429, "rate_limited", f"too many actions signed by {checked.signer}", {"retryAfter": 1})
        claim = claim_of(checked)
        content = content_of(checked) or self._content_reviewed(checked)
        wanted = {checked.conflict_key} | ({conflicts.signer(claim[0]), conflicts.claim(*claim)} if claim else set())
        if content is not None:
            wanted.add(conflicts.content(content))
        holding = self.locks.hold(k for k in wanted if k)  # in one sorted order: no deadlock
        async with holding:
            if early is not None and not holding.waited:
                in_flight = early
            else:
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
        reserved = self.queue.reserved_gas()  # what the relayer's balance already answers for
        outcomes = checker.on_chain_many([(checked, in_flight) for checked, in_flight, _ in items], reserved)
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
        """The content of the contribution a sealed review, a Reveal or a Finalize is about, as the
        relay's model knows it: a reveal of the same content in flight (an earlier commitment)
        supersedes that contribution, so the action is simulated after it."""
        if checked.kind == "SealedReview":
            number = checked.request["typedData"]["message"]["contribution"]
        elif checked.kind in ("Finalize", "Reveal"):
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
            slot = conflicts.nonce_slot(str(checked.signer), checked.nonce, checked.to)
            for other in in_flight:
                if other.signer is None or other.nonce is None:
                    continue
                if conflicts.nonce_slot(other.signer, other.nonce, str(other.request.get("_to"))) == slot:
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
