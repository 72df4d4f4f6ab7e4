"""Membership: open join, leave, soulbound, suspension by governance."""

from __future__ import annotations

from tests.conftest import Dao, artifact_cid, reverts


def test_join_mints_one_locked_token(dao: Dao) -> None:
    m = dao.sf.membership.functions
    zed = dao["zed"]
    before = m.memberCount().call()
    token_id = dao.sf.join(zed)
    assert m.ownerOf(token_id).call() == zed.address
    assert m.tokenOf(zed.address).call() == token_id
    assert m.locked(token_id).call() is True
    assert m.isActive(zed.address).call() is True
    assert m.memberCount().call() == before + 1
    assert m.supportsInterface(bytes.fromhex("b45a3c0e")).call() is True  # ERC-5192
    assert m.supportsInterface(bytes.fromhex("80ac58cd")).call() is True  # ERC-721


def test_join_twice_reverts(dao: Dao) -> None:
    with reverts("MembershipAlreadyMember", account=dao["ada"].address):
        dao.sf.join(dao["ada"])


def test_locked_on_missing_token_reverts(dao: Dao) -> None:
    from starfish_dao.chain.tx import call_or_raise

    with reverts("ERC721NonexistentToken"):
        call_or_raise(dao.sf.membership.functions.locked(10**6))


def test_every_transfer_reverts(dao: Dao) -> None:
    sf, ada, zed = dao.sf, dao["ada"], dao["zed"]
    token_id = sf.membership.functions.tokenOf(ada.address).call()
    with reverts("MembershipSoulbound", tokenId=token_id):
        sf._send(ada, sf.membership.functions.transferFrom(ada.address, zed.address, token_id))
    with reverts("MembershipSoulbound"):
        sf._send(ada, sf.membership.functions.safeTransferFrom(ada.address, zed.address, token_id))
    sf._send(ada, sf.membership.functions.approve(zed.address, token_id))  # approving is harmless
    with reverts("MembershipSoulbound"):
        sf._send(zed, sf.membership.functions.transferFrom(ada.address, zed.address, token_id))
    assert sf.membership.functions.ownerOf(token_id).call() == ada.address


def test_leave_burns_and_keeps_points(earning_dao: Dao) -> None:
    dao = earning_dao
    sf, ada = dao.sf, dao["ada"]
    points = sf.points_of(ada.address)
    token_id = sf.membership.functions.tokenOf(ada.address).call()
    sf.leave(ada)
    assert sf.membership.functions.isMember(ada.address).call() is False
    assert sf.points_of(ada.address) == points > 0
    with reverts("ERC721NonexistentToken"):
        from starfish_dao.chain.tx import call_or_raise

        call_or_raise(sf.membership.functions.ownerOf(token_id))
    with reverts("MembershipNotMember", account=ada.address):
        sf.leave(ada)
    new_id = sf.join(ada)  # re-joining is allowed, with a new token
    assert new_id != token_id


def test_suspend_and_reinstate_by_governance_only(dao: Dao) -> None:
    sf, dee, zed = dao.sf, dao["dee"], dao["zed"]
    m = sf.membership.functions
    with reverts("MembershipUnauthorized", caller=zed.address):
        sf._send(zed, m.suspend(dee.address))
    dao.govern(m.suspend(dee.address))
    assert m.isSuspended(dee.address).call() and not m.isActive(dee.address).call()
    with reverts("MembershipSuspensionUnchanged"):
        dao.govern(m.suspend(dee.address))
    with reverts("RegistryNotActiveMember", account=dee.address):
        sf.submit(dee, artifact_cid("suspended work"), 10)
    # leaving and re-joining does not shed a suspension
    sf.leave(dee)
    sf.join(dee)
    assert not m.isActive(dee.address).call()
    with reverts("MembershipUnauthorized"):
        sf._send(dee, m.reinstate(dee.address))
    dao.govern(m.reinstate(dee.address))
    assert m.isActive(dee.address).call()
    with reverts("MembershipSuspensionUnchanged"):
        dao.govern(m.reinstate(dee.address))
    model = dao.model()
    assert model.discrepancies == []
    assert model.members[dee.address].suspended is False


def test_outsiders_can_be_suspended_before_joining(dao: Dao) -> None:
    sf, zed = dao.sf, dao["zed"]
    dao.govern(sf.membership.functions.suspend(zed.address))
    sf.join(zed)
    assert sf.membership.functions.isSuspended(zed.address).call()
