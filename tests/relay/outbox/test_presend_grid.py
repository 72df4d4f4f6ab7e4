"""Issue 24, finding 5 (gas for nothing), for the grid's unsigned actions: a RevealCheck, an Attest
or a ClaimHostingPay the relay accepted, then carried out directly by someone else (the checker's own
client, a second relay's attest keeper, the host claiming its own pay) before the submitter sends
it. Sent anyway, each reverts (`GridSealMismatch`, `GridNoAttestation`, `GridNoHostingPay`) at the
relayer's cost; the last look reads the grid's views and sends none: each is failed, final, with why."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from starfish_dao.chain import grid
from starfish_dao.chain.grid import CheckResult
from starfish_dao.domain.charter import Parameter
from starfish_dao.domain.grid import CHALLENGES
from starfish_dao.domain.model import ETH, Model
from tests.chain.test_grid import _next_epoch, _seed
from tests.conftest import ETHER, FOUNDERS, Dao
from tests.relay.conftest import RelayHarness
from tests.relay.outbox.test_presend import _accepted, _harness, _sent, _state, _step_until

EVIDENCE = b"\x01\x55\x12\x20" + b"\x07" * 32  # a CID's bytes


@pytest.fixture()
def checked(earning_dao: Dao) -> tuple[Dao, int, dict[tuple[str, str], CheckResult]]:
    """ada, bo and cy host from epoch E and each checks the other two, passing all challenges; every
    result is sealed and the chain is in E + 2 (revealing). Revenue arrived: E's pot is not empty."""
    dao, sf = earning_dao, earning_dao.sf
    dao.govern(sf.charter.functions.setParameter(int(Parameter.HOSTING_BPS), 300))
    for name in FOUNDERS:
        grid.register(sf, dao[name], "http://127.0.0.1:9/")
    epoch = _next_epoch(dao)
    _seed(dao, epoch - 1)  # E's assignment
    _next_epoch(dao)
    _seed(dao, epoch)  # E's checks
    model = Model().apply_all(sf.logs())
    assignment = model.grid.assignment(model, epoch)
    assert assignment is not None
    results = {(checker, host): CheckResult(epoch, dao[host].address, len(assignment.of(dao[host].address)),
                                            CHALLENGES, EVIDENCE)
               for host in FOUNDERS for checker in FOUNDERS if checker != host}  # fmt: skip
    sf.pay_eth(dao["zed"], ETHER)
    for (checker, _), result in results.items():
        grid.seal_check(sf, dao[checker], result)
    _next_epoch(dao)
    return dao, epoch, results


@pytest.fixture()
def held(checked: Any, tmp_path: Path) -> Iterator[RelayHarness]:
    """A relay whose submitter the test steps itself (created once the grid's state is reached)."""
    yield from _harness(checked[0], tmp_path)


def _not_sent(dao: Dao, harness: RelayHarness, action_id: str, code: str, untouched: str) -> None:
    """Steps the submitter: the action is failed and final with `code`, unsent; the `untouched` one
    beside it (not done by anyone else) is sent and succeeds: the relayer paid for it only."""
    before = _sent(dao, harness)
    harness.relay.submitter.step()
    assert _sent(dao, harness) == before + 1  # the untouched action only
    state = _state(harness, action_id)
    assert state["status"] == "failed" and state["final"] and state["txHash"] is None, state
    assert state["error"]["code"] == code and "not sent" in state["error"]["message"], state
    _step_until(harness, untouched, "mined")
    receipt = dao.sf.w3.eth.get_transaction_receipt(_state(harness, untouched)["txHash"])
    assert receipt["status"] == 1  # no reverted transaction paid for


def _reveal(dao: Dao, checker: str, result: CheckResult) -> dict[str, Any]:
    salt = result.salt(bytes(dao[checker].key), dao.sf.grid.address)
    return {"action": "RevealCheck", "epoch": result.epoch, "host": result.host, "checker": dao[checker].address,
            "held": result.held, "passes": result.passes, "evidence": "0x" + result.evidence.hex(),
            "failed": ["0x" + f.hex() for f in result.failed], "salt": "0x" + salt.hex()}  # fmt: skip


def test_the_last_look_computes_a_checks_seal_as_the_grid_does() -> None:
    """The seal a RevealCheck must match, with evidence and failed walks (`Grid.checkSeal`)."""
    from starfish_dao.relay.outbox import presend

    result = CheckResult(7, "0x" + "ab" * 20, 12_345, CHALLENGES - 2, EVIDENCE, (b"\x01" * 32, b"\x02" * 32))
    salt = b"\x05" * 32
    request = {"epoch": 7, "host": result.host, "checker": "0x" + "cd" * 20, "held": 12_345,
               "passes": CHALLENGES - 2, "evidence": "0x" + EVIDENCE.hex(),
               "failed": ["0x" + f.hex() for f in result.failed], "salt": "0x" + salt.hex()}  # fmt: skip
    assert presend._seal(request) == int.from_bytes(result.seal("0x" + "cd" * 20, salt), "big")


def test_a_check_revealed_by_someone_else_first_is_not_sent(checked: Any, held: RelayHarness) -> None:
    """The checker's own client reveals its sealed result directly after the relay accepted the same
    reveal (anyone holding the opening may send it): the seal's word is the result's now."""
    dao, _, results = checked
    reveal = _accepted(held, _reveal(dao, "ada", results[("ada", "bo")]))
    other = _accepted(held, _reveal(dao, "cy", results[("cy", "bo")]))
    grid.reveal_check(dao.sf, dao["zed"], dao["ada"], results[("ada", "bo")])  # directly, after the relay accepted
    _not_sent(dao, held, reveal, "already_revealed", other)


def test_an_attestation_someone_else_sent_first_is_not_sent(checked: Any, held: RelayHarness) -> None:
    """Two relays' attest keepers (on by default) both accept one host's attestation: the other's is
    mined first (here: sent directly)."""
    dao, epoch, results = checked
    for (checker, _), result in results.items():
        grid.reveal_check(dao.sf, dao["zed"], dao[checker], result)
    _next_epoch(dao)
    _next_epoch(dao)  # E + 4: attesting
    host = dao["ada"].address
    attest = _accepted(held, {"action": "Attest", "epoch": epoch, "host": host})
    other = _accepted(held, {"action": "Attest", "epoch": epoch, "host": dao["bo"].address})
    assert grid.attest(dao.sf, dao["zed"], epoch, host) > 0  # directly, after the relay accepted
    _not_sent(dao, held, attest, "already_attested", other)


def test_hosting_pay_the_host_claimed_first_is_not_sent(checked: Any, held: RelayHarness) -> None:
    """The relay's keeper accepts a host's hosting pay; the host claims it directly first."""
    dao, epoch, results = checked
    for (checker, _), result in results.items():
        grid.reveal_check(dao.sf, dao["zed"], dao[checker], result)
    _next_epoch(dao)
    _next_epoch(dao)
    host, cy = dao["ada"].address, dao["cy"].address
    for each in (host, cy):
        grid.attest(dao.sf, dao["zed"], epoch, each)
    _next_epoch(dao)  # E + 5: paying
    claim = _accepted(held, {"action": "ClaimHostingPay", "epoch": epoch, "host": host, "token": ETH})
    other = _accepted(held, {"action": "ClaimHostingPay", "epoch": epoch, "host": cy, "token": ETH})
    assert grid.claim_hosting_pay(dao.sf, dao["ada"], host, epoch, ETH) > 0  # the host, directly
    _not_sent(dao, held, claim, "nothing_to_claim", other)
