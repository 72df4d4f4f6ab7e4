"""The grid (issue 22): who may host, each epoch's seed, and who holds which file, recomputed from
the chain by everyone alike, with the attackers each rule is for."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st

from starfish_dao.chain import grid
from starfish_dao.domain.charter import POINT, Parameter
from starfish_dao.domain.fastabi import keccak
from starfish_dao.domain.grid import assign, endpoint_problem, rank
from starfish_dao.domain.model import Model
from starfish_dao.verify.state import compare
from tests.conftest import FOUNDERS, Dao, reverts

GATEWAY = "http://127.0.0.1:9/"


def _mine(dao: Dao) -> None:
    dao.chain.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


def _next_epoch(dao: Dao) -> int:
    """Moves the chain into the next epoch; returns it."""
    sf = dao.sf
    length = int(sf.charter.functions.params().call()[0])
    start = int(sf.charter.functions.currentEpochStart().call())
    dao.chain.increase_time(start + length - sf.now() + 1)
    return int(sf.charter.functions.currentEpoch().call())


def _seed(dao: Dao, epoch: int) -> grid.SeedState:
    """Fixes `epoch`'s seed (two calls, a block mined between them, as any chain mines one)."""
    grid.fix_seed(dao.sf, dao["zed"], epoch, wait=0)
    _mine(dao)
    return grid.fix_seed(dao.sf, dao["zed"], epoch, wait=0)


def _grid_ok(dao: Dao, model: Model | None = None) -> list[Any]:
    checks = compare(dao.sf, model)
    bad = [c for c in checks if not c.ok]
    assert not bad, "\n".join(map(str, bad))
    return [c for c in checks if c.category == "grid"]


def test_a_sybil_or_a_member_without_standing_cannot_host(dao: Dao) -> None:
    """A fresh address is no member; a member with no points (dee joined, did nothing) has no
    standing; neither can register, whatever the threshold (even 0)."""
    with reverts("GridNotActiveMember", host=dao["zed"].address):
        grid.register(dao.sf, dao["zed"], GATEWAY)
    with reverts("GridStandingTooLow", host=dao["dee"].address, standing=0, required=10 * POINT):
        grid.register(dao.sf, dao["dee"], GATEWAY)
    dao.govern(dao.sf.charter.functions.setParameter(int(Parameter.HOST_MIN_STANDING), 0))
    with reverts("GridStandingTooLow", host=dao["dee"].address, standing=0, required=0):
        grid.register(dao.sf, dao["dee"], GATEWAY)
    assert grid.hosts(dao.sf) == []


def test_standing_earned_this_epoch_does_not_count_until_the_next(earning_dao: Dao) -> None:
    """Points awarded during an epoch are not the standing it began with: a member whose first
    work was just accepted registers from the next epoch on, not at once."""
    from tests.conftest import earns_as, send_as

    dao = earning_dao
    dee = dao["dee"].address
    earns_as(dao, dee, lambda fn: send_as(dao.chain, dee, fn), 60 * POINT)
    assert dao.sf.points_of(dee) == 60 * POINT
    with reverts("GridStandingTooLow", host=dee, standing=0):
        grid.register(dao.sf, dao["dee"], GATEWAY)
    _next_epoch(dao)
    grid.register(dao.sf, dao["dee"], GATEWAY)
    assert grid.hosts(dao.sf) == [dee]


def test_endpoints_are_checked_before_sending_and_by_the_contract(earning_dao: Dao) -> None:
    dao = earning_dao
    for bad, why in (("", "1 to 256 bytes"), ("x" * 257, "1 to 256 bytes"), ("ftp://a", "neither"),
                     ("https://", "neither")):  # fmt: skip
        problem = endpoint_problem(bad)
        assert problem is not None and why in problem, (bad, problem)
        with pytest.raises(ValueError, match="the endpoint"):
            grid.register(dao.sf, dao["ada"], bad)
    for length in (0, 257):  # sent anyway (another client): the contract refuses it too
        with reverts("GridBadEndpoint", length=length):
            dao.sf._send(dao["ada"], dao.sf.grid.functions.registerHost(b"h" * length))
    assert endpoint_problem("https://host.example /ip4/127.0.0.1/tcp/4001") is None


