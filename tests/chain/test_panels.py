"""Assigned panels (issue 25): each contribution's reviewers are drawn at random by standing, from
the hash of the block it was submitted in, and only they may rate it. Every test here fails on the
contracts before panels (anyone with standing could rate anything)."""

from __future__ import annotations

from dataclasses import replace

from eth_account import Account
from web3.logs import DISCARD

from starfish_dao.domain.charter import POINT
from starfish_dao.domain.model import panel_seed, seated
from starfish_dao.verify.state import compare
from tests.conftest import ETHER, FOUNDER_POINTS, FOUNDERS, PARAMS, Dao, artifact_cid, deploy_dao, reverts

PANEL = 2  # with 1,800 points of standing in all (three founders of 600): D = 900


def _big_dao(chain, panel_size: int = PANEL) -> Dao:  # type: ignore[no-untyped-def]
    """The founders and members of the conftest DAO plus five newcomers: ten members, more than
    panelSize + 1, so that panels are drawn."""
    dao = deploy_dao(chain, params=replace(PARAMS, panel_size=panel_size))
    for i in range(5):
        newcomer = Account.create()
        chain.fund(newcomer.address, ETHER)
        dao.sf.join(newcomer)
        dao.people[f"new{i}"] = newcomer
    return dao


def _work_with_founders_drawn(dao: Dao, tag: str, effort: int, at_least: int) -> tuple[int, list[str]]:
    """Dee submits work until its panel (computed here from its block's hash, not yet drawn on
    chain) seats at least `at_least` founders; (the contribution, the founders it seats)."""
    sf = dao.sf
    for n in range(20):
        work = sf.submit(dao["dee"], artifact_cid(f"{tag} {n}"), effort)
        draw_block, _, divisor = sf.panel(work)
        seed = panel_seed(bytes(sf.w3.eth.get_block(draw_block)["hash"]))  # what a draw or first seal records
        sitting = [f for f in FOUNDERS if seated(seed, work, dao[f].address, FOUNDER_POINTS, divisor)]
        if len(sitting) >= at_least:
            return work, sitting
    raise AssertionError(f"no panel of {at_least} founders in 20 draws (each sits with probability 2/3)")


def _all_equal(dao: Dao) -> None:
    assert [str(c) for c in compare(dao.sf) if not c.ok] == []


def test_a_small_community_seats_everyone_with_standing(fresh_chain) -> None:  # type: ignore[no-untyped-def]
    dao = deploy_dao(fresh_chain, params=replace(PARAMS, panel_size=5))  # five members: at most panelSize + 1
    sf = dao.sf
    work = sf.submit(dao["dee"], artifact_cid("dee's shelf"), 60)
    assert sf.panel(work)[2] == 1  # D = 1: everyone with standing sits
    for name in FOUNDERS:
        assert sf.on_panel(work, dao[name].address) is True
        sf.review(dao[name], work, 3)
    assert sf.on_panel(work, dao["eli"].address) is False  # no standing, no seat
    assert sf.panel(work)[1] == 0  # a panel of everyone needs no draw
    _all_equal(dao)


