"""Gas per operation, and the gas of one revenue receipt as the number of point holders grows.

Runs its own anvil (block gas and code size limits off, so that a few transactions can seed 10,000
holders of points through a test splitter whose registry is a batch contract: a seeding shortcut for
the benchmark only) and prints a
table. Steady-state figures: each operation is measured after a warm-up of the same kind, so
first-time storage writes (which any design pays once) are reported separately.

    .venv/bin/python benchmarks/gas.py [--holders 10,100,1000,10000]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from pathlib import Path

from eth_account import Account

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eth_utils.address import to_checksum_address

from starfish_dao.chain import artifacts
from starfish_dao.chain.backends import AnvilNode, RpcBackend
from starfish_dao.chain.client import Starfish
from starfish_dao.chain.deployment import _deploy_one, deploy
from starfish_dao.chain.tx import send
from starfish_dao.domain.charter import DAY, POINT, CharterConfig, Founder, Params
from starfish_dao.domain.commitment import commitment, new_salt
from starfish_dao.domain.model import ETH
from starfish_dao.domain.unixfs import cid_of, content_hash

ETHER = 10**18
#: a sealed review (seal + reveal) at most half of EAS `attest` (316,711 gas, issue 25), relayed at
#: most half of EAS `attestByDelegation` (333,005 gas): benchmarks/gas_anchors.py measures both in one run
TARGETS = {
    "receipt (ETH, pay)": 80_000, "review": 158_000, "reviewBySig (relayed)": 166_000, "claim (ETH)": 60_000,
    "finalize (accepted)": 250_000,  # with a panel (issue 25): the author's first award, the dearest
    "grid: fixSeed (schedule)": 50_000, "grid: fixSeed (fix)": 50_000,  # issue 22: each call, by anyone
    "grid: attest": 60_000,  # issue 22: one attestation per host and epoch (the seals were signed before)
}  # fmt: skip


def _dao(chain: RpcBackend, holders: int) -> tuple[Starfish, dict[str, Account]]:
    people = {n: Account.create() for n in ("ada", "bo", "cy", "dee", "eli", "zed", "relay")}
    for a in people.values():
        chain.fund(a.address, 10_000 * ETHER)
    token, _ = _deploy_one(chain.w3, people["ada"], "TestToken", "T", "T")
    extra = [Founder("0x" + (i + 1).to_bytes(20, "big").hex(), POINT) for i in range(max(0, holders - 3))]
    founders = [Founder(people[n].address, 600 * POINT) for n in ("ada", "bo", "cy")] + extra
    cfg = CharterConfig(
        Params(epoch_length=7 * DAY, review_window=3 * DAY, min_reviewers=2, half_life=26),
        cid_of(b"charter").bytes,
        (token,),
        tuple(founders[:holders] if holders >= 3 else founders),
        people["ada"].address,
    )
    from eth_utils.address import to_checksum_address

    cfg = CharterConfig(
        cfg.params,
        cfg.document_cid,
        cfg.revenue_tokens,
        tuple(Founder(to_checksum_address(f.address), f.genesis_points) for f in cfg.founders),
        cfg.governance,
    )
    sf = Starfish(chain.w3, deploy(chain.w3, people["ada"], cfg))
    sf.deployment.extra["token"] = token
    return sf, people


def measure_ops(chain: RpcBackend) -> list[tuple[str, int, str]]:
    sf, p = _dao(chain, 3)
    rows: list[tuple[str, int, str]] = []
    gas = lambda receipt: int(receipt["gasUsed"])  # noqa: E731

    rows.append(("join (first)", gas(sf._send(p["dee"], sf.membership.functions.join())), "mints the soulbound token"))
    sf.join(p["eli"])
    sf.join(p["ada"])
    sf.join(p["bo"])
    sf.join(p["cy"])
    rows.append(("joinBySig (relayed)", gas(sf.submit_signed(p["relay"], sf.sign(p["zed"], "Join"))), ""))
    ids = []
    for i in range(4):
        data = f"w{i}".encode()
        salt = new_salt()
        committed = sf.commit(p["dee"], commitment(p["dee"].address, content_hash(data), salt))
        receipt = sf._send(p["dee"], sf.registry.functions.submit(cid_of(data).bytes, content_hash(data), 60, salt))
        ids.append(sf._submitted_id(receipt))
    rows.append(("submit: commit", gas(committed), "step 1: keccak256(author, contentHash, salt)"))
    rows.append(("submit: reveal", gas(receipt), "step 2: a 36-byte CIDv1, content hash, quorum snapshot"))
    # eli's work: the DAO's first award, before the one measured (it writes fresh group totals)
    data = b"eli's first"
    salt = new_salt()
    sf.commit(p["eli"], commitment(p["eli"].address, content_hash(data), salt))
    elis = sf._submitted_id(
        sf._send(p["eli"], sf.registry.functions.submit(cid_of(data).bytes, content_hash(data), 60, salt))
    )
    chain.increase_time(1)
    comment = cid_of(b"comment").bytes
    sf.review(p["cy"], elis, 3)
    sf.review(p["bo"], elis, 3)
    # each panel drawn from its submission block's hash: by the author's client or a keeper (a
    # contribution's first seal draws it too, for about 4,400 gas more)
    draw = gas(sf.draw_panel(p["zed"], ids[0]))
    sf.draw_panel(p["zed"], ids[1])
    first_seal = gas(sf.review(p["ada"], ids[0], 4, comment))
    seal = gas(sf.review(p["ada"], ids[1], 4, comment))
    signed = sf.sign_review(p["bo"], ids[1], 3, comment)
    sf.submit_signed(p["relay"], sf.sign_review(p["bo"], ids[0], 3, comment))
    seal_by_sig = gas(sf.submit_signed(p["relay"], signed))
    chain.increase_time(3 * DAY + 1)  # the window closes: the ratings open
    opened = {(o.contribution, o.reviewer): o for o in sf.openings.of()}
    first_reveal = gas(sf.reveal_review(p["zed"], opened[(ids[0], p["ada"].address)]))
    reveal = gas(sf.reveal_review(p["zed"], opened[(ids[1], p["ada"].address)]))
    sf.reveal_review(p["zed"], opened[(ids[0], p["bo"].address)])
    reveal_signed = gas(sf.reveal_review(p["zed"], opened[(ids[1], p["bo"].address)]))
    for reviewer in ("cy", "bo"):
        sf.reveal_review(p["zed"], opened[(elis, p[reviewer].address)])
    sf._send(p["zed"], sf.registry.functions.finalize(elis))
    rows.append(("drawPanel", draw, "once per contribution: the seed from its block's hash"))
    rows.append(("review: seal (first of a reviewer)", first_seal, "the weight is fixed here, the panel checked"))
    rows.append(("review: seal", seal, "the rating's hash only"))
    rows.append(("review: reveal (first of a reviewer)", first_reveal, "first budget spend of the epoch"))
    rows.append(("review: reveal", reveal, "anyone sends the opening: stars, a 36-byte comment CID, salt"))
    rows.append(("review", seal + reveal, "sealed review: seal + reveal"))
    rows.append(("reviewBySig (relayed)", seal_by_sig + reveal_signed, "sealReviewBySig sent by a relay, + reveal"))
    rows.append(
        ("finalize (accepted)", gas(sf._send(p["zed"], sf.registry.functions.finalize(ids[0]))),
         "the author's first award; settles 2 tokens")
    )  # fmt: skip
    sf._send(p["zed"], sf.registry.functions.finalize(ids[1]))  # dee and eli hold points: they are paid
    sf.pay_eth(p["zed"], ETHER)
    rows.append(("receipt (ETH, pay)", gas(sf.pay_eth(p["zed"], ETHER)), "accounted at once"))
    rows.append(("receipt (ETH, plain transfer)", gas(sf.send_eth(p["zed"], ETHER)),
                 "accepted only (fits a 2,300-gas stipend)"))  # fmt: skip
    rows.append(("sync (ETH)", gas(sf.sync(p["zed"], ETH)), "accounts what arrived plainly"))
    token = sf.deployment.extra["token"]
    erc20 = sf.w3.eth.contract(
        address=token, abi=__import__("starfish_dao.chain.artifacts", fromlist=["abi"]).abi("TestToken")
    )
    sf._send(p["zed"], erc20.functions.mint(p["zed"].address, 100 * ETHER))
    sf._send(p["zed"], erc20.functions.approve(sf.splitter.address, 100 * ETHER))
    sf._send(p["zed"], sf.splitter.functions.pay(token, ETHER))
    rows.append(("receipt (ERC-20 pay)", gas(sf._send(p["zed"], sf.splitter.functions.pay(token, ETHER))), ""))
    first = gas(sf._send(p["dee"], sf.splitter.functions.claim(p["dee"].address, ETH)))
    rows.append(("claim (ETH, a member's first)", first, "writes the member's first snapshot"))
    sf._send(p["eli"], sf.splitter.functions.claim(p["eli"].address, ETH))
    sf.pay_eth(p["zed"], ETHER)
    steady = gas(sf._send(p["dee"], sf.splitter.functions.claimEth()))
    rows.append(("claim (ETH)", steady, "claimEth(), by the member, after new revenue"))
    sf.pay_eth(p["zed"], ETHER)
    rows.append(("claim(member, ETH)", gas(sf._send(p["dee"], sf.splitter.functions.claim(p["dee"].address, ETH))),
                 "the same claim through the general entry point"))  # fmt: skip
    sf.pay_eth(p["zed"], ETHER)
    rows.append(("claimTo (ETH)", gas(sf._send(p["eli"], sf.splitter.functions.claimTo(ETH, p["zed"].address))),
                 "the member's pay to another address"))  # fmt: skip
    sf._send(p["dee"], sf.splitter.functions.claim(p["dee"].address, token))
    sf._send(p["zed"], sf.splitter.functions.pay(token, ETHER))
    rows.append(("claim (ERC-20)", gas(sf._send(p["dee"], sf.splitter.functions.claim(p["dee"].address, token))), ""))
    rows.append(("leave", gas(sf._send(p["eli"], sf.membership.functions.leave())), ""))
    rated = [(ids[0], "ada"), (ids[0], "bo"), (ids[1], "ada"), (ids[1], "bo"), (elis, "cy"), (elis, "bo")]
    rows.extend(_review_pay(chain, sf, p, rated))
    rows.extend(_grid(chain, sf, p))
    return rows


def _grid(chain: RpcBackend, sf: Starfish, p: dict[str, Account]) -> list[tuple[str, int, str]]:
    """Hosts register (directly and by signature), an ended epoch's seed is fixed, a host leaves."""
    gas = lambda receipt: int(receipt["gasUsed"])  # noqa: E731
    g = sf.grid.functions
    endpoint = b"https://host.example /ip4/203.0.113.7/tcp/4001"
    rows = [("grid: registerHost (first)", gas(sf._send(p["ada"], g.registerHost(endpoint))),
             f"an endpoint of {len(endpoint)} bytes, in the event; its hash stored")]  # fmt: skip
    signed = sf.sign(p["bo"], "RegisterHost", endpoint="0x" + endpoint.hex())
    rows.append(("grid: registerHostBySig (relayed)", gas(sf.submit_signed(p["relay"], signed)), ""))
    if int(sf.charter.functions.currentEpoch().call()) == 0:
        chain.increase_time(7 * DAY)
    ended = int(sf.charter.functions.currentEpoch().call()) - 1
    rows.append(("grid: fixSeed (schedule)", gas(sf._send(p["zed"], g.fixSeed(ended))), "chooses the next block"))
    chain.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    rows.append(("grid: fixSeed (fix)", gas(sf._send(p["zed"], g.fixSeed(ended))), "the seed from its hash"))
    rows.extend(_checks(chain, sf, p, endpoint))
    rows.append(("grid: unregisterHost", gas(sf._send(p["ada"], g.unregisterHost())), "the last host takes the slot"))
    return rows


