"""Relays paid back (issue 22): the chain already knows what a relay spent on others' actions; a
payback is a treasury spend members vote on, and verify recomputes its basis. A reverted
transaction, a member's own action and a commit are never in a basis."""

from __future__ import annotations

import pytest

from starfish_dao.chain import grid
from starfish_dao.chain.governance import Governance, spend
from starfish_dao.chain.payback import basis, description_line, paybacks
from starfish_dao.chain.tx import send
from starfish_dao.domain.charter import GovernanceSettings
from starfish_dao.domain.errors import ContractRevert
from starfish_dao.domain.model import ETH, Model
from tests.chain.test_grid import _next_epoch
from tests.conftest import ETHER, Dao

G = GovernanceSettings()


def _passed_and_executed(dao: Dao, calls: list[object], text: str) -> int:
    gov = Governance(dao.sf)
    pid = gov.propose(dao["ada"], calls, text)  # type: ignore[arg-type]
    dao.chain.increase_time(G.voting_delay + 1)
    for name in ("ada", "bo", "cy"):
        gov.vote(dao[name], pid, "for")
    dao.chain.increase_time(G.voting_period + 1)
    gov.queue(dao["zed"], pid)
    dao.chain.increase_time(G.timelock_delay + 1)
    gov.execute(dao["zed"], pid)
    return pid


def test_a_relay_is_paid_back_what_it_spent_for_others_and_nothing_else(earning_dao: Dao) -> None:
    dao = earning_dao
    sf, relay = dao.sf, dao["relay"]
    sf.pay_eth(dao["zed"], 2 * ETHER)  # the treasury keeps its share
    epoch = int(sf.charter.functions.currentEpoch().call())
    counted = [
        sf.submit_signed(relay, sf.sign(dao["zed"], "Join")),  # a Join carried for zed
        sf.submit_signed(relay, sf.sign(dao["ada"], "RegisterHost", endpoint="0x" + b"http://a.example".hex())),
        sf._send(relay, sf.grid.functions.fixSeed(epoch - 1)),  # a keeper's public work
    ]
    stale = sf.sign(dao["zed"], "Leave")
    sf.submit_signed(dao["zed"], stale)  # zed sends it first, paying
    carried_again = sf.by_sig_call(stale)
    with pytest.raises(ContractRevert):  # the relay sends it anyway (forced past the estimate): reverted
        send(sf.w3, relay, {"to": carried_again.address, "data": carried_again._encode_transaction_data()}, gas=200_000)
    sf.claim(dao["ada"], token=ETH)  # ada's own claim: her own action, no one's payback
    grid.unregister(sf, dao["ada"])  # her own, too
    _next_epoch(dao)

    found = basis(sf, epoch)
    assert set(found) == {relay.address}, found
    b = found[relay.address]
    assert b.transactions == 3
    assert b.gas == sum(int(r["gasUsed"]) for r in counted)
    assert b.wei == sum(int(r["gasUsed"]) * int(r["effectiveGasPrice"]) for r in counted) > 0
    assert dict(b.kinds) == {"NonceUsed": 2, "SeedScheduled": 1}

    # members vote the payback: at most the basis (and at most the cap the proposer set)
    line = description_line(epoch, relay.address, b.wei)
    before = sf.w3.eth.get_balance(relay.address)
    pid = _passed_and_executed(dao, spend(ETH, relay.address, b.wei), f"Pay the relay back\n\n{line}")
    assert sf.w3.eth.get_balance(relay.address) - before == b.wei
    model = Model().apply_all(sf.logs())
    (checked,) = paybacks(sf, model)
    assert checked.proposal == pid and checked.ok and checked.paid == checked.recomputed == b.wei

    # a proposal that claims the same basis but pays more is flagged by verify's recomputation
    _passed_and_executed(dao, spend(ETH, relay.address, b.wei + 1), f"Pay the relay back again\n\n{line}")
    model = Model().apply_all(sf.logs())
    flagged = [p for p in paybacks(sf, model) if not p.ok]
    assert len(flagged) == 1 and flagged[0].paid == b.wei + 1


def test_the_cli_lists_bases_and_proposes_a_capped_payback(earning_dao: Dao, tmp_path: object) -> None:
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    dao = earning_dao
    sf, relay = dao.sf, dao["relay"]
    epoch = int(sf.charter.functions.currentEpoch().call())
    sf.submit_signed(relay, sf.sign(dao["zed"], "Join"))
    _next_epoch(dao)
    home = Path(str(tmp_path))
    dao.deployment.save(home / "deployments")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("STARFISH_")}, "STARFISH_HOME": str(home / "h"),
           "STARFISH_RPC_URL": dao.chain.url, "STARFISH_PRIVATE_KEY": dao["ada"].key.hex()}  # fmt: skip

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "starfish_dao.cli", *args, "--deployments", str(home / "deployments")]
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)

    listed = run("payback", "--json")
    assert listed.returncode == 0, listed.stderr
    (entry,) = json.loads(listed.stdout)["relays"]
    assert entry["relay"] == relay.address and entry["transactions"] == 1 and int(entry["wei"]) > 0
    too_early = run("propose", "relay-payback", str(epoch + 1), relay.address, "1", "--title", "Pay back")
    assert too_early.returncode != 0 and "has not ended" in too_early.stderr, too_early.stderr
    nobody = run("propose", "relay-payback", str(epoch), dao["bo"].address, "1", "--title", "Pay back")
    assert nobody.returncode != 0 and "carried no one else's action" in nobody.stderr, nobody.stderr
    cap = "0.000000000000001"  # 1,000 wei: below the basis, so the cap is what is asked
    made = run("propose", "relay-payback", str(epoch), relay.address, cap, "--title", "Pay the relay back", "--json")
    assert made.returncode == 0, made.stderr
    model = Model().apply_all(sf.logs())
    (proposal,) = [p for p in model.proposals.values() if "relay payback" in p.description]
    assert f"relay payback: epoch {epoch}, relay {relay.address}, basis {entry['wei']} wei" in proposal.description
    fn, args = sf.splitter.decode_function_input(bytes(proposal.calldatas[0]))
    assert fn.fn_name == "spend" and args["amount"] == 1000 and args["to"] == relay.address
