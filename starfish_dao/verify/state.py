"""Compare the contracts' views with the reference model replayed from their events, to the wei."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starfish_dao.chain.client import Starfish
from starfish_dao.chain.rpc import RawRpc, ViewCalls
from starfish_dao.domain.charter import Parameter
from starfish_dao.domain.model import ETH, STATUSES, Model


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


def compare(sf: Starfish, model: Model | None = None, block: int | None = None) -> list[Check]:
    """Every check of state and money at `block` (default: the latest), all ok when the chain equals
    the model. The contracts' views are read in JSON-RPC batches (thousands of members are fine)."""
    model = model or replay(sf)
    head = int(sf.w3.eth.block_number) if block is None else block
    now = int(sf.w3.eth.get_block(head)["timestamp"])
    calls = ViewCalls(RawRpc(sf.w3), hex(head))
    charter, membership, splitter = sf.charter, sf.membership, sf.splitter
    c_abi, m_abi, s_abi = charter.abi, membership.abi, splitter.abi

    def view(contract: Any, abi: Any, name: str, *args: Any) -> int:
        return calls.add(contract.address, abi, name, *args)

    tokens = model.all_tokens()
    accounts = model.accounts_seen()
    era_now = model.era_at(now)
    groups = sorted(e for e, total in model.group_totals.items() if total or e == era_now)
    pending = [c for c in model.contributions.values() if c.status == "pending"]
    registry, r_abi = sf.registry, sf.registry.abi
    desks = sorted(model.desks)
    pay_epochs = sorted({epoch for _, epoch in desks})
    pots = sorted(model.review_pots)
    slots: dict[str, Any] = {
        "params": view(charter, c_abi, "params"),
        "parameters": [view(charter, c_abi, "parameter", int(p)) for p in Parameter],
        "epoch": view(charter, c_abi, "currentEpoch"),
        "document": view(charter, c_abi, "documentCid"),
        "tokens": view(charter, c_abi, "revenueTokens"),
        "era": view(splitter, s_abi, "era"),
        "total": view(splitter, s_abi, "totalPoints"),
        "count": view(membership, m_abi, "memberCount"),
        "members": [
            (
                view(membership, m_abi, "tokenOf", a),
                view(membership, m_abi, "isSuspended", a),
                view(membership, m_abi, "generation", a),
                view(splitter, s_abi, "pointsOf", a),
                view(splitter, s_abi, "standing", a, 0),
                view(splitter, s_abi, "account", a),
                [view(splitter, s_abi, "claimable", a, t) for t in tokens],
            )
            for a in accounts
        ],
        "groups": [
            (
                view(splitter, s_abi, "groupTotal", e),
                [view(splitter, s_abi, "accumulator", e, *model.key_of(t)) for t in tokens],
            )
            for e in groups
        ],
        "pending": [
            (
                view(sf.registry, sf.registry.abi, "status", c.id),
                view(sf.registry, sf.registry.abi, "tally", c.id),
                view(sf.registry, sf.registry.abi, "panel", c.id),
            )
            for c in pending
        ],
        "desks": [view(registry, r_abi, "desk", reviewer, epoch) for reviewer, epoch in desks],
        "pay_epochs": [view(registry, r_abi, "reviewPayEpoch", epoch) for epoch in pay_epochs],
        "pots": [view(registry, r_abi, "reviewPot", epoch, token) for epoch, token in pots],
        "review_books": [
            None if t == ETH else calls.add(t, ERC20_BALANCE_ABI, "balanceOf", registry.address) for t in tokens
        ],
        "books": [
            (
                view(splitter, s_abi, "treasury", t),
                view(splitter, s_abi, "undistributed", t),
                view(splitter, s_abi, "tracked", t),
                None if t == ETH else calls.add(t, ERC20_BALANCE_ABI, "balanceOf", splitter.address),
            )
            for t in tokens
        ],
    }
    grid_hosts, seeded = sorted(model.grid.hosts), sorted(model.grid.seeds)
    if "grid" in sf.contracts:
        grid, g_abi = sf.grid, sf.grid.abi
        slots["grid"] = (
            view(grid, g_abi, "hostCount"),
            [view(grid, g_abi, "hostAt", i) for i in range(len(grid_hosts))],
            [view(grid, g_abi, "hostOf", h) for h in grid_hosts],
            [view(grid, g_abi, "seedOf", epoch) for epoch in seeded],
            view(grid, g_abi, "pendingSeed"),
            [view(grid, g_abi, "tallyOf", epoch, host) for epoch, host in sorted(model.grid.tallies)],
            [view(grid, g_abi, "epochUnits", epoch) for epoch in sorted(model.grid.units)],
            [view(grid, g_abi, "hostingPot", epoch, token) for epoch, token in sorted(model.hosting_pots)],
            [None if t == ETH else calls.add(t, ERC20_BALANCE_ABI, "balanceOf", grid.address) for t in tokens],
            [view(splitter, s_abi, "kept", t) for t in tokens],
        )
    r = calls.run()
    checks: list[Check] = [Check("model", "derived values stated by events", [], model.discrepancies)]
    params = r[slots["params"]]
    checks.append(Check("charter", "parameters", tuple(params) if params else params, model.params.as_tuple()))
    for p, slot in zip(Parameter, slots["parameters"], strict=True):
        checks.append(Check("charter", p.name.lower(), r[slot], model.params.value(p)))
    checks.append(Check("charter", "epoch", r[slots["epoch"]], model.epoch_at(now)))
    checks.append(Check("charter", "document CID", r[slots["document"]], model.document_cid))
    checks.append(Check("charter", "revenue tokens", list(r[slots["tokens"]] or []), model.tokens))
    checks.append(Check("splitter", "era", r[slots["era"]], era_now))
    checks.append(Check("splitter", "total points", r[slots["total"]], model.total_points(now)))
    active = sum(1 for mem in model.members.values() if mem.token_id)
    checks.append(Check("membership", "member count", r[slots["count"]], active))
    for address, (token_id, suspended, generation, points, standing, raw, claimables) in zip(
        accounts, slots["members"], strict=True
    ):
        record = model.members.get(address)
        checks.append(Check(address, "token id", r[token_id], record.token_id if record else 0))
        checks.append(Check(address, "suspended", r[suspended], record.suspended if record else False))
        checks.append(Check(address, "generation", r[generation], record.generation if record else 0))
        checks.append(Check(address, "points", r[points], model.points_of(address, now)))
        # standing: points plus genesis, now and at time 0 (the founders' genesis as deployed)
        stated = tuple(r[standing] or ())
        checks.append(
            Check(address, "standing", stated, (model.points_at(address, 0), model.standing_of(address, now)))
        )
        credited, group = model.accounts.get(address, (0, 0))
        checks.append(Check(address, "credited points and group", tuple(r[raw] or ()), (credited, group)))
        for token, slot in zip(tokens, claimables, strict=True):
            checks.append(Check(address, f"claimable {token}", r[slot], model.claimable(address, token)))
    for era, (total, accs) in zip(groups, slots["groups"], strict=True):
        checks.append(Check(f"group {era}", "credited total", r[total], model.group_totals.get(era, 0)))
        for token, slot in zip(tokens, accs, strict=True):
            key = model.key_of(token)
            checks.append(
                Check(f"group {era}", f"accumulator {token} #{key[1]}", r[slot], model.acc.get((era, key), 0))
            )
    for c, (status, tally, panel) in zip(pending, slots["pending"], strict=True):
        checks.append(Check(f"contribution {c.id}", "status", STATUSES[r[status]], c.status))
        checks.append(Check(f"contribution {c.id}", "weighted tally", list(r[tally] or []), c.weights))
        checks.append(Check(f"contribution {c.id}", "panel", tuple(r[panel] or ()), (c.draw_block, c.seed, c.divisor)))
    for (reviewer, epoch), slot in zip(desks, slots["desks"], strict=True):
        d = model.desks[(reviewer, epoch)]
        stated = tuple(r[slot] or ())
        expected = (d.spent, d.revealed, d.settled, 0 if d.last is None else d.last + 1, d.forfeited, d.total)
        checks.append(Check(reviewer, f"review pay desk of epoch {epoch}", stated, expected, "reviews"))
    for epoch, slot in zip(pay_epochs, slots["pay_epochs"], strict=True):
        positive, medians, closed = r[slot] or (None, [], None)
        in_epoch = (model.review_positive[epoch], model.review_medians[epoch], model.review_pay_closed(epoch, now))
        stated_epoch = (positive, list(medians), closed)
        checks.append(
            Check(f"epoch {epoch}", "review pay (positive, medians, closed)", stated_epoch, in_epoch, "reviews")
        )
    for (epoch, token), slot in zip(pots, slots["pots"], strict=True):
        pot = (model.review_pots[(epoch, token)], True)
        checks.append(Check(f"epoch {epoch}", f"review pot {token}", tuple(r[slot] or ()), pot, "reviews"))
    if "grid" in slots:
        checks += _grid_checks(model, r, slots["grid"][:5], grid_hosts, seeded)
        checks += _hosting_pay_checks(sf, model, r, slots["grid"][5:], tokens, head)
    for token, balance_slot in zip(tokens, slots["review_books"], strict=True):
        registry_balance = sf.w3.eth.get_balance(registry.address, head) if balance_slot is None else r[balance_slot]
        held, owed = int(registry_balance or 0), model.review_pay_obligations(token)
        note = f"holds {held}, owes {owed}, released and unpaid {model.review_pay_held(token)}"
        checks.append(
            Check(token, "the registry holds every share of review pay it owes", held >= owed, True, "money", note)
        )
    for token, (treasury, undistributed, tracked, balance_slot) in zip(tokens, slots["books"], strict=True):
        checks.append(Check(token, "treasury", r[treasury], model.treasury[token]))
        checks.append(Check(token, "undistributed", r[undistributed], model.undistributed[token]))
        checks.append(Check(token, "tracked", r[tracked], model.tracked[token]))
        if balance_slot is None:
            balance = int(sf.w3.eth.get_balance(splitter.address, head))
        else:
            balance = int(r[balance_slot] or 0)
        untracked = balance - model.tracked[token]
        note = (
            f"{untracked} wei arrived without a receipt (sent plainly, or by a self-destruct); "
            "the next sync, claim or award accounts it"
            if untracked > 0
            else ""
        )
        checks.append(
            Check(token, "balance covers every obligation", balance >= model.tracked[token], True, "money", note)
        )
        dust, bound = model.dust(token), model.dust_bound(token)
        checks.append(Check(token, "solvent: dust >= 0", dust >= 0, True, "money", f"dust {dust} wei"))
        checks.append(
            Check(
                token,
                f"nothing unclaimable beyond rounding (bound {bound} wei)",
                dust <= bound,
                True,
                "money",
                f"{dust - bound} wei can be claimed by nobody" if dust > bound else f"rounding dust {dust} wei",
            )
        )
        checks.append(
            Check(
                token,
                "received = claimed + spent + released to reviewers and hosts + tracked",
                model.received[token],
                model.claimed[token]
                + model.spent[token]
                + model.review_released[token]
                + model.hosting_released[token]
                + model.tracked[token],
                "money",
            )
        )
    return checks


