"""A local grid (issue 22): member hosts, each with a store of its own and a trustless gateway,
hold what the chain assigns them, fetched from each other and verified block by block. A host whose
gateway is down, or lies, is named with what it did."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from starfish_dao.chain import grid
from starfish_dao.domain.unixfs import CID, cid_of
from starfish_dao.hosting import sync
from starfish_dao.ipfs.gateway import RAW, FetchError, Gateway, fetch_block
from starfish_dao.ipfs.local import LocalStore
from tests.chain.test_grid import _next_epoch, _seed
from tests.conftest import FOUNDERS, Dao


@pytest.fixture()
def stores(tmp_path: Path) -> Iterator[dict[str, LocalStore]]:
    yield {name: LocalStore(tmp_path / name) for name in FOUNDERS}


def _community_files(store: LocalStore) -> None:
    """What the earning DAO's authors and its charter put on IPFS (the same bytes, the same CIDs)."""
    store.add_bytes(b"# charter\n")
    for name in FOUNDERS:
        store.add_bytes(f"{name}'s first work".encode())


def test_the_gateway_serves_only_verifiable_blocks(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "s")
    cid = store.add_bytes(b"x" * 300_000)  # two chunks and a root: a DAG
    gateway = Gateway(store).start()
    try:
        ok = requests.get(f"{gateway.url}/ipfs/{cid}?format=raw", timeout=5)
        assert ok.status_code == 200 and ok.headers["Content-Type"] == RAW and cid.verify(ok.content)
        by_accept = requests.get(f"{gateway.url}/ipfs/{cid}", headers={"Accept": RAW}, timeout=5)
        assert by_accept.content == ok.content
        assert requests.head(f"{gateway.url}/ipfs/{cid}?format=raw", timeout=5).content == b""
        plain = requests.get(f"{gateway.url}/ipfs/{cid}", timeout=5)
        assert plain.status_code == 406 and "format=raw" in plain.text
        bad = requests.get(f"{gateway.url}/ipfs/notacid?format=raw", timeout=5)
        assert bad.status_code == 400 and "not a valid CID" in bad.text
        other = CID.of(b"not held", 0x55)
        missing = requests.get(f"{gateway.url}/ipfs/{other}?format=raw", timeout=5)
        assert missing.status_code == 404 and "not held here" in missing.text
        fetched = fetch_block(gateway.url, cid)
        assert fetched.block == ok.content and fetched.ttfb > 0
    finally:
        gateway.stop()


class _Liar(BaseHTTPRequestHandler):
    """A gateway that answers every block with other bytes (a host that lost a file and bluffs)."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = b"not the block you asked for"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_hosts_hold_their_assignment_from_each_other(earning_dao: Dao, stores: dict[str, LocalStore]) -> None:
    """ada's store has every file (she pinned them); bo and cy start empty. Once the seed is fixed,
    each completes its files from the others' gateways, each block checked against its CID. Then
    cy's gateway goes down and a liar registers: bo, starting over, is still served by ada, and
    the liar's bytes are refused, never stored."""
    dao = earning_dao
    sf = dao.sf
    _community_files(stores["ada"])
    gateways = {name: Gateway(stores[name]).start() for name in FOUNDERS}
    try:
        for name in FOUNDERS:
            grid.register(sf, dao[name], gateways[name].url)
        _seed(dao, _next_epoch(dao) - 1)
        epoch, assignment = grid.assignment(sf)
        assert assignment is not None and len(assignment.hosts) == 3
        files = [str(CID.from_bytes(c)) for c in assignment.files]
        assert len(files) == 4  # k = 3 of 3 hosts: everyone holds everything
        for name in ("bo", "cy"):
            report = sync(sf, stores[name], dao[name].address)
            assert report.epoch == epoch and report.assigned == 4 and not report.missing, report
            assert sorted(report.held) == sorted(files) and report.fetched >= 4
            assert {str(c) for c in map(CID.parse, files)} <= stores[name].pins()
        # served onward: cy's gateway gives each file's root, verifiably
        for text in files:
            assert CID.parse(text).verify(fetch_block(gateways["cy"].url, CID.parse(text)).block)

        # cy goes down; bo loses everything; a liar takes cy's place in bo's sources
        gateways["cy"].stop()
        liar = ThreadingHTTPServer(("127.0.0.1", 0), _Liar)
        threading.Thread(target=liar.serve_forever, daemon=True).start()
        liar_url = f"http://127.0.0.1:{liar.server_address[1]}"
        try:
            with pytest.raises(FetchError, match="sent bytes that are not"):
                fetch_block(liar_url, CID.parse(files[0]))
            fresh = LocalStore(stores["bo"].root.parent / "bo-again")
            report = sync(sf, fresh, dao["bo"].address, extra=[liar_url])
            assert not report.missing and len(report.held) == 4  # ada served it; the liar was never needed
            # with ada gone too, nobody honest is left: the files are missing, with every source's reason
            gateways["ada"].stop()
            empty = LocalStore(stores["bo"].root.parent / "bo-third")
            report = sync(sf, empty, dao["bo"].address, extra=[liar_url])
            assert len(report.missing) == 4 and not report.held
            why = next(iter(report.missing.values()))
            assert "unreachable" in why and "sent bytes that are not" in why, why
            assert not empty.pins() and not any(empty.blocks.iterdir())  # nothing unverified was kept
        finally:
            liar.shutdown()
            liar.server_close()
    finally:
        for gateway in gateways.values():
            gateway.stop()  # again for those stopped above: a no-op