def _checks(chain: RpcBackend, sf: Starfish, p: dict[str, Account], endpoint: bytes) -> list[tuple[str, int, str]]:
    """bo is checked for epoch E by ada and cy (three hosts: each other host sits): seals in E + 1,
    reveals in E + 2 (and cy's false fail contested), the attestation in E + 4, bo's claim of the
    pot in E + 5."""
    from starfish_dao.chain.grid import CheckResult

    gas = lambda receipt: int(receipt["gasUsed"])  # noqa: E731
    g = sf.grid.functions
    sf._send(p["cy"], g.registerHost(endpoint))
    epoch = int(sf.charter.functions.currentEpoch().call()) + 1
    chain.increase_time(14 * DAY)  # into E + 1: the hosts registered before E began
    sf._send(p["zed"], g.fixSeed(epoch))
    chain.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    sf._send(p["zed"], g.fixSeed(epoch))
    evidence = cid_of(b"evidence").bytes
    leaf = bytes(range(256)) * 1024  # a full 256 KiB leaf: the largest block a contest may have to prove
    results = {
        "ada": CheckResult(epoch, p["bo"].address, 40, 10, evidence),
        "cy": CheckResult(epoch, p["bo"].address, 40, 9, evidence, (hashlib.sha256(leaf).digest(),)),  # a false fail
    }
    salts = {n: r.salt(bytes(p[n].key), sf.grid.address) for n, r in results.items()}
    seal = results["ada"].seal(p["ada"].address, salts["ada"])
    rows = [("grid: sealCheck", gas(sf._send(p["ada"], g.sealCheck(epoch, p["bo"].address, seal))),
             "the checker's eligibility read (membership, standing, the seat)")]  # fmt: skip
    sf._send(p["cy"], g.sealCheck(epoch, p["bo"].address, results["cy"].seal(p["cy"].address, salts["cy"])))
    chain.increase_time(7 * DAY)
    for n, r in results.items():
        receipt = sf._send(p["zed"], g.revealCheck(epoch, r.host, p[n].address, r.as_struct(), salts[n]))
    rows.append(("grid: revealCheck", gas(receipt), "with one failed block named"))
    cy = results["cy"]
    contest = g.contest(epoch, cy.host, p["cy"].address, cy.held, cy.passes, list(cy.failed), [leaf])
    rows.append(("grid: contest (one 256 KiB block)", gas(sf._send(p["bo"], contest)),
                 "a false fail overturned: the block is calldata (about 40 gas a byte)"))  # fmt: skip
    chain.increase_time(14 * DAY)  # past the contest window (E + 3) into E + 4
    sf.pay_eth(p["zed"], ETHER)
    rows.append(("grid: attest", gas(sf._send(p["zed"], g.attest(epoch, cy.host))), "by anyone"))
    chain.increase_time(7 * DAY)
    claim = sf._send(p["zed"], g.claimHostingPay(cy.host, epoch, ETH))
    rows.append(
        ("grid: claimHostingPay (ETH, fixes the pot)", gas(claim), "O(1): the pot, the host's units, the epoch's")
    )
    return rows