def test_registration_by_signature_is_relayable_once(earning_dao: Dao) -> None:
    """Anyone may carry a signed RegisterHost (zed pays the gas, ada is the host); the same signature
    twice is refused, and a signature for another endpoint cannot register this one."""
    dao = earning_dao
    sf = dao.sf
    signed = sf.sign(dao["ada"], "RegisterHost", endpoint="0x" + GATEWAY.encode().hex())
    sf.submit_signed(dao["zed"], signed)
    assert grid.hosts(sf) == [dao["ada"].address]
    with reverts("NonceAlreadyUsed", signer=dao["ada"].address):
        sf.submit_signed(dao["zed"], signed)
    m = signed.message
    forged = sf.grid.functions.registerHostBySig(m["host"], b"http://evil.example", m["nonce"] + 1, m["deadline"],
                                                 signed.signature)  # fmt: skip
    with reverts("SignatureInvalid", signer=dao["ada"].address):
        sf._send(dao["zed"], forged)
    bye = sf.sign(dao["ada"], "UnregisterHost")
    sf.submit_signed(dao["zed"], bye)
    assert grid.hosts(sf) == []
    with reverts("GridNotHost", host=dao["ada"].address):
        grid.unregister(sf, dao["ada"])


def test_the_seed_comes_from_a_block_nobody_knew_when_the_epoch_ended(earning_dao: Dao) -> None:
    dao = earning_dao
    sf = dao.sf
    current = int(sf.charter.functions.currentEpoch().call())
    with reverts("GridEpochNotOver", epoch=current, current=current):
        sf._send(dao["zed"], sf.grid.functions.fixSeed(current))
    ended = current - 1
    sf._send(dao["zed"], sf.grid.functions.fixSeed(ended))
    state = grid.seed_of(sf, ended)
    assert state.seed_block == sf.w3.eth.block_number + 1 and not state.fixed
    # the seed block itself cannot fix it (its hash is not known inside it)
    with reverts("GridSeedNotReady", epoch=ended, seedBlock=state.seed_block):
        sf._send(dao["zed"], sf.grid.functions.fixSeed(ended))
    _mine(dao)  # the seed block, mined (on any chain, by whoever sends anything)
    receipt = sf._send(dao["zed"], sf.grid.functions.fixSeed(ended))
    fixed = grid.seed_of(sf, ended)
    block_hash = bytes(sf.w3.eth.get_block(state.seed_block)["hash"])
    expected = int.from_bytes(keccak(block_hash + ended.to_bytes(32, "big"))[-8:], "big") | 1
    assert fixed.seed == expected and fixed.seed_block == state.seed_block
    assert receipt["gasUsed"] <= 50_000
    with reverts("GridSeedAlreadyFixed", epoch=ended):
        sf._send(dao["zed"], sf.grid.functions.fixSeed(ended))


def test_a_seed_block_left_past_256_blocks_is_chosen_again(earning_dao: Dao) -> None:
    """Its hash is gone after 256 blocks: the next call chooses a new block rather than fixing the
    seed from a hash that reads as zero (which a patient caller could wait for)."""
    dao = earning_dao
    sf = dao.sf
    ended = int(sf.charter.functions.currentEpoch().call()) - 1
    sf._send(dao["zed"], sf.grid.functions.fixSeed(ended))
    first = grid.seed_of(sf, ended).seed_block
    dao.chain.w3.provider.make_request("anvil_mine", [hex(300)])  # type: ignore[arg-type]
    sf._send(dao["zed"], sf.grid.functions.fixSeed(ended))
    again = grid.seed_of(sf, ended)
    assert again.seed_block > first + 256 and not again.fixed
    _mine(dao)
    assert grid.fix_seed(sf, dao["zed"], ended, wait=0).fixed
    _grid_ok(dao)


