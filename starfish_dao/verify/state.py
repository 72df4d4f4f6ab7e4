"""Compare the contracts' views with the reference model replayed from their events, to the wei."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils.address import to_checksum_address

from starfish_dao.chain.client import Starfish
from starfish_dao.domain.charter import Parameter
from starfish_dao.domain.model import ETH, Model


@dataclass(frozen=True)
class Check:
    """One comparison: `subject` (member, token, contract) and `what`, on-chain value vs model value."""

    subject: str
    what: str
    chain: Any
    model: Any
    category: str = "state"
    note: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.chain == self.model)

    def __str__(self) -> str:
        verdict = "ok" if self.ok else "MISMATCH"
        note = f" ({self.note})" if self.note else ""
        return f"{verdict}: [{self.category}] {self.subject} {self.what}: chain={self.chain} model={self.model}{note}"


def replay(sf: Starfish) -> Model:
    return Model().apply_all(sf.logs())


def compare(sf: Starfish, model: Model | None = None) -> list[Check]:
    """Every check of state and money; a list of `Check`, all ok when the chain equals the model."""
    model = model or replay(sf)
    now = sf.now()
    checks: list[Check] = [Check("model", "derived values stated by events", [], model.discrepancies)]
    s, m, c = sf.splitter.functions, sf.membership.functions, sf.charter.functions
    onchain_params = tuple(c.params().call())
    checks.append(Check("charter", "parameters", onchain_params, model.params.as_tuple()))
    for p in Parameter:
        checks.append(Check("charter", f"{p.name.lower()}", c.parameter(int(p)).call(), model.params.value(p)))
    checks.append(Check("charter", "epoch", c.currentEpoch().call(), model.epoch_at(now)))
    checks.append(Check("charter", "document CID", bytes(c.documentCid().call()), model.document_cid))
    checks.append(Check("charter", "revenue tokens", list(c.revenueTokens().call()), model.tokens))
    checks.append(Check("splitter", "era", s.era().call(), model.era))
    checks.append(Check("splitter", "total points", s.totalPoints().call(), model.total_points(now)))
    active = sum(1 for mem in model.members.values() if mem.token_id)
    checks.append(Check("membership", "member count", m.memberCount().call(), active))
    tokens = model.all_tokens()
    for address in model.accounts_seen():
        record = model.members.get(address)
        checks.append(Check(address, "token id", m.tokenOf(address).call(), record.token_id if record else 0))
        suspended = record.suspended if record else False
        checks.append(Check(address, "suspended", m.isSuspended(address).call(), suspended))
        checks.append(Check(address, "points", s.pointsOf(address).call(), model.points_of(address, now)))
        for token in tokens:
            checks.append(
                Check(
                    address, f"claimable {token}", s.claimable(address, token).call(), model.claimable(address, token)
                )
            )
    for token in tokens:
        checks.append(Check(token, "treasury", s.treasury(token).call(), model.treasury[token]))
        checks.append(Check(token, "undistributed", s.undistributed(token).call(), model.undistributed[token]))
        checks.append(Check(token, "tracked", s.tracked(token).call(), model.tracked[token]))
        balance = _balance(sf, token)
        untracked = balance - model.tracked[token]
        note = (
            f"{untracked} wei arrived without a receipt (e.g. a self-destruct); `sync` accounts it"
            if untracked > 0
            else ""
        )
        checks.append(
            Check(token, "balance covers every obligation", balance >= model.tracked[token], True, "money", note)
        )
        dust, bound = model.dust(token), model.dust_bound(token)
        checks.append(Check(token, "solvent: dust >= 0", dust >= 0, True, "money", f"dust {dust} wei"))
        checks.append(
            Check(token, f"dust within its bound ({bound} wei)", dust <= bound, True, "money", f"dust {dust} wei")
        )
        accounted = (
            model.claimed[token] + model.total_claimable(token) + model.spent[token] + model.treasury[token]
            + model.undistributed[token] + dust
        )  # fmt: skip
        checks.append(
            Check(
                token,
                "received = claimed + claimable + spent + treasury + undistributed + dust",
                model.received[token],
                accounted,
                "money",
            )
        )
    return checks


def _balance(sf: Starfish, token: str) -> int:
    if token == ETH:
        return int(sf.w3.eth.get_balance(sf.splitter.address))
    from starfish_dao.chain import artifacts

    erc20 = sf.w3.eth.contract(address=to_checksum_address(token), abi=artifacts.abi("TestToken"))
    return int(erc20.functions.balanceOf(sf.splitter.address).call())
