"""`starfish verify` passes on honest chains and fails loudly, by name, on each tamper case."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from eth_utils.address import to_checksum_address

from starfish_dao.chain.build import CONTRACTS_DIR, compile_contracts
from starfish_dao.chain.client import Starfish
from starfish_dao.chain.deployment import Deployment, deploy
from starfish_dao.chain.tx import send
from starfish_dao.domain.charter import POINT, CharterConfig, Founder
from starfish_dao.domain.model import ETH
from starfish_dao.domain.unixfs import CID, content_hash
from starfish_dao.ipfs.kubo import KuboStore
from starfish_dao.ipfs.local import LocalStore
from starfish_dao.verify.discover import discover
from starfish_dao.verify.report import Report, to_html, to_json, verify
from tests.conftest import ETHER, PARAMS, Dao, artifact_cid
from tests.ipfs.jsipfs import IpfsDaemon


def _activity(dao: Dao, store: LocalStore | KuboStore | None = None) -> int:
    sf = dao.sf
    if store:
        store.add_bytes(b"# charter\n")  # the fixture's charter document
    cid = store.add_bytes(b"dee's design, version 1\n" * 1000) if store else CID.from_bytes(artifact_cid("w"))
    comment = store.add_bytes(b"solid work") if store else None
    cid_id = sf.submit(dao["dee"], cid.bytes, 120)
    sf.review(dao["ada"], cid_id, 4, comment.bytes if comment else b"")
    sf.review(dao["bo"], cid_id, 3)
    dao.chain.increase_time(PARAMS.review_window + 1)
    sf.finalize(dao["zed"], cid_id)
    sf.pay_eth(dao["zed"], 7 * ETHER)
    sf.claim(dao["zed"], dao["ada"].address)
    return cid_id


def _failed(report: Report) -> list[str]:
    return [str(c) for c in report.failures]


def test_honest_chain_passes_and_reports(dao: Dao, tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "ipfs")
    _activity(dao, store)
    report = verify(dao.sf, store)
    assert _failed(report) == []
    categories = {c.category for c in report.checks}
    assert categories == {"code", "wiring", "state", "money", "work", "governance", "reviews", "grid"}
    data = json.loads(to_json(report))
    assert data["ok"] is True and data["checks"]["failed"] == 0
    # amounts are decimal strings whatever their size (dust is a few wei, revenue 7e18); counts are numbers
    money = data["money"][0]
    assert all(isinstance(money[k], str) for k in ("received", "claimed", "dust", "dustBound", "treasury"))
    assert all(isinstance(m["points"], str) for m in data["members"]) and isinstance(data["block"], int)
    page = to_html(report)
    assert "All checks pass" in page and dao["dee"].address in page and "<script" not in page


def test_discovery_from_the_splitter_alone(dao: Dao) -> None:
    _activity(dao)
    found = discover(dao.sf.w3, dao.sf.splitter.address)
    assert found.addresses == dao.deployment.addresses
    assert found.deploy_block <= dao.deployment.deploy_block
    assert _failed(verify(Starfish(dao.sf.w3, found))) == []


def test_a_manifest_pointing_at_a_different_build_fails(dao: Dao) -> None:
    addresses = {**dao.deployment.addresses, "registry": to_checksum_address(dao.token)}  # an ERC-20, not ours
    wrong = Deployment(**{**dao.deployment.__dict__, "addresses": addresses})
    failed = _failed(verify(Starfish(dao.sf.w3, wrong)))
    assert any("[code] registry" in f and "ContributionRegistry" in f for f in failed), failed
    assert any("[wiring] splitter" in f and "registry" in f for f in failed), failed


def test_forced_eth_is_flagged_not_fatal(dao: Dao) -> None:
    _activity(dao)
    sf = dao.sf
    # a real SELFDESTRUCT: init code PUSH20 <splitter> SELFDESTRUCT, deployed with value
    init = "0x73" + sf.splitter.address[2:].lower() + "ff"
    send(sf.w3, dao["zed"], {"data": init, "value": 3 * ETHER}, gas=100_000)
    assert sf.w3.eth.get_balance(sf.splitter.address) >= sf.splitter.functions.tracked(ETH).call() + 3 * ETHER
    report = verify(sf)
    assert _failed(report) == []
    notes = [c.note for c in report.checks if "self-destruct" in c.note]
    assert notes and str(3 * ETHER) in notes[0]
    sf.sync(dao["zed"], ETH)  # anyone may account it as revenue
    assert _failed(verify(sf)) == []


def test_changed_artifact_bytes_fail_by_cid(dao: Dao, tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "ipfs")
    cid_id = _activity(dao, store)
    for block in store.blocks.iterdir():
        block.write_bytes(block.read_bytes()[:-1] + b"!")
    failed = _failed(verify(dao.sf, store))
    assert any(f"contribution #{cid_id} artifact" in f and "corrupt" in f for f in failed), failed


def test_a_content_hash_that_is_not_the_artifacts_fails_by_name(dao: Dao, tmp_path: Path) -> None:
    """The registry keys work by the content hash its author reveals; verify checks that the bytes
    behind the CID hash to it (an author who claims another file's hash to dodge uniqueness is named)."""
    store = LocalStore(tmp_path / "ipfs")
    store.add_bytes(b"# charter\n")
    # more than one block, so a dag-pb root: its CID does not state the file's digest, and only a
    # reader of the bytes can tell (a raw CID's digest is checked by the registry itself)
    cid = store.add_bytes(b"the real bytes\n" * 20_000)
    cid_id = dao.sf.submit(dao["dee"], cid.bytes, 60, content_hash(b"some other file"))
    failed = _failed(verify(dao.sf, store))
    assert any(f"contribution #{cid_id}" in f and "hash to the content hash" in f for f in failed), failed


def test_changed_bytes_on_the_node_fail_by_cid(dao: Dao, ipfs_node: IpfsDaemon) -> None:
    node = KuboStore(ipfs_node.multiaddr)
    cid_id = _activity(dao, node)
    c = dao.sf.contribution(cid_id)
    assert c["status"] == "accepted"
    # rewrite the block files in the node's own repo, as a failing disk or a tampering operator would
    cid = dao.model().contributions[cid_id].cid
    changed = 0
    for path in (ipfs_node.repo / "blocks").rglob("*.data"):
        data = path.read_bytes()
        if b"dee's design" in data:
            path.write_bytes(data.replace(b"dee's design", b"eve's design"))
            changed += 1
    assert changed, "the artifact's blocks were not found in the node's repo"
    failed = _failed(verify(dao.sf, node))
    assert any(f"contribution #{cid_id}" in f and str(CID.from_bytes(cid)) in f for f in failed), failed


def test_a_contract_that_miscounts_points_is_caught(fresh_chain, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # a deliberately wrong splitter, compiled here only: it credits 10 % more than it was awarded
    variant = tmp_path / "contracts"
    shutil.copytree(CONTRACTS_DIR, variant)
    source = variant / "PayoutSplitter.sol"
    text = source.read_text()
    assert "uint256 credited = before + added;" in text
    source.write_text(
        text.replace("uint256 credited = before + added;", "uint256 credited = before + added + added / 10;")
    )
    (variant / "node_modules").symlink_to(CONTRACTS_DIR.parent / "node_modules")
    _, built = compile_contracts(variant)
    from eth_account import Account

    from tests.conftest import NAMES

    people = {n: Account.create() for n in NAMES}
    for account in people.values():
        fresh_chain.fund(account.address, 100 * ETHER)
    cfg = CharterConfig(
        PARAMS, artifact_cid("charter"), (), tuple(Founder(people[n].address, 600 * POINT) for n in ("ada", "bo")),
        people["ada"].address,
    )  # fmt: skip
    sf = Starfish(
        fresh_chain.w3, deploy(fresh_chain.w3, people["ada"], cfg, {"PayoutSplitter": built["PayoutSplitter"]})
    )
    for name in ("ada", "bo", "dee"):
        sf.join(people[name])
    work = sf.submit(people["dee"], artifact_cid("dee's first work"), 30)
    sf.review(people["ada"], work, 3)
    sf.review(people["bo"], work, 3)
    fresh_chain.increase_time(PARAMS.review_window + 1)
    sf.finalize(people["zed"], work)
    failed = _failed(verify(sf))
    assert any("[code] splitter" in f for f in failed), failed
    assert any(people["dee"].address in f and "points" in f for f in failed), failed


@pytest.mark.parametrize("chunk", [1, 3])
def test_small_log_chunks_give_the_same_answer(dao: Dao, chunk: int) -> None:
    _activity(dao)
    assert _failed(verify(dao.sf, chunk=chunk)) == []
