"""Relays paid back (issue 22): what each address spent carrying other members' actions, from the chain.

Every action a relay sends is a transaction from the relay's address to the community's contracts,
so the chain already knows what it spent. A transaction counts toward its sender's *basis* for the
epoch it was mined in when its events show it worked for someone else:

- a signed action carried for its signer (`NonceUsed` of a signer other than the sender: a Join,
  Leave, Submit, sealed review, ClaimTo, RegisterHost...; a governor ballot cast by signature,
  `VoteCast` of another voter);
- a keeper's public work: a finalize, a rating opened for its reviewer, a score or a forfeit, a
  panel drawn, an epoch's seed, a claim or review pay paid to someone else.

Its cost is `gasUsed × effectiveGasPrice` from the receipt. A reverted transaction emits nothing and
counts for nothing; neither does one that changed nothing, nor a member's own action, nor a commit
(whose author the chain does not name). The treasury pays a basis back only by a proposal
(`starfish propose relay-payback EPOCH RELAY CAP`), which members vote on; `starfish verify
--hosting` recomputes the basis of every executed payback and flags one that paid more.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starfish_dao.chain.client import Starfish
from starfish_dao.chain.rpc import RawRpc
from starfish_dao.domain.model import Model

#: events naming whom a transaction acted for (the field): work for someone else when not the sender
FOR_SOMEONE = {
    "NonceUsed": "signer", "VoteCast": "voter", "Reviewed": "reviewer", "ReviewPayClaimed": "reviewer",
    "Claimed": "member", "EthClaimed": "member",
}  # fmt: skip
#: a keeper's public work, whoever sends it
KEEPER = frozenset({"Finalized", "ReviewScored", "ReviewForfeited", "PanelDrawn", "PanelRescheduled", "SeedScheduled",
                    "SeedFixed"})  # fmt: skip
#: the line a payback proposal's description carries, which verify reads back
PAYBACK_LINE = re.compile(r"relay payback: epoch (\d+), relay (0x[0-9a-fA-F]{40}), basis (\d+) wei")


@dataclass
class Basis:
    relay: str
    epoch: int
    transactions: int = 0
    gas: int = 0
    wei: int = 0
    kinds: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def for_others(sender: str, events: Iterable[Mapping[str, Any]]) -> list[str]:
    """The events of one transaction that show its sender worked for someone else."""
    out = []
    for e in events:
        name = str(e["event"])
        if name in KEEPER or (name in FOR_SOMEONE and str(e["args"][FOR_SOMEONE[name]]).lower() != sender.lower()):
            out.append(name)
    return out


def basis(sf: Starfish, epoch: int, model: Model | None = None, events: list[dict[str, Any]] | None = None
          ) -> dict[str, Basis]:  # fmt: skip
    """Each sender's basis in `epoch` (by the epoch its transactions were mined in)."""
    events = events if events is not None else list(sf.logs())
    model = model or Model().apply_all(events)
    by_tx: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in events:
        if e.get("tx") and model.epoch_at(int(e["timestamp"])) == epoch:
            by_tx[str(e["tx"])].append(e)
    receipts = _receipts(sf, list(by_tx))
    out: dict[str, Basis] = {}
    for tx, receipt in receipts.items():
        if receipt is None or int(receipt["status"], 16) != 1:
            continue
        sender = sf.w3.to_checksum_address(receipt["from"])
        kinds = for_others(sender, by_tx[tx])
        if not kinds:
            continue
        b = out.setdefault(sender, Basis(sender, epoch))
        gas = int(receipt["gasUsed"], 16)
        b.transactions += 1
        b.gas += gas
        b.wei += gas * int(receipt.get("effectiveGasPrice") or "0x0", 16)
        for kind in set(kinds):
            b.kinds[kind] += 1
    return out


def _receipts(sf: Starfish, hashes: list[str], batch: int = 200) -> dict[str, dict[str, Any] | None]:
    rpc = RawRpc(sf.w3)
    out: dict[str, dict[str, Any] | None] = {}
    for start in range(0, len(hashes), batch):
        part = hashes[start : start + batch]
        answers = rpc.results([("eth_getTransactionReceipt", [h]) for h in part])
        for h, receipt in zip(part, answers, strict=True):
            out[h] = _hexed(receipt) if receipt is not None else None
    return out


def _hexed(receipt: Mapping[str, Any]) -> dict[str, Any]:
    """A receipt with its numbers as 0x-hex strings, whichever way the backend gave them."""
    return {k: (hex(v) if isinstance(v, int) else v) for k, v in dict(receipt).items()}


def description_line(epoch: int, relay: str, wei: int) -> str:
    return f"relay payback: epoch {epoch}, relay {relay}, basis {wei} wei"


@dataclass
class Payback:
    """An executed payback proposal, against its basis recomputed now."""

    proposal: int
    epoch: int
    relay: str
    stated: int  # the basis its description names
    recomputed: int
    paid: int  # what its spend sent the relay, in ETH

    @property
    def ok(self) -> bool:
        return self.stated == self.recomputed and self.paid <= self.recomputed


def paybacks(sf: Starfish, model: Model, events: list[dict[str, Any]] | None = None) -> list[Payback]:
    """Every executed proposal that says it pays a relay back, with its basis recomputed from the chain."""
    from starfish_dao.domain.model import ETH

    out = []
    bases: dict[int, dict[str, Basis]] = {}
    for pid, p in sorted(model.proposals.items()):
        found = PAYBACK_LINE.search(p.description)
        if not p.executed or found is None:
            continue
        epoch, relay, stated = int(found[1]), sf.w3.to_checksum_address(found[2]), int(found[3])
        if epoch not in bases:
            bases[epoch] = basis(sf, epoch, model, events)
        paid = 0
        for target, data in zip(p.targets, p.calldatas, strict=True):
            if target.lower() != sf.splitter.address.lower():
                continue
            fn, args = sf.splitter.decode_function_input(bytes(data))
            if fn.fn_name == "spend" and args["token"] == ETH and args["to"].lower() == relay.lower():
                paid += int(args["amount"])
        recomputed = bases[epoch].get(relay, Basis(relay, epoch)).wei
        out.append(Payback(pid, epoch, relay, stated, recomputed, paid))
    return out