def _review_pay(
    chain: RpcBackend, sf: Starfish, p: dict[str, Account], rated: list[tuple[int, str]]
) -> list[tuple[str, int, str]]:
    """Scoring ratings, a forfeit and claims of review pay: two more works, rated 5 and 1 by ada and
    bo (so that their scores are above 0), one sealed by cy and never opened."""
    gas = lambda receipt: int(receipt["gasUsed"])  # noqa: E731
    registry = sf.registry.functions
    works = []
    for name in ("x", "y"):
        salt = new_salt()
        sf.commit(p["dee"], commitment(p["dee"].address, content_hash(name.encode()), salt))
        sub = registry.submit(cid_of(name.encode()).bytes, content_hash(name.encode()), 60, salt)
        works.append(sf._submitted_id(sf._send(p["dee"], sub)))
    chain.increase_time(1)
    for work, stars in zip(works, (5, 1), strict=True):
        sf.review(p["ada"], work, stars)
        sf.review(p["bo"], work, stars)
    sf.review(p["cy"], works[0], 3)
    sf.openings.drop(works[0], p["cy"].address)  # cy never opens it
    chain.increase_time(3 * DAY + 1)
    epoch = int(sf.charter.functions.currentEpoch().call())
    for o in sf.openings.of():
        if o.contribution in works:
            sf.reveal_review(p["zed"], o)
    chain.increase_time(3 * DAY + 1)  # cy's reveal window is over
    for work in works:
        sf._send(p["zed"], registry.finalize(work))
    for work, name in rated:  # the ratings opened earlier in the epoch: every one is scored before a claim
        sf._send(p["zed"], registry.scoreReview(work, p[name].address))
    sf._send(p["zed"], registry.scoreReview(works[0], p["ada"].address))
    score = gas(sf._send(p["zed"], registry.scoreReview(works[1], p["ada"].address)))
    for work in works:
        sf._send(p["zed"], registry.scoreReview(work, p["bo"].address))
    forfeit = gas(sf._send(p["zed"], registry.forfeitUnrevealed(works[0], p["cy"].address)))
    start = int(sf.charter.functions.currentEpochStart().call())
    length = int(sf.charter.functions.params().call()[0])
    closes = start + (epoch + 1 - int(sf.charter.functions.currentEpoch().call())) * length + 7 * DAY
    chain.increase_time(max(1, closes - sf.now() + 1))
    sf.pay_eth(p["zed"], ETHER)
    first = gas(sf._send(p["zed"], registry.claimReviewPay(p["ada"].address, epoch, ETH)))
    claim = gas(sf._send(p["zed"], registry.claimReviewPay(p["bo"].address, epoch, ETH)))
    return [
        ("scoreReview", score, "a rating scored against its work's median, for review pay"),
        ("forfeitUnrevealed", forfeit, "a seal never opened: no review pay that epoch"),
        ("claimReviewPay (the epoch's first)", first, "fixes the epoch's pot, takes it from the splitter"),
        ("claimReviewPay", claim, "a reviewer's pay of a closed epoch (O(1))"),
    ]


