"""`starfish demo`: the whole story on the embedded defaults, checked against the reference model.

Five people start a coworking commons. Three founders hold genesis points so the first reviews have
standing. Everyone joins, pins real work and submits it; peers review; the review window passes;
contributions are finalized; customers pay in ETH and in an ERC-20; members claim; one leaves and
still claims later revenue. Then every on-chain number is compared with the model, to the wei.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from rich.console import Console
from rich.table import Table

from starfish_dao import config
from starfish_dao.chain import artifacts, grid
from starfish_dao.chain.backends import PyEvmBackend, RpcBackend
from starfish_dao.chain.client import Starfish
from starfish_dao.chain.deployment import _deploy_one, deploy
from starfish_dao.chain.governance import TEMPLATES, Governance
from starfish_dao.domain.charter import DAY, POINT, CharterConfig, Founder, Params
from starfish_dao.domain.commitment import commitment, new_salt
from starfish_dao.domain.errors import ContractRevert
from starfish_dao.domain.model import ETH, Model
from starfish_dao.domain.units import amount, local_time, points
from starfish_dao.domain.unixfs import cid_of, content_hash
from starfish_dao.ipfs import build_artifact, open_store
from starfish_dao.verify.governance import check_governance
from starfish_dao.verify.state import Check, compare

NAMES = ("ada", "bo", "cy", "dee", "eli")
ETHER = 10**18

Backend = RpcBackend | PyEvmBackend


@dataclass
class DemoResult:
    ok: bool
    checks: list[Check]
    model: Model
    sf: Starfish
    members: dict[str, LocalAccount]
    token: str
    cids: dict[str, str] = field(default_factory=dict)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]


def _work_files(directory: Path, seed: int) -> dict[str, Path]:
    """Real artifacts, one per member: a design note, a script, a dataset, a floor plan, a log."""
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        "ada": ("booking-design.md", "# Desk booking\n\nDesks are booked per half day; no-shows free it at 10:00.\n"),
        "bo": ("invoice.py", "def invoice(desks: int, days: int) -> int:\n    return desks * days * 25\n"),
        "cy": ("members.csv", "name,desk\n" + "".join(f"member{i},{rng.randint(1, 40)}\n" for i in range(500))),
        "dee": ("floorplan.svg", '<svg xmlns="http://www.w3.org/2000/svg">'
                + "".join(f'<rect x="{i * 12}" y="{rng.randint(0, 90)}" width="10" height="10"/>' for i in range(80))
                + "</svg>\n"),
        # 600 KiB: three 256 KiB chunks, so this one is a real UnixFS tree, not a single block
        "eli": ("door-sensor.log", "".join(f"{i:08d} door={rng.choice('OC')} t={rng.random():.6f}\n"
                                           for i in range(21_000))[: 600 * 1024]),
    }  # fmt: skip
    paths = {}
    for name, (filename, text) in files.items():
        path = directory / filename
        path.write_text(text)
        paths[name] = path
    return paths


def run_demo(
    backend: Backend, console: Console | None = None, seed: int | None = None, workdir: Path | None = None
) -> DemoResult:
    console = console or Console()
    seed = random.randrange(2**32) if seed is None else seed
    w3 = backend.w3
    store = open_store()
    workdir = workdir or config.subdir("demo")
    steps = 18
    step_no = 0

    def step(text: str) -> None:
        nonlocal step_no
        step_no += 1
        console.print(f"[bold cyan][{step_no:>2}/{steps}][/] {text}")

    def note(text: str) -> None:
        console.print(f"        {text}")

    step(f"Chain: {backend.name}, chain id {w3.eth.chain_id}, block {w3.eth.block_number}")
    members = {name: Account.create() for name in NAMES}
    customer = Account.create()
    for account in [*members.values(), customer]:
        backend.fund(account.address, 100 * ETHER)
    note("five members and a customer: fresh keys, funded by the dev node")

    step("Pinning the charter document and deploying the contracts")
    charter_cid = store.add_file(Path(__file__).parent / "demo_files" / "charter.md")
    ada = members["ada"]
    token_address, _ = _deploy_one(w3, ada, "TestToken", "Coworking Credit", "CWC")
    params = Params(
        epoch_length=7 * DAY, review_window=3 * DAY, min_reviewers=2, half_life=26,
        reserve_bps=1000, max_effort=2400, max_effort_per_epoch=4800, min_reviewer_standing=1 * POINT,
    )  # fmt: skip
    cfg = CharterConfig(
        params=params,
        document_cid=charter_cid.bytes,
        revenue_tokens=(token_address,),
        founders=tuple(Founder(members[n].address, 1000 * POINT) for n in ("ada", "bo", "cy")),
    )
    deployment = deploy(w3, ada, cfg)
    deployment.extra["testToken"] = token_address
    deployment.extra["demo"] = "true"
    existing = config.subdir("deployments") / f"{deployment.chain_id}.json"
    if existing.is_file() and '"demo": "true"' not in existing.read_text():
        backup = existing.with_name(f"{deployment.chain_id}.before-demo.{int(time.time())}.json")
        existing.replace(backup)  # a community's own manifest is never silently replaced
        note(f"your manifest for chain {deployment.chain_id} is kept as {backup}")
    manifest = deployment.save()
    sf = Starfish(w3, deployment)
    note(f"charter {charter_cid}; manifest {manifest}")
    for role, address in deployment.addresses.items():
        note(f"{role:<10} {address}")

    step("The founder steps down: the members' timelock governs; the deployer holds no role")
    timelock = sf.contracts["timelock"].functions
    held = [r for r in (b"\0" * 32, keccak(text="PROPOSER_ROLE"), keccak(text="CANCELLER_ROLE"),
                        keccak(text="EXECUTOR_ROLE")) if timelock.hasRole(r, ada.address).call()]  # fmt: skip
    if held or sf.charter.functions.governance().call() != deployment.addresses["timelock"]:
        raise AssertionError("the deployer kept a role")
    note(f"charter governance: timelock {deployment.addresses['timelock']}, proposals by the governor "
         f"(votes = points at the snapshot; quorum {cfg.settings.quorum_percent}%, then a "
         f"{cfg.settings.timelock_delay // 3600} h delay); ada holds no role")  # fmt: skip

    step("Five members join (cy signs a Join and bo relays it: cy pays no gas)")
    for name in ("ada", "bo", "dee", "eli"):
        sf.join(members[name])
    sf.submit_signed(members["bo"], sf.sign(members["cy"], "Join"))
    note(f"members: {sf.membership.functions.memberCount().call()}")

    step("Each commits to real work, then pins it (CIDv1, raw leaves, as kubo) and reveals it")
    files = _work_files(workdir / "work", seed)
    efforts = {"ada": 240, "bo": 90, "cy": 300, "dee": 180, "eli": 600}
    ids: dict[str, int] = {}
    cids: dict[str, str] = {}
    for name, path in files.items():
        cid, digest = build_artifact(path)  # computed locally: nothing is published yet
        salt = new_salt()
        sf.commit(members[name], commitment(members[name].address, digest, salt))  # reveals nothing
        store.add_file(path)  # pinned only after the commitment is on-chain
        cids[name] = str(cid)
        if name == "dee":  # a signed Submit (the reveal), relayed by ada after dee's commitment
            signed = sf.sign(members["dee"], "Submit", cid=cid.bytes, contentHash=digest, salt=salt,
                             effort=efforts[name])  # fmt: skip
            ids[name] = sf._submitted_id(sf.submit_signed(ada, signed))
        else:
            ids[name] = sf.reveal(members[name], cid.bytes, digest, efforts[name], salt)
        note(f"#{ids[name]} {name:<4} {path.name:<18} {path.stat().st_size:>7} B  {efforts[name]:>4} min  {cid}")
    copy = cid_of(files["bo"].read_bytes(), cid_version=0)
    try:
        sf.submit(members["eli"], copy.bytes, 90, content_hash(files["bo"].read_bytes()))
        raise AssertionError("the same content under another CID was accepted")
    except ContractRevert as exc:
        note(f"eli submits bo's file again under CIDv0 ({str(copy)[:12]}...): refused: {_said(exc)}")

    step("Peers rate the work, sealed (founders have standing; a newcomer's rating is refused)")
    stars = {
        "ada": {"bo": 3},  # one reviewer only: below min_reviewers, it will be rejected
        "bo": {"ada": 4, "cy": 3},
        "cy": {"ada": 3, "bo": 4},
        "dee": {"ada": 5, "bo": 3, "cy": 4},
        "eli": {"ada": 3, "bo": 2},
    }
    for author, reviews in stars.items():
        for reviewer, n in reviews.items():
            text = f"{reviewer} on {author}'s work: {n} stars".encode()  # pinned when the rating opens
            if reviewer == "bo" and author == "eli":  # a signed SealedReview, relayed by dee
                signed = sf.sign_review(members["bo"], ids[author], n, cid_of(text).bytes, text)
                sf.submit_signed(members["dee"], signed)
            else:
                sf.review(members[reviewer], ids[author], n, cid_of(text).bytes, text)
    sealed = sum(sf.contribution(i)["sealedReviews"] for i in ids.values())
    note(f"{sealed} ratings sealed: only their hashes are on chain; reviewers keep the stars until the window closes")
    try:
        sf.review(members["dee"], ids["eli"], 5)
        raise AssertionError("a reviewer without standing was accepted")
    except ContractRevert as exc:
        note(f"dee reviewing eli: refused: {_said(exc)}")

    step("Three days pass: the review window closes; the ratings are opened; anyone finalizes")
    backend.increase_time(params.review_window + 60)
    opened = sf.reveal_due(customer, pin=store.add_bytes)
    note(f"{opened} sealed ratings opened, their comments pinned (anyone may send an opening; reviewers hold theirs)")
    for name, cid_id in ids.items():
        out = sf.finalize(customer, cid_id)
        verdict = f"accepted, weighted median {out['median']}, {points(out['points'])}"
        note(f"#{cid_id} {name:<4} {verdict if out['accepted'] else 'rejected (too few reviewers)'}")
    scored = Model().apply_all(sf.logs()).scorable(sf.now())
    for cid_id, reviewer in scored:  # anyone may score a rating (the relay's keeper does)
        sf.score_review(customer, cid_id, reviewer)
    note(f"{len(scored)} opened ratings scored against their work's median, for review pay")

    step("ada and bo offer their machines to host the community's files (dee, without standing, cannot)")
    # each host's machine: a store of its own and its trustless gateway (what `starfish host serve` runs);
    # a fresh chain each run, so fresh machines too (a journal of an earlier run's seals would be stale)
    import shutil

    from starfish_dao.ipfs.gateway import Gateway
    from starfish_dao.ipfs.local import LocalStore

    shutil.rmtree(workdir / "hosts", ignore_errors=True)
    host_stores = {name: LocalStore(workdir / "hosts" / name) for name in ("ada", "bo")}
    gateways = {name: Gateway(host_stores[name], owner=members[name].address).start() for name in ("ada", "bo")}
    for name in ("ada", "bo"):
        grid.register(sf, members[name], gateways[name].url)
    try:
        grid.register(sf, members["dee"], "http://127.0.0.1:8083")
        raise AssertionError("a host without standing was accepted")
    except ContractRevert as exc:
        note(f"dee registering: refused: {_said(exc)}")
    note("hosts count from the next epoch, once that epoch's seed is fixed from a block nobody knew")

    step("Customers pay: 12 ETH for desks, 5,000 CWC for an event")
    token = sf.w3.eth.contract(address=to_checksum_address(token_address), abi=artifacts.abi("TestToken"))
    sf.pay_eth(customer, 12 * ETHER)
    sf._send(customer, token.functions.mint(customer.address, 5_000 * ETHER))
    sf.pay_token(customer, token_address, 5_000 * ETHER)
    note(f"treasury keeps {params.reserve_bps / 100:g} %: {amount(sf.splitter.functions.treasury(ETH).call())} ETH")

    step("Members claim (a keeper claims for dee: the pay goes to dee)")
    for name in ("ada", "bo", "cy", "eli"):
        sf.claim(members[name], token=ETH)
        sf.claim(members[name], token=token_address)
    sf.claim(customer, members["dee"].address, ETH)

    step("Members vote to pay the hosting bill from the treasury (cy signs a ballot, ada relays it)")
    gov = Governance(sf)
    host = to_checksum_address("0x" + "4a" * 20)
    bill = sf.splitter.functions.treasury(ETH).call() // 2
    pid = gov.propose(ada, TEMPLATES["spend"]("eth", host, bill), "Pay the hosting bill (web and booking server)")
    backend.increase_time(cfg.settings.voting_delay + 1)
    gov.vote(members["bo"], pid, "for", "the booking page must stay up")
    sf.submit_signed(ada, sf.sign(members["cy"], "Ballot", proposalId=pid, support=1))
    gov.vote(members["dee"], pid, "against")  # no points yet at the snapshot: no weight
    backend.increase_time(cfg.settings.voting_period + 1)
    gov.queue(customer, pid)
    backend.increase_time(cfg.settings.timelock_delay + 1)
    gov.execute(customer, pid)  # anyone may execute it once the delay has run
    note(f"proposal {f'{pid:064x}'[:8]}: {gov.state(pid).lower()}; the host received "
         f"{amount(sf.w3.eth.get_balance(host))} ETH from the treasury")  # fmt: skip

    step("eli leaves; a week later more revenue arrives")
    sf.leave(members["eli"])
    backend.increase_time(7 * DAY)
    sf.pay_eth(customer, 3 * ETHER)

    step("A new epoch: the last one's seed is fixed, and each file the community depends on has its hosts")
    ended = int(sf.charter.functions.currentEpoch().call()) - 1
    grid.fix_seed(sf, customer, ended, wait=0)  # chooses the next block (anyone may send it)
    backend.increase_time(1)  # that block is mined
    fixed = grid.fix_seed(sf, customer, ended, wait=0)
    epoch, hosting = grid.assignment(sf)
    if hosting is None:
        raise AssertionError(f"epoch {epoch} has no assignment after its seed was fixed")
    holding = {n: len(hosting.of(members[n].address)) for n in ("ada", "bo")}
    note(f"epoch {ended}'s seed {fixed.seed} (block {fixed.seed_block}'s hash): {len(hosting.files)} files, each on "
         f"{min(hosting.replicas, len(hosting.hosts))} of {len(hosting.hosts)} hosts; ada holds {holding['ada']}, "
         f"bo {holding['bo']}")  # fmt: skip

    step("ada and bo hold their files, check each other, and are paid for hosting (3 % of every receipt)")
    try:
        _hosting(sf, backend, members, host_stores, gateways, store, customer, epoch, workdir, note)
    finally:
        for gateway in gateways.values():
            gateway.stop()

    step("eli, no longer a member, still claims the later revenue")
    paid = sf.claim(members["eli"], token=ETH)
    note(f"eli received {amount(paid)} ETH after leaving")

    step("Reviewers are paid: a week after their epoch ends, each claims their review pay")
    model = Model().apply_all(sf.logs())
    while not all(model.review_pay_closed(epoch, sf.now()) for _, epoch in model.desks):
        backend.increase_time(DAY)
    for reviewer, epoch, token_, _ in model.review_pay_due(sf.now()):
        paid = sf.claim_review_pay(customer, reviewer, epoch, token_)
        name = next((n for n, m in members.items() if m.address == reviewer), reviewer)
        note(f"{name} is paid {amount(paid)} {'ETH' if token_ == ETH else 'CWC'} for reviewing in epoch {epoch}")

    step("Replaying every event through the reference model")
    model = Model().apply_all(sf.logs())
    checks = compare(sf, model)
    checks += check_governance(sf, model, sf.now())

    step("Comparing every on-chain number with the model, and every artifact with its CID")
    from starfish_dao.domain.unixfs import CID

    for c in model.contributions.values():
        checks.append(
            Check(f"contribution #{c.id}", "artifact available and intact", store.status(CID.from_bytes(c.cid)), "ok")
        )
    result = DemoResult(all(c.ok for c in checks), checks, model, sf, members, token_address, cids)
    _print_table(console, result)
    return result


def _said(exc: ContractRevert) -> str:
    """A contract's refusal as the CLI says it (one sentence, its error's name after)."""
    from starfish_dao.cli.errors import humanize

    return humanize(exc)


def _fmt(wei: int, decimals: int = 18) -> str:
    return amount(wei, decimals)  # the one rule: at most 6 decimals, rounded down


def _print_table(console: Console, r: DemoResult) -> None:
    sf, model, now = r.sf, r.model, r.sf.now()
    table = Table(title="Members: points and pay (on-chain, checked against the model)")
    for column in ("member", "status", "points", "standing", "ETH claimed", "ETH claimable", "CWC claimed",
                   "CWC claimable"):  # fmt: skip
        table.add_column(column, justify="right" if column not in ("member", "status") else "left")
    for name, account in r.members.items():
        a = account.address
        record = model.members.get(a)
        status = "member" if record and record.token_id else "left"
        table.add_row(
            name,
            status,
            amount(sf.points_of(a)),
            amount(sf.standing_of(a)),  # points plus a founder's genesis standing (which earns nothing)
            _fmt(model.claimed_by[(a, ETH)]),
            _fmt(sf.claimable(a, ETH)),
            _fmt(model.claimed_by[(a, r.token)]),
            _fmt(sf.claimable(a, r.token)),
        )
    console.print(table)
    money = Table(title="Money, per token")
    columns = ("token", "received", "claimed", "claimable", "treasury", "review pay", "undistributed", "dust (wei)")
    for column in columns:
        money.add_column(column, justify="left" if column == "token" else "right")
    for token, label in ((ETH, "ETH"), (r.token, "CWC")):
        money.add_row(
            label,
            _fmt(model.received[token]),
            _fmt(model.claimed[token]),
            _fmt(model.total_claimable(token)),
            _fmt(model.treasury[token]),
            _fmt(model.review_paid[token]),
            _fmt(model.undistributed[token]),
            str(model.dust(token)),
        )
    console.print(money)
    failures = r.failures
    if failures:
        console.print(f"[bold red]MISMATCH[/]: {len(failures)} of {len(r.checks)} checks differ:")
        for check in failures:
            console.print(f"  {check}")
    else:
        console.print(
            f"[bold green]verified[/]: {len(r.checks)} checks, every on-chain number equals the reference model "
            f"to the wei ({model.events_applied} events replayed, at block {sf.w3.eth.block_number}, "
            f"chain time {local_time(now)})"
        )


def _hosting(sf: Starfish, backend: Backend, members: dict[str, LocalAccount], host_stores: dict[str, Any],
             gateways: dict[str, Any], store: Any, customer: LocalAccount, epoch: int, workdir: Path,
             note: Any) -> None:  # fmt: skip
    """Epoch E's hosts fetch their files (from each other and the community's store), then, one
    epoch at a time, do what `starfish host serve` does each round: check each other and seal
    (E + 1), reveal (E + 2), attest (E + 4, after a whole epoch to contest), claim their share of E's
    hosting pot (E + 5)."""
    from starfish_dao.hosting import duties, sync
    from starfish_dao.ipfs.gateway import Gateway
    from starfish_dao.ipfs.local import LocalStore

    source = Gateway(store).start() if isinstance(store, LocalStore) else None
    extra = [source.url] if source is not None else [str(getattr(store, "api", ""))]
    journals = {name: grid.Journal(workdir / "hosts" / f"{name}-checks.json") for name in host_stores}
    try:
        for name, host_store in host_stores.items():
            report = sync(sf, host_store, members[name].address, extra=extra)
            note(f"{name} holds {len(report.held)} of {report.assigned} files ({report.fetched} blocks fetched, "
                 f"each checked against its CID), served at {gateways[name].url}")  # fmt: skip
    finally:
        if source is not None:
            source.stop()

    def next_epoch() -> int:
        clock = sf.charter.functions.currentClock().call()
        start = int(sf.charter.functions.currentEpochStart().call())
        backend.increase_time(start + int(clock[5]) - sf.now() + 1)
        return int(sf.charter.functions.currentEpoch().call())

    def round_() -> list[Any]:
        model = Model().apply_all(sf.logs())
        reports = [duties(sf, members[n], host_stores[n], model, journals[n]) for n in host_stores]
        backend.increase_time(1)  # a block is mined (a seed's block, for the next round)
        return reports

    next_epoch()
    for _ in range(3):  # rounds: one chooses epoch E's seed block, the next fixes it, the next checks
        reports = round_()
    for name, report in zip(host_stores, reports, strict=True):
        for s in report.sealed:
            other = next(n for n, m in members.items() if m.address == s["host"])
            note(f"{name} checked {other} for epoch {epoch}: {s['passes']}/{s['challenges']} "
                 f"(8 block walks and a whole-file challenge), sealed; evidence {s['evidence']}")  # fmt: skip
    next_epoch()
    revealed = sum(len(r.revealed) for r in round_())
    next_epoch()  # a whole epoch in which a host wrongly failed may contest (`starfish host contest`)
    round_()
    next_epoch()
    attested = [a for r in round_() for a in r.attested]
    note(f"{revealed} results revealed, then {len(attested)} hosts attested: "
         + ", ".join(f"{next(n for n, m in members.items() if m.address == a['host'])} {a['units']} units"
                     for a in attested))  # fmt: skip
    next_epoch()
    for name, report in zip(host_stores, round_(), strict=True):
        paid = ", ".join(f"{amount(c['amount'])} {'ETH' if c['token'] == ETH else 'CWC'}" for c in report.claimed)
        note(f"{name} is paid {paid or 'nothing'} for hosting in epoch {epoch}")
