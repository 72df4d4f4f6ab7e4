"""The charter: bounds on every parameter, governance only, document, tokens, clock rebasing."""

from __future__ import annotations

import pytest
from eth_utils.address import to_checksum_address

from starfish_dao.domain.charter import BOUNDS, DAY, Parameter
from starfish_dao.domain.model import ETH
from tests.conftest import PARAMS, Dao, reverts, send_as


@pytest.mark.parametrize("parameter", list(Parameter))
def test_bounds_are_enforced_and_readable(dao: Dao, parameter: Parameter) -> None:
    sf = dao.sf
    c = sf.charter.functions
    low, high = BOUNDS[parameter]
    assert tuple(c.bounds(int(parameter)).call()) == (low, high)
    if low > 0:
        with reverts("CharterValueOutOfBounds", value=low - 1, min=low, max=high):
            dao.govern(c.setParameter(int(parameter), low - 1))
    with reverts("CharterValueOutOfBounds", value=high + 1):
        dao.govern(c.setParameter(int(parameter), high + 1))
    if parameter == Parameter.EPOCH_LENGTH:  # (the bound on the half-life in seconds is tested below)
        dao.govern(c.setParameter(int(Parameter.HALF_LIFE), 0))
    dao.govern(c.setParameter(int(parameter), high))
    assert c.parameter(int(parameter)).call() == high
    assert dao.model().params.value(parameter) == high


def test_only_governance_changes_the_charter(dao: Dao) -> None:
    sf, zed = dao.sf, dao["zed"]
    c = sf.charter.functions
    for call in (
        c.setParameter(int(Parameter.MIN_REVIEWERS), 3),
        c.setDocument(b"\x01" * 36),
        c.setRevenueToken(zed.address, True),
        c.transferGovernance(zed.address),
    ):
        with reverts("CharterUnauthorized", caller=zed.address):
            sf._send(zed, call)


def test_document_and_tokens_and_governance(dao: Dao) -> None:
    sf, zed = dao.sf, dao["zed"]
    c = sf.charter.functions
    with reverts("CharterInvalidDocument", length=0):
        dao.govern(c.setDocument(b""))
    with reverts("CharterInvalidDocument", length=129):
        dao.govern(c.setDocument(b"\x01" * 129))
    dao.govern(c.setDocument(b"\x02" * 36))
    assert c.documentCid().call() == b"\x02" * 36
    assert c.isRevenueToken(ETH).call()
    with reverts("CharterInvalidRevenueToken"):
        dao.govern(c.setRevenueToken(ETH, True))
    dao.govern(c.setRevenueToken(dao.token, False))
    assert not c.isRevenueToken(dao.token).call()
    assert c.revenueTokens().call() == []  # delisting frees the slot
    for i in range(8):
        dao.govern(c.setRevenueToken(to_checksum_address("0x" + f"{i + 1:040x}"), True))
    with reverts("CharterInvalidRevenueToken"):  # at most eight at once
        dao.govern(c.setRevenueToken(to_checksum_address("0x" + "ff" * 20), True))
    with reverts("CharterInvalidGovernance"):
        dao.govern(c.transferGovernance(ETH))
    timelock = dao.governance
    dao.govern(c.transferGovernance(zed.address))
    assert c.governance().call() == zed.address
    with reverts("CharterUnauthorized"):  # the old governance can do nothing any more
        send_as(dao.chain, timelock, c.setParameter(int(Parameter.MIN_REVIEWERS), 3))
    m = dao.model()
    assert m.discrepancies == [] and m.governance == zed.address and m.document_cid == b"\x02" * 36


def test_epochs_and_halvings_count_from_a_moving_base(dao: Dao) -> None:
    sf = dao.sf
    c = sf.charter.functions
    e0 = c.currentEpoch().call()
    dao.chain.increase_time(PARAMS.epoch_length)
    assert c.currentEpoch().call() == e0 + 1
    halvings = c.currentHalvings().call()
    dao.govern(c.setParameter(int(Parameter.HALF_LIFE), 200))
    dao.govern(c.setParameter(int(Parameter.EPOCH_LENGTH), DAY))  # the epoch counter continues
    assert c.currentEpoch().call() == e0 + 1
    dao.chain.increase_time(6 * DAY)  # the current epoch kept its 7-day start: a day-long epoch 6 days in
    assert c.currentEpoch().call() == e0 + 7
    dao.govern(c.setParameter(int(Parameter.HALF_LIFE), 30))
    dao.chain.increase_time(90 * DAY)
    assert c.currentHalvings().call() == halvings + 3
    dao.govern(c.setParameter(int(Parameter.HALF_LIFE), 0))  # no decay: frozen
    dao.chain.increase_time(300 * DAY)
    assert c.currentHalvings().call() == halvings + 3
    m = dao.model()
    now = sf.now()
    assert m.halvings_at(now) == halvings + 3
    assert m.epoch_at(now) == c.currentEpoch().call()
    assert len(c.clockHistory().call()) == len(m.clocks) == 5
    for then in (now - 400 * DAY, now - 100 * DAY, now - DAY):  # the history answers for the past too
        assert c.halvingsAt(then).call() == m.halvings_at(then)
        # the award's one call answers both, as the two calls do
        assert c.halvingsNowAndAt(then).call() == [c.currentHalvings().call(), m.halvings_at(then)]


def test_writing_the_current_value_changes_nothing(dao: Dao) -> None:
    """Rewriting epoch length or half-life used to restart the epoch and drop halving progress."""
    sf = dao.sf
    c = sf.charter.functions
    dao.chain.increase_time(PARAMS.half_life * PARAMS.epoch_length - DAY)  # a day before the first halving
    for _ in range(3):
        dao.govern(c.setParameter(int(Parameter.EPOCH_LENGTH), PARAMS.epoch_length))
        dao.govern(c.setParameter(int(Parameter.HALF_LIFE), PARAMS.half_life))
    assert len(c.clockHistory().call()) == 1
    dao.chain.increase_time(DAY)
    assert c.currentHalvings().call() == 1  # on time
    assert c.currentEpoch().call() == PARAMS.half_life


def test_points_may_not_halve_faster_than_every_30_days(dao: Dao) -> None:
    sf = dao.sf
    c = sf.charter.functions
    with reverts("CharterDecayTooFast", halfLifeSeconds=7 * DAY, minimum=30 * DAY):
        dao.govern(c.setParameter(int(Parameter.HALF_LIFE), 1))
    dao.govern(c.setParameter(int(Parameter.HALF_LIFE), 0))  # no decay is always allowed