def test_who_holds_what_follows_membership_standing_and_registration(earning_dao: Dao) -> None:
    """The months of a grid: hosts register (counting from the next epoch), one leaves the
    community, one is suspended, the threshold rises above one; each drops out of the next
    assignment with its reason, and only its own files move. verify agrees at every step."""
    dao = earning_dao
    sf = dao.sf
    for name in FOUNDERS:
        grid.register(sf, dao[name], f"http://127.0.0.1:80{FOUNDERS.index(name)}")
    first = int(sf.charter.functions.currentEpoch().call())
    _seed(dao, first - 1)
    epoch, now = grid.assignment(sf)
    assert epoch == first and now is not None
    assert now.hosts == [] and set(now.ineligible) == {dao[n].address for n in FOUNDERS}
    assert all(holders == [] for holders in now.files.values())

    second = _next_epoch(dao)
    _seed(dao, second - 1)
    _, a = grid.assignment(sf)
    assert a is not None and a.epoch == second
    everyone = sorted(dao[n].address for n in FOUNDERS)
    assert a.hosts == everyone and a.replicas == 3
    files = list(a.files)
    assert len(files) >= 4  # three accepted works and the charter document
    assert all(sorted(holders) == everyone for holders in a.files.values())  # k = 3 of 3
    _grid_ok(dao)

    # k = 2: each file on the two hosts ranked highest for it; cy leaves, bo is suspended
    dao.govern(sf.charter.functions.setParameter(int(Parameter.HOST_REPLICAS), 2))
    sf.leave(dao["cy"])
    dao.govern(sf.membership.functions.suspend(dao["bo"].address))
    third = _next_epoch(dao)
    _seed(dao, third - 1)
    _, b = grid.assignment(sf)
    assert b is not None and b.replicas == 2
    assert b.hosts == [dao["ada"].address]
    assert "left or suspended" in b.ineligible[dao["bo"].address]
    assert "left or suspended" in b.ineligible[dao["cy"].address]
    assert all(holders == [dao["ada"].address] for holders in b.files.values())

    # the threshold rises above ada's standing: nobody counts, and the reason says by how much
    dao.govern(sf.charter.functions.setParameter(int(Parameter.HOST_MIN_STANDING), 10**30))
    fourth = _next_epoch(dao)
    _seed(dao, fourth - 1)
    _, c = grid.assignment(sf)
    assert c is not None and c.hosts == []
    assert "hosting needs 1000000000000000000000000000000" in c.ineligible[dao["ada"].address]
    # what an earlier epoch was stays what it was (the parameter as it stood then)
    model = Model().apply_all(sf.logs())
    again = model.grid.assignment(model, second)
    assert again is not None and again.files == a.files
    checks = _grid_ok(dao, model)
    assert sum(ch.what == "grid seed (seed, hosts)" for ch in checks) == 4


def test_unregistering_swaps_the_list_and_verify_sees_a_tampered_model(earning_dao: Dao) -> None:
    dao = earning_dao
    sf = dao.sf
    for name in FOUNDERS:
        grid.register(sf, dao[name], f"http://127.0.0.1:80{FOUNDERS.index(name)}")
    grid.unregister(sf, dao["ada"])  # the first: the last takes its place
    assert sorted(grid.hosts(sf)) == sorted([dao["bo"].address, dao["cy"].address])
    grid.register(sf, dao["bo"], "https://bo.example")  # a new endpoint: the same slot, a new hash
    assert len(grid.hosts(sf)) == 2
    model = Model().apply_all(sf.logs())
    _grid_ok(dao, model)
    model.grid.hosts[dao["bo"].address].endpoint = b"https://elsewhere.example"
    bad = [c for c in compare(sf, model) if not c.ok]
    assert [c.what for c in bad] == ["hosting since, endpoint hash"]


# ----------------------------------------------------------------- rendezvous, without a chain

_HOSTS = st.lists(st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex()), min_size=1, max_size=12,
                  unique=True)  # fmt: skip
_FILES = st.lists(st.binary(min_size=4, max_size=36), min_size=1, max_size=20, unique=True)


