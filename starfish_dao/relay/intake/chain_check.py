"""Intake's second phase: the chain's view of parsed actions, many in one JSON-RPC batch.

The latest block (deadlines, the chain's time), each signed action's signer (a signer with code is
not paid for), each claim's amount, each ballot's vote end, each Commit's member, the relayer's
balance, and a simulation of each action with its gas limit, run after the actions it conflicts
with that are still in flight (`eth_simulateV1`), so that a second conflicting action is refused
before it costs gas. Signed actions are simulated as if mined `ahead` seconds after the chain's
time. The one chain check of the relay: HTTP intake and the keepers both come through it
(`intake/accept.py`), and the relay runs only on a JSON-RPC node (`Relay` refuses an in-process
chain: it has no batches and no `eth_simulateV1`, and a second, weaker copy of these checks for it
was a rule written twice).
"""

from __future__ import annotations

import time
from typing import Any

from starfish_dao.chain.client import Starfish
from starfish_dao.chain.rpc import RawRpc
from starfish_dao.domain.errors import ConfigError
from starfish_dao.domain.model import ETH
from starfish_dao.domain.units import amount
from starfish_dao.relay.edge.problems import Refusal
from starfish_dao.relay.intake import commits
from starfish_dao.relay.intake.chain_reads import AHEAD_KINDS, chain_reads
from starfish_dao.relay.intake.checked import Checked, claim_of, digest
from starfish_dao.relay.intake.parse import Parser
from starfish_dao.relay.intake.simulation import check_outcome, check_outcome_after
from starfish_dao.relay.outbox.relayer import fee_cap

#: Signed actions are simulated as if mined this many seconds after the chain's time (so that an
#: action valid now but not by the time it is mined is refused before it costs gas).
SIMULATE_AHEAD = 60