def test_a_panel_is_drawn_by_standing_from_the_submission_block(fresh_chain) -> None:  # type: ignore[no-untyped-def]
    dao = _big_dao(fresh_chain)
    sf = dao.sf
    seen = {True: 0, False: 0}
    for n in range(12):
        work = sf.submit(dao["dee"], artifact_cid(f"dee's work {n}"), 30)
        submitted_in = sf.contribution(work)
        draw_block, seed, divisor = sf.panel(work)
        assert seed == 0 and divisor == -(-3 * FOUNDER_POINTS // PANEL)  # ceil(total standing / panelSize)
        receipt = sf.draw_panel(dao["zed"], work)  # anyone may draw it
        (drawn,) = sf.registry.events.PanelDrawn().process_receipt(receipt, errors=DISCARD)
        expected_seed = panel_seed(bytes(sf.w3.eth.get_block(draw_block)["hash"]))
        assert drawn["args"]["seed"] == expected_seed == sf.panel(work)[1]
        with reverts("RegistryPanelAlreadyDrawn", id=work):
            sf.draw_panel(dao["zed"], work)
        for name in FOUNDERS:
            member = dao[name].address
            sits = seated(expected_seed, work, member, FOUNDER_POINTS, divisor)
            assert sf.on_panel(work, member) is sits
            assert sf.registry.functions.onPanel(work, member, FOUNDER_POINTS).call() is sits
            seen[sits] += 1
            if sits:
                sf.review(dao[name], work, 4)
            else:  # whoever they are: a founder, a ring member, the author's friend
                with reverts("RegistryNotOnPanel", id=work, reviewer=member):
                    sf.review(dao[name], work, 5)
        assert submitted_in["author"] == dao["dee"].address
        if seen[True] >= 2 and seen[False] >= 2:
            break
    assert seen[True] >= 2 and seen[False] >= 2, seen  # each founder sits with probability 600 / 900
    _all_equal(dao)


def test_a_drawn_member_weighs_the_divisor_so_that_each_member_expects_their_standing(fresh_chain) -> None:  # type: ignore[no-untyped-def]
    dao = _big_dao(fresh_chain)
    sf = dao.sf
    work, sitting = _work_with_founders_drawn(dao, "weighed", 30, 2)
    for name in sitting:
        sf.review(dao[name], work, 3)
    dao.chain.increase_time(PARAMS.review_window + 1)
    out = sf.finalize(dao["zed"], work)
    reviewed = sf.registry.events.Reviewed().get_logs(from_block=0, argument_filters={"id": work})
    divisor = sf.panel(work)[2]
    assert divisor > FOUNDER_POINTS
    assert [int(e["args"]["weight"]) for e in reviewed] == [divisor] * len(sitting)  # max(600, D)
    assert out["accepted"] and out["points"] == 30 * POINT
    _all_equal(dao)


def test_a_panel_whose_block_hash_is_gone_is_drawn_again_from_a_later_block(fresh_chain) -> None:  # type: ignore[no-untyped-def]
    dao = _big_dao(fresh_chain)
    sf = dao.sf
    work = sf.submit(dao["dee"], artifact_cid("left alone"), 30)
    draw_block = sf.panel(work)[0]
    fresh_chain._dev("anvil_mine", [hex(300)])  # nobody drew it or sealed for 300 blocks
    with reverts("RegistryPanelNotDrawn", id=work, drawBlock=draw_block):
        sf.review(dao["ada"], work, 3)
    receipt = sf.draw_panel(dao["zed"], work)
    (moved,) = sf.registry.events.PanelRescheduled().process_receipt(receipt, errors=DISCARD)
    assert moved["args"]["drawBlock"] == receipt["blockNumber"] == sf.panel(work)[0]
    assert sf.panel(work)[1] == 0  # not drawn yet: from the hash of the block just mined
    sf.draw_panel(dao["zed"], work)
    seed = sf.panel(work)[1]
    assert seed == panel_seed(bytes(sf.w3.eth.get_block(receipt["blockNumber"])["hash"]))
    _all_equal(dao)


def test_a_first_seal_draws_the_panel_itself(fresh_chain) -> None:  # type: ignore[no-untyped-def]
    dao = _big_dao(fresh_chain)
    sf = dao.sf
    work, sitting = _work_with_founders_drawn(dao, "drawn by its first seal", 60, 1)
    receipt = sf.review(dao[sitting[0]], work, 3)
    (drawn,) = sf.registry.events.PanelDrawn().process_receipt(receipt, errors=DISCARD)
    assert drawn["args"]["drawBlock"] == sf.panel(work)[0] and drawn["args"]["seed"] == sf.panel(work)[1] != 0
    _all_equal(dao)