def _grid_checks(model: Model, r: Any, slots: Any, hosts: list[str], seeded: list[int]) -> list[Check]:
    """The grid's hosts (who, since when, at which endpoint) and epoch seeds, against the model."""
    from starfish_dao.domain.fastabi import keccak

    count, listed, records, seeds, pending = slots
    checks = [Check("grid", "host count", r[count], len(hosts), "grid")]
    checks.append(Check("grid", "hosts", sorted(str(r[i]) for i in listed if r[i]), hosts, "grid"))
    for host, slot in zip(hosts, records, strict=True):
        record = model.grid.hosts[host]
        _, since, endpoint_hash = r[slot] or (0, 0, b"")
        stated = (int(since), bytes(endpoint_hash))
        expected = (record.since, keccak(record.endpoint))
        checks.append(Check(host, "hosting since, endpoint hash", stated, expected, "grid"))
    for epoch, slot in zip(seeded, seeds, strict=True):
        s = model.grid.seeds[epoch]
        stated_seed = tuple(int(v) for v in (r[slot] or ()))
        checks.append(Check(f"epoch {epoch}", "grid seed (seed, hosts)", stated_seed, (s.seed, s.hosts), "grid"))
    stated_pending = tuple(int(v) for v in (r[pending] or ()))
    waiting = model.grid.pending
    checks.append(Check("grid", "seed waiting for its block (epoch, block)", stated_pending, waiting, "grid"))
    return checks