@settings(max_examples=200, deadline=None)
@given(_FILES, _HOSTS, st.integers(1, 2**64 - 1), st.integers(1, 7))
def test_each_file_goes_to_the_top_ranked_hosts_and_a_leaver_moves_only_its_own(
    files: list[bytes], hosts: list[str], seed: int, k: int
) -> None:
    a = assign(files, hosts, seed, k)
    for cid, holders in a.items():
        assert len(holders) == min(k, len(hosts)) and len(set(holders)) == len(holders)
        ranks = sorted((rank(cid, h, seed) for h in hosts), reverse=True)
        assert [rank(cid, h, seed) for h in holders] == ranks[: len(holders)]
    assert assign(files, list(reversed(hosts)), seed, k) == a  # the hosts' order does not matter
    gone = hosts[0]
    b = assign(files, hosts[1:], seed, k)
    for cid in files:
        if gone not in a[cid]:
            assert b[cid] == a[cid]  # nobody else's files move
        else:
            assert set(a[cid]) - {gone} <= set(b[cid])


def test_one_member_cannot_choose_its_files_by_registering_many_addresses() -> None:
    """A member splitting standing over many addresses gets, for any file, as many of its k slots as
    its share of the hosts: over 2,000 files with 3 of 10 hosts theirs, about 30 % of the slots,
    and the three hold all k of a file about as often as chance says (1/120 of files)."""
    honest = ["0x" + bytes([i]).hex() * 20 for i in range(1, 8)]
    sybil = [Account.create().address for _ in range(3)]
    files = [keccak(i.to_bytes(4, "big")) for i in range(2000)]
    a = assign(files, honest + sybil, seed=0xC0FFEE, replicas=3)
    slots = sum(1 for holders in a.values() for h in holders if h in sybil)
    captured = sum(1 for holders in a.values() if set(holders) <= set(sybil))
    assert 0.25 < slots / (3 * len(files)) < 0.35
    assert captured < 0.02 * len(files)


def test_nobody_can_redraw_a_seed_by_scheduling_another_epoch_first(earning_dao: Dao) -> None:
    """The attacker who dislikes the seed a chosen block gives: replacing the waiting epoch with an
    older one, then choosing a new block for theirs, would be a free second draw. Refused until the
    waiting seed is fixed (or its block's hash is gone after 256 blocks, as anyone could fix it)."""
    dao = earning_dao
    sf = dao.sf
    later = _next_epoch(dao) - 1  # two ended epochs, neither seeded
    earlier = later - 1
    sf._send(dao["zed"], sf.grid.functions.fixSeed(later))
    waiting = grid.seed_of(sf, later).seed_block
    _mine(dao)
    with reverts("GridSeedPending", epoch=later, seedBlock=waiting):
        sf._send(dao["eli"], sf.grid.functions.fixSeed(earlier))
    assert grid.fix_seed(sf, dao["zed"], later, wait=0).seed_block == waiting  # the same block, not a new one
    assert _seed(dao, earlier).fixed  # then the older epoch in its turn
    _grid_ok(dao)


@settings(max_examples=100, deadline=None)
@given(_HOSTS, st.integers(1, 2**64 - 1))
def test_a_committee_seat_is_checkable_alone_and_never_the_hosts_own(hosts: list[str], seed: int) -> None:
    """The seat rule needs only (seed, N, host, checker): a contract checks it in O(1). With N at most
    the committee size every other host sits; nobody checks themselves."""
    from starfish_dao.domain.grid import COMMITTEE, seated

    host = hosts[0]
    assert not seated(seed, len(hosts), host, host)
    if len(hosts) <= COMMITTEE:
        assert all(seated(seed, len(hosts), host, c) for c in hosts[1:])


def test_committees_sit_about_size_over_n_of_the_other_hosts() -> None:
    from starfish_dao.domain.grid import COMMITTEE, seated

    hosts = ["0x" + keccak(i.to_bytes(2, "big"))[:20].hex() for i in range(60)]
    seats = sum(seated(12345, 60, h, c) for h in hosts for c in hosts)
    expected = 60 * 59 * COMMITTEE / 60
    assert 0.8 * expected < seats < 1.2 * expected, (seats, expected)
