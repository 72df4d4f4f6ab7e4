"""Hosting is relayable (issue 22): a member with standing registers an endpoint through the relay,
with no ETH; an address without standing is refused before the relay spends any gas."""

from __future__ import annotations

from starfish_dao.chain import grid
from tests.conftest import Dao
from tests.relay.conftest import RelayHarness

ENDPOINT = "0x" + b"https://ada.example".hex()


def test_a_member_registers_and_unregisters_as_a_host_through_the_relay(dao: Dao, relay: RelayHarness) -> None:
    ada = dao["ada"]  # a founder: genesis standing as the epoch began
    answer = relay.client.post("/v1/actions", json=relay.signed(ada, "RegisterHost", endpoint=ENDPOINT))
    assert answer.status_code == 202, answer.text
    assert relay.wait(answer.json()["id"])["status"] == "mined"
    assert grid.hosts(dao.sf) == [ada.address]
    bye = relay.client.post("/v1/actions", json=relay.signed(ada, "UnregisterHost"))
    assert bye.status_code == 202, bye.text
    assert relay.wait(bye.json()["id"])["status"] == "mined"
    assert grid.hosts(dao.sf) == []


def test_a_host_without_standing_is_refused_before_any_gas(dao: Dao, relay: RelayHarness) -> None:
    spent = dao.sf.w3.eth.get_transaction_count(relay.relayer.address)
    for name in ("zed", "dee"):  # an outsider; a member with no points
        answer = relay.client.post("/v1/actions", json=relay.signed(dao[name], "RegisterHost", endpoint=ENDPOINT))
        assert answer.status_code == 422, answer.text
        detail = answer.json()
        assert "Grid" in str(detail), detail  # the contract's own reason, named
    assert dao.sf.w3.eth.get_transaction_count(relay.relayer.address) == spent
    assert grid.hosts(dao.sf) == []


def test_checks_go_through_the_relay_and_its_keeper_attests(dao: Dao, relay: RelayHarness) -> None:
    """A checker needs no ETH: its seal is a signed SealCheck, its reveal an unsigned RevealCheck
    (the salt is the checker's to give), the relay's keeper attests once the checkers agree, and a
    ClaimHostingPay pays the host. A Sybil's seal and a reveal that is not what was sealed are
    refused with the contract's reason before the relay spends any gas."""
    import time

    from starfish_dao.chain.grid import CheckResult
    from starfish_dao.domain.charter import Parameter
    from starfish_dao.domain.grid import CHALLENGES
    from starfish_dao.domain.model import ETH, Model
    from tests.chain.test_grid import _next_epoch, _seed

    sf = dao.sf
    dao.govern(sf.charter.functions.setParameter(int(Parameter.HOSTING_BPS), 300))
    for name in ("ada", "bo", "cy"):
        grid.register(sf, dao[name], f"https://{name}.example")
    epoch = _next_epoch(dao)
    _seed(dao, epoch - 1)
    _next_epoch(dao)
    _seed(dao, epoch)
    model = Model().apply_all(sf.logs())
    a = model.grid.assignment(model, epoch)
    assert a is not None
    bo = dao["bo"].address
    result = CheckResult(epoch, bo, len(a.of(bo)), CHALLENGES, b"")
    salts = {n: result.salt(bytes(dao[n].key), sf.grid.address) for n in ("ada", "cy")}

    def mined(body: dict[str, object]) -> None:
        answer = relay.client.post("/v1/actions", json=body)
        assert answer.status_code == 202, answer.text
        assert relay.wait(answer.json()["id"])["status"] == "mined"

    def refused(body: dict[str, object], error: str) -> None:
        spent = sf.w3.eth.get_transaction_count(relay.relayer.address)
        answer = relay.client.post("/v1/actions", json=body)
        assert answer.status_code == 422 and error in answer.text, answer.text
        assert sf.w3.eth.get_transaction_count(relay.relayer.address) == spent

    for name in ("ada", "cy"):
        sealed = "0x" + result.seal(dao[name].address, salts[name]).hex()
        mined(relay.signed(dao[name], "SealCheck", epoch=epoch, host=bo, sealed=sealed))
    sybil = "0x" + result.seal(dao["dee"].address, bytes(32)).hex()
    refused(relay.signed(dao["dee"], "SealCheck", epoch=epoch, host=bo, sealed=sybil), "GridNotCounted")
    _next_epoch(dao)

    def reveal(name: str, passes: int) -> dict[str, object]:
        return {"action": "RevealCheck", "epoch": epoch, "host": bo, "checker": dao[name].address,
                "held": result.held, "passes": passes, "evidence": "0x", "failed": [],
                "salt": "0x" + salts[name].hex()}  # fmt: skip

    refused(reveal("ada", CHALLENGES - 1), "GridSealMismatch")
    for name in ("ada", "cy"):
        mined(reveal(name, CHALLENGES))
    sf.pay_eth(dao["zed"], 10**18)
    _next_epoch(dao)  # E + 3: the hosts may contest a false fail
    _next_epoch(dao)
    deadline = time.monotonic() + 30
    while not sf.grid.functions.tallyOf(epoch, bo).call()[4]:  # the keeper attests
        assert time.monotonic() < deadline, "the relay's keeper did not attest"
        time.sleep(0.1)
    _next_epoch(dao)
    before = sf.w3.eth.get_balance(bo)
    mined({"action": "ClaimHostingPay", "epoch": epoch, "host": bo, "token": ETH})
    assert sf.w3.eth.get_balance(bo) - before == 10**18 * 300 // 10_000  # the only host attested: the whole pot
