"""Random sequences of actions: after every step the contracts equal the reference model, to the wei."""

from __future__ import annotations

from typing import Any

import pytest
from eth_utils.address import to_checksum_address
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from starfish_dao.chain import artifacts
from starfish_dao.domain.charter import DAY, HOUR, Parameter
from starfish_dao.domain.errors import ContractRevert
from starfish_dao.domain.model import ETH, Model
from tests.conftest import ETHER, NAMES, Dao, artifact_cid

ACTORS = [n for n in NAMES if n != "relay"]
actors = st.sampled_from(ACTORS)


class DaoMachine(RuleBasedStateMachine):
    dao: Dao

    @initialize()
    def start(self) -> None:
        self.snapshot = self.dao.chain.snapshot()
        self.model = Model()
        self.last_block = self.dao.deployment.deploy_block - 1
        self.contributions: list[int] = []
        self.cids: list[bytes] = []
        self.counter = 0
        self.sf = self.dao.sf
        self.token = self.sf.w3.eth.contract(
            address=to_checksum_address(self.dao.token), abi=artifacts.abi("TestToken")
        )
        self.refused: dict[str, int] = {}

    def teardown(self) -> None:
        if hasattr(self, "snapshot"):
            self.dao.chain.revert(self.snapshot)

    def _try(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ContractRevert as exc:
            assert exc.name, f"a revert without a named error: {exc}"
            self.refused[exc.name] = self.refused.get(exc.name, 0) + 1
            return None

    @rule(who=actors)
    def join(self, who: str) -> None:
        self._try(self.sf.join, self.dao[who])

    @rule(who=actors, relayed=st.booleans())
    def leave(self, who: str, relayed: bool) -> None:
        if relayed:
            self._try(self.sf.submit_signed, self.dao["relay"], self.sf.sign(self.dao[who], "Leave"))
        else:
            self._try(self.sf.leave, self.dao[who])

    @rule(who=actors, effort=st.integers(0, 2600), duplicate=st.booleans(), relayed=st.booleans())
    def submit(self, who: str, effort: int, duplicate: bool, relayed: bool) -> None:
        if duplicate and self.cids:
            cid = self.cids[-1]
        else:
            self.counter += 1
            cid = artifact_cid(f"work {self.counter}")
        if relayed:
            result = self._try(
                self.sf.submit_signed, self.dao["relay"], self.sf.sign(self.dao[who], "Submit", cid=cid, effort=effort)
            )
            cid_id = self.sf._submitted_id(result) if result else None
        else:
            cid_id = self._try(self.sf.submit, self.dao[who], cid, effort)
        if cid_id:
            self.contributions.append(cid_id)
            self.cids.append(cid)

    @rule(who=actors, pick=st.integers(0, 50), stars=st.integers(0, 5), relayed=st.booleans())
    def review(self, who: str, pick: int, stars: int, relayed: bool) -> None:
        if not self.contributions:
            return
        cid_id = self.contributions[pick % len(self.contributions)]
        if relayed:
            signed = self.sf.sign(self.dao[who], "Review", contribution=cid_id, stars=stars, commentCid=b"")
            self._try(self.sf.submit_signed, self.dao["relay"], signed)
        else:
            self._try(self.sf.review, self.dao[who], cid_id, stars)

    @rule(pick=st.integers(0, 50))
    def finalize(self, pick: int) -> None:
        if self.contributions:
            self._try(self.sf.finalize, self.dao["zed"], self.contributions[pick % len(self.contributions)])

    @rule(amount=st.integers(1, 10 * ETHER))
    def pay_eth(self, amount: int) -> None:
        self.sf.pay_eth(self.dao["zed"], amount)

    @rule(amount=st.integers(1, 10**24), plain=st.booleans())
    def pay_token(self, amount: int, plain: bool) -> None:
        zed = self.dao["zed"]
        self.sf._send(zed, self.token.functions.mint(zed.address, amount))
        if plain:
            self.sf._send(zed, self.token.functions.transfer(self.sf.splitter.address, amount))
            self.sf.sync(zed, self.dao.token)
        else:
            self.sf.pay_token(zed, self.dao.token, amount)

    @rule(who=actors, by=actors, eth=st.booleans())
    def claim(self, who: str, by: str, eth: bool) -> None:
        self._try(self.sf.claim, self.dao[by], self.dao[who].address, ETH if eth else self.dao.token)

    @rule(seconds=st.sampled_from([HOUR, DAY, 3 * DAY + 1, 7 * DAY, 26 * 7 * DAY]))
    def advance(self, seconds: int) -> None:
        self.dao.chain.increase_time(seconds)

    @rule(who=actors, bps=st.integers(0, 10_001))
    def slash(self, who: str, bps: int) -> None:
        self._try(self.sf._send, self.dao["ada"], self.sf.splitter.functions.slash(self.dao[who].address, bps))

    @rule(half_life=st.sampled_from([0, 1, 2, 26]))
    def set_half_life(self, half_life: int) -> None:
        self._try(
            self.sf._send, self.dao["ada"], self.sf.charter.functions.setParameter(int(Parameter.HALF_LIFE), half_life)
        )

    @invariant()
    def equals_model(self) -> None:
        if not hasattr(self, "sf"):
            return
        head = int(self.sf.w3.eth.block_number)
        self.model.apply_all(self.sf.logs(self.last_block + 1, head))
        self.last_block = head
        m, s, now = self.model, self.sf.splitter.functions, self.sf.now()
        assert m.discrepancies == []
        for name in ACTORS:
            a = self.dao[name].address
            assert s.pointsOf(a).call() == m.points_of(a, now), name
            for token in m.all_tokens():
                assert s.claimable(a, token).call() == m.claimable(a, token), (name, token)
        for token in m.all_tokens():
            assert s.treasury(token).call() == m.treasury[token]
            assert s.tracked(token).call() == m.tracked[token]
            assert s.undistributed(token).call() == m.undistributed[token]
            assert m.dust(token) >= 0, f"insolvent in {token}"
            assert m.received[token] == m.claimed[token] + m.spent[token] + m.tracked[token]
        assert s.era().call() == m.era


@pytest.mark.parametrize("seed", [0])
def test_random_sequences_match_the_model(_dao_session: Dao, seed: int) -> None:
    DaoMachine.dao = _dao_session
    run_state_machine_as_test(
        DaoMachine,
        settings=settings(
            max_examples=10,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        ),
    )
