"""A host with no ETH does its committee duties through a relay process (issue 22): `host serve
--relay URL`'s sender signs its seals (SealCheck) and hands its reveals, attestations and claims to
the relay, whose keeper fixes the seeds. Every host is checked, attested and paid, and no host
spent a wei of gas: each balance grew by exactly its hosting pay."""

from __future__ import annotations

import time
from pathlib import Path

from starfish_dao.chain import grid
from starfish_dao.domain.charter import Parameter
from starfish_dao.domain.grid import CHALLENGES
from starfish_dao.domain.model import Model
from starfish_dao.hosting import RelaySender, duties, sync
from starfish_dao.ipfs.gateway import Gateway
from starfish_dao.ipfs.local import LocalStore
from tests.chain.test_grid import _next_epoch
from tests.conftest import FOUNDERS, Dao
from tests.relay.processes import start_relay


def test_hosts_check_and_are_paid_through_a_relay_without_spending_gas(dao: Dao, tmp_path: Path) -> None:
    sf = dao.sf
    dao.govern(sf.charter.functions.setParameter(int(Parameter.HOSTING_BPS), 300))
    stores = {n: LocalStore(tmp_path / n) for n in FOUNDERS}
    stores["ada"].add_bytes(b"# charter\n")  # the community's one file: its charter
    gateways = {n: Gateway(stores[n], owner=dao[n].address).start() for n in FOUNDERS}
    relay = start_relay(dao, tmp_path, KEEPER_FINALIZE="false")
    journals = {n: grid.Journal(tmp_path / f"{n}.json") for n in FOUNDERS}
    senders = {n: RelaySender(sf, dao[n], [relay.url]) for n in FOUNDERS}

    def until(what: str, ready: object, timeout: float = 60) -> Model:
        deadline = time.monotonic() + timeout
        while True:
            dao.chain.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]  # a chain mines blocks
            model = Model().apply_all(sf.logs())
            if ready(model):  # type: ignore[operator]
                return model
            assert time.monotonic() < deadline, f"{what}: {relay.log.read_text()[-2000:]}"
            time.sleep(0.2)

    def round_() -> list[object]:
        model = Model().apply_all(sf.logs())
        return [duties(sf, dao[n], stores[n], model, journals[n], sender=senders[n]) for n in FOUNDERS]

    try:
        for name in FOUNDERS:
            grid.register(sf, dao[name], gateways[name].url)
        epoch = _next_epoch(dao)
        until("the keeper fixes the seed", lambda m: epoch - 1 in m.grid.seeds)
        for name in ("bo", "cy"):
            assert not sync(sf, stores[name], dao[name].address, extra=[gateways["ada"].url]).missing
        sf.pay_eth(dao["zed"], 10**18)
        before = {n: sf.w3.eth.get_balance(dao[n].address) for n in FOUNDERS}
        _next_epoch(dao)
        until("the keeper fixes the checked epoch's seed", lambda m: epoch in m.grid.seeds)
        reports = round_()
        assert all(len(r.sealed) == 2 and not r.errors for r in reports), reports  # type: ignore[attr-defined]
        _next_epoch(dao)
        assert all(len(r.revealed) == 2 for r in round_())  # type: ignore[attr-defined]
        _next_epoch(dao)  # E + 3: the hosts may contest a false fail
        _next_epoch(dao)
        addresses = [dao[n].address for n in FOUNDERS]
        model = until("the keeper attests", lambda m: all(
            (t := m.grid.tallies.get((epoch, h))) is not None and t.attested for h in addresses))  # fmt: skip
        assert all(model.grid.tallies[(epoch, h)].passes == CHALLENGES for h in addresses)
        _next_epoch(dao)
        claimed = {n: r.claimed for n, r in zip(FOUNDERS, round_(), strict=True)}  # type: ignore[attr-defined]
        pot = 10**18 * 300 // 10_000
        for name in FOUNDERS:
            (claim,) = claimed[name]
            assert claim["amount"] == pot // 3  # three hosts, the same files each: equal units
            assert sf.w3.eth.get_balance(dao[name].address) - before[name] == claim["amount"]  # no gas spent
    finally:
        relay.stop()
        for gateway in gateways.values():
            gateway.stop()