def test_a_host_without_a_seed_or_eligibility_holds_nothing_and_says_why(
    earning_dao: Dao, stores: dict[str, LocalStore]
) -> None:
    dao = earning_dao
    sf = dao.sf
    grid.register(sf, dao["ada"], "http://127.0.0.1:9")
    report = sync(sf, stores["ada"], dao["ada"].address)
    assert report.assigned == 0 and "seed is not fixed" in (report.why_not or "")
    _seed(dao, int(sf.charter.functions.currentEpoch().call()) - 1)
    report = sync(sf, stores["ada"], dao["ada"].address)
    assert "registered after this epoch began" in (report.why_not or ""), report


def test_a_real_ipfs_node_supplies_a_host(earning_dao: Dao, stores: dict[str, LocalStore], ipfs_node: object) -> None:
    """The grid's third kind of member machine: a real IPFS node (the suite's js-ipfs, Kubo RPC API).
    A host fetches its files from it block by block (`block/get`: js-ipfs's gateway serves files,
    not raw blocks), each checked against its CID; what the node lacks is named."""
    from starfish_dao.ipfs.kubo import KuboStore

    dao = earning_dao
    sf = dao.sf
    api = ipfs_node.multiaddr  # type: ignore[attr-defined]
    node = KuboStore(api)
    node.add_bytes(b"# charter\n")
    for name in FOUNDERS[:2]:  # cy's work is not on the node
        node.add_bytes(f"{name}'s first work".encode())
    grid.register(sf, dao["ada"], "http://127.0.0.1:9")
    _seed(dao, _next_epoch(dao) - 1)
    report = sync(sf, stores["ada"], dao["ada"].address, extra=[api])
    assert report.assigned == 4 and len(report.held) == 3, report
    (missing,) = report.missing.values()
    assert f"the node at {api}" in missing, missing
    cy = str(CID.from_bytes(cid_of(b"cy's first work").bytes))
    assert list(report.missing) == [cy]