def _hosting_pay_checks(sf: Starfish, model: Model, r: Any, slots: Any, tokens: list[str], head: int) -> list[Check]:
    """Each host's checks and attestation, each epoch's units and pots, what the splitter keeps for
    reviewers and hosts, and that the grid holds every share of hosting pay it owes."""
    tallies, units, pots, balances, kept = slots
    checks = []
    for (epoch, host), slot in zip(sorted(model.grid.tallies), tallies, strict=True):
        t = model.grid.tallies[(epoch, host)]
        stated = tuple(r[slot] or ())
        expected = (t.revealed, t.votes, t.held, t.passes, t.attested)
        checks.append(Check(host, f"checks of epoch {epoch} (revealed, votes, held, passes, attested)", stated,
                            expected, "grid"))  # fmt: skip
    for epoch, slot in zip(sorted(model.grid.units), units, strict=True):
        checks.append(Check(f"epoch {epoch}", "hosting units attested", r[slot], model.grid.units[epoch], "grid"))
    for (epoch, token), slot in zip(sorted(model.hosting_pots), pots, strict=True):
        pot = (model.hosting_pots[(epoch, token)], True)
        checks.append(Check(f"epoch {epoch}", f"hosting pot {token}", tuple(r[slot] or ()), pot, "grid"))
    for token, balance_slot, kept_slot in zip(tokens, balances, kept, strict=True):
        stated_kept = tuple(r[kept_slot] or ())
        expected_kept = (model.for_reviewers[token], model.for_hosts[token])
        checks.append(Check(token, "kept for reviewers and hosts", stated_kept, expected_kept, "money"))
        grid_balance = sf.w3.eth.get_balance(sf.grid.address, head) if balance_slot is None else r[balance_slot]
        held, owed = int(grid_balance or 0), model.hosting_pay_obligations(token)
        note = f"holds {held}, owes {owed}, released and unpaid {model.hosting_pay_held(token)}"
        what = "the grid holds every share of hosting pay it owes"
        checks.append(Check(token, what, held >= owed, True, "money", note))
    return checks


ERC20_BALANCE_ABI: list[dict[str, Any]] = [
    {
        "type": "function",
        "name": "balanceOf",
        "inputs": [{"name": "owner", "type": "address"}],
        "outputs": [{"name": "", "type": "uint256"}],
        "stateMutability": "view",
    }
]