def _holders_splitter(chain: RpcBackend, sf: Starfish, seeder: Account, n: int) -> str:
    """A splitter of the DAO's charter whose registry is a `Batch` contract, so that `n` holders get
    points (which earn) in a few transactions: a seeding shortcut for the benchmark only (founders'
    genesis standing earns nothing, so it no longer seeds holders of revenue)."""
    w3 = chain.w3
    batch_address, _ = _deploy_one(w3, seeder, "Batch")
    splitter, _ = _deploy_one(
        w3, seeder, "PayoutSplitter", sf.charter.address, batch_address, sf.grid.address, sf.membership.address, [], []
    )
    contract = w3.eth.contract(address=splitter, abi=artifacts.abi("PayoutSplitter"))
    batch = w3.eth.contract(address=batch_address, abi=artifacts.abi("Batch"))
    now = sf.now()
    calls = [
        contract.encode_abi("award", [to_checksum_address("0x" + (i + 1).to_bytes(20, "big").hex()), i + 1, POINT, now])
        for i in range(n)
    ]
    for start in range(0, n, 1000):
        send(
            w3, seeder, {"to": batch_address, "data": batch.encode_abi("run", [splitter, calls[start : start + 1000]])}
        )
    return splitter


def measure_receipts(chain: RpcBackend, sizes: list[int]) -> list[tuple[int, int]]:
    out = []
    for n in sizes:
        sf, p = _dao(chain, 3)
        splitter = _holders_splitter(chain, sf, p["ada"], n)
        data = sf.splitter.encode_abi("pay", [ETH, ETHER])
        pay = {"to": splitter, "data": data, "value": ETHER}
        send(chain.w3, p["zed"], pay)  # first receipt writes fresh slots
        out.append((n, int(send(chain.w3, p["zed"], pay)["gasUsed"])))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--holders", default="10,100,1000,10000")
    args = parser.parse_args()
    sizes = [int(x) for x in args.holders.split(",")]
    os.environ.setdefault("STARFISH_HOME", tempfile.mkdtemp(prefix="starfish-gas-"))
    node = AnvilNode.scratch(
        "anvil-gas-", extra_args=("--disable-block-gas-limit", "--disable-code-size-limit")
    ).start()
    try:
        chain = RpcBackend(node.url, node=node)
        started = time.time()
        rows = measure_ops(chain)
        receipts = measure_receipts(chain, sizes)
    finally:
        node.stop()
    print("| operation | gas | target | note |")
    print("|---|---:|---:|---|")
    for name, gas, note in rows:
        target = TARGETS.get(name)
        verdict = (
            "" if target is None else (f"≤ {target:,} ✓" if gas <= target else f"≤ {target:,} ✗ (+{gas - target:,})")
        )
        print(f"| {name} | {gas:,} | {verdict} | {note} |")
    print()
    print("| point holders | gas of one ETH receipt | ratio to the smallest |")
    print("|---:|---:|---:|")
    for n, gas in receipts:
        print(f"| {n:,} | {gas:,} | {gas / receipts[0][1]:.3f} |")
    print(f"\n(measured on anvil in {time.time() - started:.0f} s)")


if __name__ == "__main__":
    main()