class _Slow(BaseHTTPRequestHandler):
    """A gateway that answers right, late: in front of an honest one, it waits before the first byte."""

    upstream = ""
    delay = 0.4

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        import time

        time.sleep(self.delay)
        answer = requests.get(self.upstream + self.path, headers={"Accept": RAW}, timeout=5)
        self.send_response(answer.status_code)
        self.send_header("Content-Length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content)


def test_a_challenge_walks_a_file_from_its_root_to_a_leaf(tmp_path: Path) -> None:
    from starfish_dao.domain.grid import link_choice
    from starfish_dao.domain.unixfs import parse_dag_pb
    from starfish_dao.hosting import probe

    store = LocalStore(tmp_path / "s")
    root = store.add_bytes(bytes(range(256)) * 4000)  # 1,024,000 bytes: a root and four leaves
    links, _ = parse_dag_pb(store.get_block(root))
    gateway = Gateway(store).start()
    try:
        for path_seed in (b"\x00" * 32, b"\x01" * 32, b"\x07" * 32):
            p = probe(gateway.url, root.bytes, path_seed, 2000)
            assert p.ok and p.blocks == [str(root), str(links[link_choice(path_seed, 0, len(links))])], p
    finally:
        gateway.stop()


def test_the_committee_catches_an_unpinned_file_a_host_down_and_a_slow_one(
    earning_dao: Dao, stores: dict[str, LocalStore]
) -> None:
    """Three hosts hold everything; after the epoch ends and its seed is fixed, every host is checked
    from that seed: all pass. Then bo drops a file, cy's gateway stops, and ada answers through a
    slow front: each fails exactly what it should, with the reason a host is shown."""
    from starfish_dao.domain.charter import Parameter
    from starfish_dao.domain.grid import CHALLENGES, WHOLE_WEIGHT, challenges, committee, whole_file
    from starfish_dao.domain.model import Model
    from starfish_dao.hosting import check

    dao = earning_dao
    sf = dao.sf
    _community_files(stores["ada"])
    gateways = {name: Gateway(stores[name], owner=dao[name].address).start() for name in FOUNDERS}
    slow = ThreadingHTTPServer(("127.0.0.1", 0), type("S", (_Slow,), {"upstream": gateways["ada"].url}))
    threading.Thread(target=slow.serve_forever, daemon=True).start()
    try:
        for name in FOUNDERS:
            endpoint = gateways[name].url if name != "ada" else f"http://127.0.0.1:{slow.server_address[1]}"
            grid.register(sf, dao[name], endpoint)
        dao.govern(sf.charter.functions.setParameter(int(Parameter.TTFB_CEILING_MS), 1000))
        epoch = _next_epoch(dao)
        _seed(dao, epoch - 1)
        for name in ("bo", "cy"):
            assert not sync(sf, stores[name], dao[name].address, extra=[gateways["ada"].url]).missing
        _next_epoch(dao)
        _seed(dao, epoch)  # the checked epoch's own seed: drawn after it ended
        results, why = check(sf, epoch)
        assert why is None and len(results) == 3
        assert all(r.passes == CHALLENGES for r in results), [(r.host, [p.reason for p in r.probes]) for r in results]
        model = Model().apply_all(sf.logs())
        a = model.grid.assignment(model, epoch)
        seed = model.grid.seeds[epoch]
        assert a is not None
        for name in FOUNDERS:
            members = committee(a, seed, dao[name].address)  # 3 hosts, a committee of up to 3: all others
            assert sorted(members) == sorted(dao[n].address for n in FOUNDERS if n != name)  # 2 others of 3
        mine, _ = check(sf, epoch, checker=dao["ada"].address)
        assert sorted(r.host for r in mine) == sorted([dao["bo"].address, dao["cy"].address])

        # bo drops one file; cy's gateway stops; ada's answers come late (ceiling 1,000 ms, 400 ms late: ok)
        dropped = challenges(a, seed.seed, dao["bo"].address)[0][0]  # a file bo is sure to be asked for
        stores["bo"].unpin(CID.from_bytes(dropped))
        stores["bo"].gc()
        gateways["cy"].stop()
        _Slow.delay = 1.2
        results, _ = check(sf, epoch, model=model)
        by = {r.host: r for r in results}
        bo, cy, ada = by[dao["bo"].address], by[dao["cy"].address], by[dao["ada"].address]
        on_dropped = sum(1 for f, _ in challenges(a, seed.seed, bo.host) if f == dropped)
        if whole_file(a, seed.seed, bo.host) == dropped:  # its whole-file challenge too
            on_dropped += WHOLE_WEIGHT
        assert (
            on_dropped >= 1
            and bo.passes == CHALLENGES - on_dropped
            and all("answered 404" in p.reason for p in bo.probes if not p.ok)
        ), bo.probes
        assert cy.passes == 0 and all("unreachable" in p.reason for p in cy.probes)
        assert ada.passes == 0 and all("the ceiling is 1000 ms" in p.reason for p in ada.probes), ada.probes[0]
        # `starfish verify --hosting` re-runs the same checks and flags each host below 90 %
        from starfish_dao.cli.verify import _hosting_checks

        flagged = {c.subject: c for c in _hosting_checks(sf, model)}
        assert not flagged[cy.host].ok and "unreachable" in flagged[cy.host].note
        assert not flagged[ada.host].ok and "ceiling" in flagged[ada.host].note
        assert flagged[bo.host].ok == (bo.passes * 10 >= CHALLENGES * 9)
    finally:
        _Slow.delay = 0.4
        slow.shutdown()
        slow.server_close()
        for gateway in gateways.values():
            gateway.stop()


def test_honest_hosts_are_paid_and_one_that_dropped_a_file_is_not(
    earning_dao: Dao, stores: dict[str, LocalStore], tmp_path: Path
) -> None:
    """The whole loop with real gateways, each host running its own duties (`hosting.duties`, what
    `host serve` runs each round): in E + 1 each checks the others for E and seals, the evidence
    pinned in its own store; in E + 2 each reveals; E + 3 is left for contests; in E + 4 the results
    are attested; in E + 5 each claims. bo dropped the file its challenges hit most: its checkers
    agree it failed, it is paid nothing for E, and ada and cy split the pot, exact to the wei."""
    from starfish_dao.domain.charter import Parameter
    from starfish_dao.domain.grid import PASS_MIN, WHOLE_WEIGHT, challenges, whole_file
    from starfish_dao.domain.model import ETH, Model
    from starfish_dao.hosting import duties
    from starfish_dao.verify.state import compare

    dao = earning_dao
    sf = dao.sf
    dao.govern(sf.charter.functions.setParameter(int(Parameter.HOSTING_BPS), 300))
    _community_files(stores["ada"])
    gateways = {name: Gateway(stores[name], owner=dao[name].address).start() for name in FOUNDERS}
    journals = {name: grid.Journal(tmp_path / f"{name}-journal.json") for name in FOUNDERS}

    def round_(name: str) -> Any:
        model = Model().apply_all(sf.logs())
        return duties(sf, dao[name], stores[name], model, journals[name])

    try:
        for name in FOUNDERS:
            grid.register(sf, dao[name], gateways[name].url)
        epoch = _next_epoch(dao)
        _seed(dao, epoch - 1)
        for name in ("bo", "cy"):
            assert not sync(sf, stores[name], dao[name].address, extra=[gateways["ada"].url]).missing
        sf.pay_eth(dao["zed"], 10 * 10**18)
        _next_epoch(dao)
        _seed(dao, epoch)
        model = Model().apply_all(sf.logs())
        a, seed = model.grid.assignment(model, epoch), model.grid.seeds[epoch]
        assert a is not None
        asked = [f for f, _ in challenges(a, seed.seed, dao["bo"].address)]
        dropped = max(set(asked), key=asked.count)
        assert asked.count(dropped) > 10 - PASS_MIN  # enough to fail bo
        stores["bo"].unpin(CID.from_bytes(dropped))
        stores["bo"].gc()
        # bo's own round comes last: checking the others completes their files in its store, which
        # would fetch the dropped file back (a checker's copy is its own store)
        sealed = {name: round_(name) for name in ("ada", "cy", "bo")}
        for name, report in sealed.items():
            assert not report.errors and len(report.sealed) == 2, (name, report)
            for s in report.sealed:  # the evidence is pinned and served by the checker's own gateway
                fetched = requests.get(f"{gateways[name].url}/ipfs/{s['evidence']}?format=raw", timeout=5)
                assert fetched.status_code == 200 and str(s["host"]).lower().encode() in fetched.content.lower()
        on_bo = [s for r in sealed.values() for s in r.sealed if s["host"] == dao["bo"].address]
        lost = asked.count(dropped) + (WHOLE_WEIGHT if whole_file(a, seed.seed, dao["bo"].address) == dropped else 0)
        assert all(s["passes"] == 10 - lost and "answered 404" in " ".join(s["failures"]) for s in on_bo), on_bo
        _next_epoch(dao)
        assert all(len(round_(name).revealed) == 2 for name in FOUNDERS)
        _next_epoch(dao)  # E + 3: the hosts may contest a false fail
        _next_epoch(dao)
        attested = [x for name in FOUNDERS for x in round_(name).attested]
        assert sorted(x["host"] for x in attested) == sorted(dao[n].address for n in FOUNDERS)  # once each
        units = {x["host"]: x["units"] for x in attested}
        ada_bytes = truth_held(sf, epoch, dao["ada"].address, stores["ada"])  # the bytes of her files
        assert ada_bytes == sum(len(LocalStore.cat(stores["ada"], CID.from_bytes(f))) for f in a.of(dao["ada"].address))
        assert units[dao["bo"].address] == 0 and units[dao["ada"].address] == ada_bytes * 10
        _next_epoch(dao)
        claims = {name: round_(name).claimed for name in FOUNDERS}
        assert claims["bo"] == []
        pot = 10 * 10**18 * 300 // 10_000
        total = sum(units.values())
        for name in ("ada", "cy"):
            assert claims[name] == [{"epoch": epoch, "token": ETH, "amount": pot * units[dao[name].address] // total}]
        bad = [c for c in compare(sf) if not c.ok]
        assert not bad, bad
    finally:
        for gateway in gateways.values():
            gateway.stop()


def test_a_host_that_only_proxies_passes_every_walk_and_fails_the_whole_file_challenge(
    earning_dao: Dao, stores: dict[str, LocalStore]
) -> None:
    """cy registers a front that holds nothing and forwards every request to ada's gateway: each
    block it is asked for comes back right and in time, so every walk passes. The whole-file
    challenge asks for sha256(nonce ‖ cy ‖ file) with a fresh nonce: ada's gateway answers only for
    ada (403), so cy passes 8 of 10, below the 9 a paid host needs. A proxy must fetch and hash the
    whole file within the ceiling at every check: proxying is no cheaper than storing."""
    from starfish_dao.domain.grid import CHALLENGES, PASS_MIN, WALKS
    from starfish_dao.hosting import check

    dao = earning_dao
    sf = dao.sf
    _community_files(stores["ada"])
    _community_files(stores["bo"])
    gateways = {name: Gateway(stores[name], owner=dao[name].address).start() for name in ("ada", "bo")}
    front = ThreadingHTTPServer(("127.0.0.1", 0), type("P", (_Slow,), {"upstream": gateways["ada"].url, "delay": 0}))
    threading.Thread(target=front.serve_forever, daemon=True).start()
    try:
        grid.register(sf, dao["ada"], gateways["ada"].url)
        grid.register(sf, dao["bo"], gateways["bo"].url)
        grid.register(sf, dao["cy"], f"http://127.0.0.1:{front.server_address[1]}")
        epoch = _next_epoch(dao)
        _seed(dao, epoch - 1)
        _next_epoch(dao)
        _seed(dao, epoch)
        results, why = check(sf, epoch)
        assert why is None
        by = {r.host: r for r in results}
        cy = by[dao["cy"].address]
        walks = [p for p in cy.probes if p.weight == 1]
        (whole,) = [p for p in cy.probes if p.weight == 2]
        assert len(walks) == WALKS and all(p.ok for p in walks), walks  # the proxy serves every block
        assert not whole.ok and "answered 403" in whole.reason and "only" in whole.reason, whole
        assert cy.passes == CHALLENGES - 2 < PASS_MIN
        assert by[dao["ada"].address].passes == by[dao["bo"].address].passes == CHALLENGES  # the honest pass
    finally:
        front.shutdown()
        front.server_close()
        for gateway in gateways.values():
            gateway.stop()


def test_a_checker_that_lies_is_overturned_by_the_host_on_chain(
    earning_dao: Dao, stores: dict[str, LocalStore], tmp_path: Path
) -> None:
    """bo's committee is ada (honest, through her duties) and cy, who claims bo failed two walks,
    naming the blocks they stopped at. One against one: no majority, bo would go unpaid. bo holds
    those blocks: `starfish host contest`'s function finds them in its store and proves them on-chain,
    cy's result moves to 10 of 10, and bo is attested and paid."""
    from starfish_dao.domain.grid import CHALLENGES
    from starfish_dao.domain.model import Model
    from starfish_dao.domain.unixfs import CID as Cid
    from starfish_dao.hosting import check, contestable, duties

    dao = earning_dao
    sf = dao.sf
    _community_files(stores["ada"])
    gateways = {name: Gateway(stores[name], owner=dao[name].address).start() for name in FOUNDERS}
    journals = {name: grid.Journal(tmp_path / f"{name}-journal.json") for name in FOUNDERS}
    bo = dao["bo"].address

    def round_(name: str) -> Any:
        return duties(sf, dao[name], stores[name], Model().apply_all(sf.logs()), journals[name])

    try:
        for name in FOUNDERS:
            grid.register(sf, dao[name], gateways[name].url)
        epoch = _next_epoch(dao)
        _seed(dao, epoch - 1)
        for name in ("bo", "cy"):
            assert not sync(sf, stores[name], dao[name].address, extra=[gateways["ada"].url]).missing
        _next_epoch(dao)
        _seed(dao, epoch)
        (truth,), _ = check(sf, epoch, hosts=[bo])
        assert truth.passes == CHALLENGES
        walks = [p for p in truth.probes if p.weight == 1][:2]
        lie = grid.CheckResult(epoch, bo, truth_held(sf, epoch, bo, stores["bo"]), CHALLENGES - 2, b"",
                               tuple(Cid.parse(p.blocks[-1]).digest for p in walks))  # fmt: skip
        grid.seal_check(sf, dao["cy"], lie)
        assert any(s["host"] == bo for s in round_("ada").sealed)
        _next_epoch(dao)
        grid.reveal_check(sf, dao["cy"], dao["cy"], lie)
        assert any(r["host"] == bo for r in round_("ada").revealed)
        model = Model().apply_all(sf.logs())
        t = model.grid.tallies[(epoch, bo)]
        assert (t.revealed, t.votes) == (2, 1)  # split: no majority
        (c,) = contestable(sf, model, stores["bo"], bo)
        assert c.checker == dao["cy"].address and c.passes == CHALLENGES - 2 and len(c.blocks) == 2
        assert grid.contest(sf, dao["bo"], c.epoch, bo, c.checker, c.held, c.passes, c.failed, c.blocks) == CHALLENGES
        _next_epoch(dao)  # E + 3: the hosts may contest a false fail
        _next_epoch(dao)
        attested = {x["host"]: x["units"] for x in round_("ada").attested}
        assert attested[bo] == truth_held(sf, epoch, bo, stores["bo"]) * CHALLENGES
    finally:
        for gateway in gateways.values():
            gateway.stop()


def truth_held(sf: Any, epoch: int, host: str, store: LocalStore) -> int:
    """The bytes of the files `host` was to hold in `epoch`, as a checker counts them."""
    from starfish_dao.domain.model import Model
    from starfish_dao.hosting import held_bytes

    model = Model().apply_all(sf.logs())
    a = model.grid.assignment(model, epoch)
    assert a is not None
    held = held_bytes(store, model, a, host)
    assert held is not None
    return held


def test_a_local_grid_of_a_real_ipfs_node_and_host_serve_processes_pays_its_hosts(
    earning_dao: Dao, ipfs_node: object, tmp_path: Path
) -> None:
    """The grid on members' machines, end to end: ada's files live in a real IPFS node (the suite's
    js-ipfs; her endpoint is its RPC API), bo and cy each run `starfish host serve` as a process of
    its own (a store, a gateway, a key), and so does ada, for her committee duties. Nobody is told
    anything but the chain: the processes fetch their files from each other and from the node,
    check each other, seal, reveal, attest and claim, one epoch at a time as the test moves the
    chain's clock. Every host is paid its share of the hosting pot, exact to the wei, and verify agrees."""
    import json
    import os
    import subprocess
    import sys
    import time

    from starfish_dao.chain.backends import free_port
    from starfish_dao.domain.charter import Parameter
    from starfish_dao.domain.grid import CHALLENGES
    from starfish_dao.domain.model import ETH, Model
    from starfish_dao.ipfs.kubo import KuboStore
    from starfish_dao.verify.state import compare

    dao = earning_dao
    sf = dao.sf
    api = ipfs_node.multiaddr  # type: ignore[attr-defined]
    node = KuboStore(api)
    node.add_bytes(b"# charter\n")
    for name in FOUNDERS:
        node.add_bytes(f"{name}'s first work".encode())
    dao.govern(sf.charter.functions.setParameter(int(Parameter.HOSTING_BPS), 300))
    manifests = tmp_path / "deployments"
    dao.deployment.save(manifests)
    ports = {name: free_port() for name in FOUNDERS}
    grid.register(sf, dao["ada"], api)
    for name in ("bo", "cy"):
        grid.register(sf, dao[name], f"http://127.0.0.1:{ports[name]}")
    epoch = _next_epoch(dao)
    _seed(dao, epoch - 1)

    processes = {}
    logs = {}
    base = {k: v for k, v in os.environ.items() if not k.startswith("STARFISH_")}
    for name in FOUNDERS:
        env = {**base, "STARFISH_HOME": str(tmp_path / f"home-{name}"), "STARFISH_RPC_URL": dao.chain.url,
               "STARFISH_PRIVATE_KEY": dao[name].key.hex()}  # fmt: skip
        logs[name] = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 - closed in finally
        processes[name] = subprocess.Popen(
            [sys.executable, "-m", "starfish_dao.cli", "host", "serve", "--port", str(ports[name]), "--interval", "0.3",
             "--json", "--deployments", str(manifests)],
            env=env, stdout=logs[name], stderr=subprocess.STDOUT,
        )  # fmt: skip

    def until(what: str, ready: Any, timeout: float = 120.0) -> Model:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            dao.chain.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]  # a chain mines blocks
            model = Model().apply_all(sf.logs())
            if ready(model):
                return model
            for name, p in processes.items():
                assert p.poll() is None, f"{name}'s host serve exited: {(tmp_path / f'{name}.log').read_text()[-2000:]}"
            time.sleep(0.3)
        tails = {n: (tmp_path / f"{n}.log").read_text()[-1500:] for n in FOUNDERS}
        raise AssertionError(f"{what} did not happen: {json.dumps(tails, indent=1)}")

    addresses = [dao[n].address for n in FOUNDERS]
    try:
        for name in ("bo", "cy"):  # each serves its files, fetched from the node and each other
            files = Model().apply_all(sf.logs())
            a = files.grid.assignment(files, epoch)
            assert a is not None
            deadline = time.monotonic() + 120
            for raw in a.of(dao[name].address):
                url = f"http://127.0.0.1:{ports[name]}/ipfs/{CID.from_bytes(raw)}?format=raw"
                while True:
                    try:
                        if requests.get(url, timeout=5).status_code == 200:
                            break
                    except requests.RequestException:
                        pass
                    assert time.monotonic() < deadline, (tmp_path / f"{name}.log").read_text()[-2000:]
                    time.sleep(0.3)
        sf.pay_eth(dao["zed"], 10 * 10**18)
        _next_epoch(dao)
        _seed(dao, epoch)
        until("sealing", lambda m: sum(1 for (e, _, _) in m.grid.seals if e == epoch) == 6)
        _next_epoch(dao)

        def revealed(m: Model) -> bool:
            return all((t := m.grid.tallies.get((epoch, h))) is not None and t.revealed == 2 for h in addresses)

        model = until("revealing", revealed)
        for h in addresses:
            t = model.grid.tallies[(epoch, h)]
            assert (t.votes, t.passes) == (2, CHALLENGES), (h, t, model.grid.reveals[(epoch, h)])
        _next_epoch(dao)  # E + 3: the hosts may contest a false fail
        _next_epoch(dao)
        model = until("attesting", lambda m: all(m.grid.tallies[(epoch, h)].attested for h in addresses))
        units = {h: model.grid.tallies[(epoch, h)].units for h in addresses}
        _next_epoch(dao)
        model = until("claiming", lambda m: all((epoch, h, ETH) in m.hosting_claims for h in addresses))
        pot = 10 * 10**18 * 300 // 10_000
        for h in addresses:
            assert model.hosting_claims[(epoch, h, ETH)] == pot * units[h] // sum(units.values())
        bad = [c for c in compare(sf) if not c.ok]
        assert not bad, bad
    finally:
        for p in processes.values():
            p.terminate()
        for p in processes.values():
            p.wait(timeout=30)
        for f in logs.values():
            f.close()


def test_committees_probe_a_members_relay_and_page(earning_dao: Dao, stores: dict[str, LocalStore]) -> None:
    """A host may declare the relay and the page it runs for the community (`relay=URL page=URL` in
    its endpoint). Its checkers ask both (health and time to first byte, not pay): the relay's
    `/v1/info` answers JSON, a page that is down is named down with why."""
    from starfish_dao.chain.backends import free_port
    from starfish_dao.domain.grid import endpoint_problem, services_of
    from starfish_dao.hosting import check

    assert endpoint_problem("https://gw.example relay=https://relay.example page=https://page.example") is None
    assert "relay=URL" in str(endpoint_problem("https://gw.example relay=ftp://nope"))
    assert services_of("https://gw relay=https://r/ page=https://p") == {"relay": "https://r", "page": "https://p"}

    class Info(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body = b'{"chainId": 31337}' if self.path == "/v1/info" else b"not here"
            self.send_response(200 if self.path == "/v1/info" else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    dao = earning_dao
    sf = dao.sf
    _community_files(stores["ada"])
    gateways = {n: Gateway(stores[n], owner=dao[n].address).start() for n in ("ada", "bo")}
    relay = ThreadingHTTPServer(("127.0.0.1", 0), Info)
    threading.Thread(target=relay.serve_forever, daemon=True).start()
    dead = f"http://127.0.0.1:{free_port()}"
    try:
        grid.register(sf, dao["ada"], f"{gateways['ada'].url} relay=http://127.0.0.1:{relay.server_address[1]} "
                      f"page={dead}")  # fmt: skip
        grid.register(sf, dao["bo"], gateways["bo"].url)
        epoch = _next_epoch(dao)
        _seed(dao, epoch - 1)
        _next_epoch(dao)
        _seed(dao, epoch)
        results, _ = check(sf, epoch)
        by = {r.host: r for r in results}
        relay_probe, page_probe = by[dao["ada"].address].services
        assert relay_probe.kind == "relay" and relay_probe.ok and relay_probe.ttfb_ms >= 0, relay_probe
        assert page_probe.kind == "page" and not page_probe.ok and "unreachable" in page_probe.reason, page_probe
        assert by[dao["bo"].address].services == []  # bo declares none
    finally:
        relay.shutdown()
        relay.server_close()
        for gateway in gateways.values():
            gateway.stop()


def test_a_files_size_comes_from_its_root_block(tmp_path: Path) -> None:
    """What hosting units count: a raw leaf's length; a chunked file's UnixFS filesize, read from
    its root block alone (no other block needed)."""
    from starfish_dao.domain.unixfs import file_size

    store = LocalStore(tmp_path / "s")
    for data in (b"", b"x", b"y" * 262_144, bytes(range(256)) * 3000):
        cid = store.add_bytes(data)
        assert file_size(cid, store.get_block(cid)) == len(data), (len(data), cid)