class Checker(Parser):
    """Parses (`Parser.parse`) and checks against the chain (`on_chain_many`)."""

    def __init__(self, sf: Starfish, relayer: str, ahead: int = SIMULATE_AHEAD) -> None:
        super().__init__(sf)
        self.ahead = ahead
        self._chain_time = 0  # the latest block's time at the previous check
        self.rpc = RawRpc(sf.w3)
        if self.rpc.url is None:
            raise ConfigError("the relay needs a JSON-RPC node (anvil, or a chain's RPC URL in STARFISH_RPC_URL): "
                              "an in-process chain cannot batch or simulate its checks")  # fmt: skip
        self.relayer = relayer

    def on_chain_many(self, items: list[tuple[Checked, list[Any]]], reserved: int = 0) -> list[Checked | Refusal]:
        """The chain's view of many actions in one JSON-RPC batch: the latest block (deadlines), each
        signed action's nonce, each claim's amount, and a simulation of each action with its gas
        limit, run after the same signer's actions still in flight (`eth_simulateV1`), so that a
        second conflicting action is refused before it costs gas. The relayer's balance must cover
        each action on top of `reserved` gas (what its accepted and sent actions may still cost) and
        of the batch's earlier actions: an accepted action is one the relayer can pay for."""
        # when the action is mined: the next block comes at the chain's time or the wall clock,
        # whichever is later (an idle dev chain's latest block may be hours old)
        at = max(self._chain_time, int(time.time())) + self.ahead
        outcome = self._on_chain_batch(items, at, reserved)
        if outcome is None:  # the chain's clock jumped past the estimate: again, with its time
            outcome = self._on_chain_batch(items, max(self._chain_time, int(time.time())) + self.ahead, reserved)
        if outcome is None:  # still moving (a dev chain pushed by evm_increaseTime): say so, never hang
            refusal = Refusal(503, "chain_clock_moving", "the chain's clock moved during the check: send it again")
            return [refusal for _ in items]
        return outcome

    def _on_chain_batch(
        self, items: list[tuple[Checked, list[Any]]], at: int, reserved: int = 0
    ) -> list[Checked | Refusal] | None:
        payload, slots, balance_slot = chain_reads(items, at, self.relayer, self.sf)
        answers = self.rpc._post(payload)
        if "error" in answers[0]:
            raise OSError(f"the node refused a read: {answers[0]['error']}")
        now = int(answers[0]["result"]["timestamp"], 16)
        head = int(answers[0]["result"]["number"], 16)
        self._chain_time = now
        if at < now + self.ahead:
            return None
        # what the submitter will offer per gas (twice the base fee plus its tip), against the balance
        price = fee_cap(int(answers[0]["result"].get("baseFeePerGas", "0x0"), 16))
        balance = int(answers[balance_slot].get("result", "0x0"), 16) if "error" not in answers[balance_slot] else None
        out: list[Checked | Refusal] = []
        for (checked, in_flight), slot in zip(items, slots, strict=True):
            try:
                need = (reserved + checked.gas) * price
                if balance is not None and balance < need:
                    raise Refusal(503, "relayer_out_of_funds", f"this relay's relayer ({self.relayer}) holds "
                                  f"{amount(balance, 18, 9)} ETH, less than the {amount(need, 18, 9)} ETH this "
                                  "action and those it already accepted may cost: nothing was accepted; send it "
                                  "directly or through another relay (the operator funds the relayer)")  # fmt: skip
                self._deadline_and_nonce(checked, at if checked.kind in AHEAD_KINDS else now, False)
                if "code" in slot:
                    answer = answers[slot["code"]]
                    if "error" in answer:
                        raise OSError(f"the node refused a read: {answer['error']}")
                    if str(answer["result"]) not in ("0x", "0x0", ""):
                        raise Refusal(422, "contract_signer", f"{checked.signer} has code (a contract or an EIP-7702 "
                                      "delegation): its signature is checked by the contract at mining time and "
                                      "can depend on the transaction, so this relay does not pay for it; send it "
                                      "directly")  # fmt: skip
                if "member" in slot:
                    answer = answers[slot["member"]]
                    if "error" in answer:
                        raise OSError(f"the node refused a read: {answer['error']}")
                    commits.require_member(str(checked.signer), answer["result"])
                if "vote_ends" in slot:
                    answer = answers[slot["vote_ends"]]
                    if "error" in answer:
                        raise OSError(f"the node refused a read: {answer['error']}")
                    ends = int(answer["result"], 16)
                    if ends and ends < at:
                        raise Refusal(422, "expired", f"voting ends at {ends}, before the relay can be sure to have "
                                      f"the ballot mined (by {at}, {self.ahead} s from the chain's time)")  # fmt: skip
                if "claimable" in slot:
                    answer = answers[slot["claimable"]]
                    if "error" in answer:
                        raise OSError(f"the node refused a read: {answer['error']}")
                    self._claim_amount(checked, int(answer["result"], 16), head)
                for key in ("simulate", "simulate_at"):
                    if key not in slot:
                        continue
                    answer = answers[slot[key]]
                    if in_flight:
                        check_outcome_after(checked, answer, len(in_flight), self._told_time)
                    else:
                        check_outcome(checked, answer, self._told_time)
                out.append(checked)
                reserved += checked.gas  # the batch's next action comes on top of this one
            except Refusal as refusal:
                out.append(refusal)
        return out

    def _claim_amount(self, checked: Checked, amount: int, block: int) -> None:
        """A claim of nothing would succeed on chain and change nothing: the relay pays no gas for it.
        A claim is keyed by what it would pay and when, so a member claims again once more is owed
        (while one claim is in flight, asking again returns that one)."""
        claim = claim_of(checked)
        assert claim is not None
        member, token = claim
        if amount == 0:
            what = "ETH" if token == ETH else f"the token {token}"  # never "in 0x000…000"
            raise Refusal(422, "nothing_to_claim", f"{member} has nothing to claim in {what} yet: nothing is sent")
        if checked.kind == "Claim":  # a signed ClaimTo keeps the id of its signature
            checked.id = digest({**checked.request, "amount": amount, "block": block})

    def _deadline_and_nonce(self, checked: Checked, now: int, used: bool) -> None:
        if checked.deadline is not None and checked.deadline < now:
            raise Refusal(422, "expired", f"the signature expires at {checked.deadline}, before the relay can be sure "
                          f"to have it mined (by {now}, {self.ahead} s from the chain's time): sign with a later "
                          "deadline")  # fmt: skip
        if used:
            raise Refusal(409, "nonce_used", f"nonce {checked.nonce} of {checked.signer} is already used")

    def _told_time(self) -> int:
        """The chain's time of the check, told with a contract's error."""
        return self._chain_time or int(self.sf.now())
