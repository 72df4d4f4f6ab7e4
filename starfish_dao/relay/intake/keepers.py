"""Keepers: what the relay does without anyone asking. Contributions whose review window closed are
finalized (`keeper_finalize`); panels drawn by chance are drawn as soon as their submission block is
mined (`keeper_draw_panels`); each ended epoch's grid seed is chosen and fixed while the community
has hosts (`keeper_fix_seeds`); each host whose checkers agree is attested in its window
(`keeper_attest`); revealed ratings are scored for review pay once their median is final,
and ratings sealed but never revealed are recorded as forfeits (`keeper_review_pay`); members owed
more than `keeper_claim_threshold_wei` have their pay, their review pay and their hosting pay
claimed for them. Each
action goes through the relay's one accept pipeline (`intake/accept.py`), on the relay's event loop,
with no IP budget: a keeper can send nothing HTTP intake would refuse."""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING, Any

from starfish_dao.domain.model import ETH, RATING_REVEAL_WINDOW
from starfish_dao.relay.edge.problems import Refusal
from starfish_dao.relay.runtime.supervisor import Loop

if TYPE_CHECKING:
    from starfish_dao.relay.service import Relay


class Keepers:
    def __init__(self, relay: Relay) -> None:
        self.relay = relay
        self.settings = relay.settings
        self._stop = threading.Event()
        self._thread: Loop | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # the app's, where keepers' actions are accepted

    def start(self) -> None:
        s = self.settings
        if (s.keeper_finalize or s.keeper_review_pay or s.keeper_draw_panels or s.keeper_fix_seeds
                or s.keeper_attest or s.keeper_claim_threshold_wei is not None):  # fmt: skip
            try:
                self._loop = asyncio.get_running_loop()  # start() runs in the app's lifespan
            except RuntimeError:
                self._loop = None
            self._thread = Loop(self._keep, "keeper")

    def stop(self) -> None:
        self._stop.set()

    @property
    def every(self) -> float:
        """Seconds between two rounds."""
        return max(1.0, self.settings.poll_interval * 5)

    def stated(self) -> dict[str, Any]:
        """What the keepers do, as /v1/info says it (`starfish todo` tells a member when pay arrives)."""
        threshold = self.settings.keeper_claim_threshold_wei
        above = None if threshold is None else str(threshold)
        return {"finalize": self.settings.keeper_finalize, "reviewPay": self.settings.keeper_review_pay,
                "drawPanels": self.settings.keeper_draw_panels, "fixSeeds": self.settings.keeper_fix_seeds,
                "attest": self.settings.keeper_attest,
                "claimAboveWei": above, "claimTokens": [ETH] if threshold is not None else [],
                "everySeconds": self.every}  # fmt: skip

    def _keep(self) -> None:
        """Finalizes contributions whose window closed; scores and forfeits ratings for review pay;
        sweeps ETH claims (pay and review pay) above the threshold."""
        while not self._stop.wait(self.every):
            try:
                now, state = self.relay.sf.now(), self.relay.state
                with state.lock:
                    # panels to draw: pending, still open to seals, drawn by chance (divisor above 1), not
                    # drawn yet (a lapsed one is moved to a later block)
                    undrawn = [(c.id, c.draw_block) for c in state.model.contributions.values()
                               if c.status == "pending" and c.deadline > now and c.divisor > 1
                               and c.seed == 0]  # fmt: skip
                    # the window closed and every sealed rating is opened, or their reveal window is over
                    due = [c.id for c in state.model.contributions.values() if c.status == "pending"
                           and c.deadline < now and (len(c.reviews) == c.sealed_count
                                                     or now > c.deadline + RATING_REVEAL_WINDOW)]  # fmt: skip
                    owed: list[tuple[str, str]] = []
                    review_pay: list[tuple[str, int]] = []
                    hosting_pay: list[tuple[str, int]] = []
                    threshold = self.settings.keeper_claim_threshold_wei
                    if threshold is not None:  # in wei: ETH only (a token's base units are another measure)
                        owed = [(m, ETH) for m in state.model.accounts if state.model.claimable(m, ETH) > threshold]
                        review_pay = [(who, epoch) for who, epoch, token, amount in state.model.review_pay_due(now)
                                      if token == ETH and amount > threshold]  # fmt: skip
                        hosting_pay = [(who, epoch) for who, epoch, token, amount in state.model.hosting_pay_due(now)
                                       if token == ETH and amount > threshold]  # fmt: skip
                    gridded = self.settings.keeper_attest and "grid" in self.relay.sf.deployment.addresses
                    attestable = state.model.grid.attestable(state.model, now) if gridded else []
                    # only where reviewers are paid: a community that pays none spends no gas on scores
                    scoring = self.settings.keeper_review_pay and state.model.params.reviewer_bps > 0
                    scores = state.model.scorable(now) if scoring else []
                    forfeits = state.model.forfeitable(now) if scoring else []
                    seeding = self._seed_due(now)
                # the chain is asked its height only when a panel waits: each drawn from its submission
                # block's hash, once that block has a successor
                block = int(self.relay.sf.w3.eth.block_number) if undrawn and self.settings.keeper_draw_panels else 0
                for cid, draw_block in undrawn:
                    if block > draw_block:
                        self._try({"action": "DrawPanel", "contribution": cid})
                if seeding is not None:
                    epoch, seed_block = seeding
                    # the relay simulates at the latest block: it must already be past the seed's block
                    if seed_block == 0 or int(self.relay.sf.w3.eth.block_number) > seed_block:
                        self._try({"action": "FixSeed", "epoch": epoch, "seedBlock": seed_block})
                for cid in due if self.settings.keeper_finalize else []:
                    self._try({"action": "Finalize", "contribution": cid})
                for cid, reviewer in scores:
                    self._try({"action": "ScoreReview", "contribution": cid, "reviewer": reviewer})
                for cid, reviewer in forfeits:
                    self._try({"action": "Forfeit", "contribution": cid, "reviewer": reviewer})
                for member, token in owed:
                    self._try({"action": "Claim", "member": member, "token": token})
                for reviewer, epoch in review_pay:
                    self._try({"action": "ClaimReviewPay", "reviewer": reviewer, "epoch": epoch, "token": ETH})
                for epoch, host in attestable:
                    self._try({"action": "Attest", "epoch": epoch, "host": host})
                for host, epoch in hosting_pay:
                    self._try({"action": "ClaimHostingPay", "host": host, "epoch": epoch, "token": ETH})
            except Exception:  # noqa: BLE001 - keepers are best effort; the next round retries
                continue

    def _seed_due(self, now: int) -> tuple[int, int] | None:
        """(the epoch whose seed to send a FixSeed for, the block it waits for or 0 to choose one), or
        None. Under the state's lock. The waiting epoch first (no other can be scheduled before it is
        fixed), then the epoch that just ended; none while nobody hosts."""
        m = self.relay.state.model
        if not self.settings.keeper_fix_seeds or "grid" not in self.relay.sf.deployment.addresses or not m.grid.hosts:
            return None
        waiting, seed_block, _ = m.grid.pending
        block = self.relay.state.block
        if waiting not in m.grid.seeds and waiting != 2**64 - 1 and block <= seed_block + 256:
            return waiting, seed_block
        ended = m.epoch_at(now) - 1
        if ended >= 0 and ended not in m.grid.seeds:
            return ended, 0
        return None

    def _try(self, body: dict[str, Any]) -> None:
        """A keeper's action, through the same `accept` as HTTP intake, on the relay's event loop."""
        try:
            if self._loop is not None and self._loop.is_running():
                asyncio.run_coroutine_threadsafe(self.relay.accept(body, None), self._loop).result(timeout=120)
            else:  # a relay driven by hand, without its app: no other coroutine shares the locks
                asyncio.run(self.relay.accept(body, None))
        except Refusal:
            return
