"""`starfish host serve`: hold what the chain assigns to this member, and serve it.

Each round: recompute this epoch's assignment from the chain (`domain/grid.py`), fetch every block
of every assigned file that the embedded store lacks (from the file's other holders first, then
from any registered host, then from gateways the member named), verify each block against its CID,
and pin the file. A file nobody could supply is reported by name, with what each source said; it is
fetched again next round. The embedded store's trustless gateway (`ipfs/gateway.py`) serves it all.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import requests
from eth_account.signers.local import LocalAccount

from starfish_dao.chain import grid
from starfish_dao.chain.client import Starfish
from starfish_dao.domain.grid import services_of, source_of
from starfish_dao.domain.model import Model
from starfish_dao.domain.unixfs import CID, DAG_PB, parse_dag_pb
from starfish_dao.ipfs.gateway import FetchError, fetch_block
from starfish_dao.ipfs.local import LocalStore


@dataclass
class SyncReport:
    epoch: int
    assigned: int = 0  # files this host holds this epoch
    fetched: int = 0  # blocks fetched this round
    held: list[str] = field(default_factory=list)  # files complete and pinned
    missing: dict[str, str] = field(default_factory=dict)  # file -> why it could not be completed
    why_not: str | None = None  # why nothing is assigned (no seed yet, not eligible)


def complete(store: LocalStore, root: CID, sources: Iterable[str], session: requests.Session | None = None,
             timeout: float = 10.0) -> int:  # fmt: skip
    """Fetches every block under `root` the store lacks, each verified, from the first source that
    has it; returns how many were fetched. FetchError names a block no source gave, and why."""
    sources = list(dict.fromkeys(sources))
    fetched = 0
    stack = [root]
    while stack:
        cid = stack.pop()
        if store.has(cid):
            block = store.get_block(cid)
        else:
            reasons = []
            for source in sources:
                try:
                    block = fetch_block(source, cid, timeout, session).block
                    break
                except FetchError as exc:
                    reasons.append(str(exc))
            else:
                raise FetchError(f"block {cid}: " + ("; ".join(reasons) or "no source to ask"))
            store.put_block(cid, block)
            fetched += 1
        if cid.codec == DAG_PB:
            links, _ = parse_dag_pb(block)
            stack.extend(reversed(links))
    return fetched


def sync(sf: Starfish, store: LocalStore, host: str, extra: Iterable[str] = (), model: Model | None = None,
         progress: Callable[[str], None] | None = None) -> SyncReport:  # fmt: skip
    """One round: this epoch's files for `host`, completed from other hosts and `extra` gateways."""
    model = model or Model().apply_all(sf.logs())
    epoch, assignment = grid.assignment(sf, None, model)
    report = SyncReport(epoch)
    if assignment is None:
        report.why_not = f"epoch {epoch - 1}'s seed is not fixed yet (`starfish host seed`)"
        return report
    if host not in assignment.hosts:
        report.why_not = assignment.ineligible.get(host, "not a registered host")
        return report
    mine = assignment.of(host)
    report.assigned = len(mine)
    everyone = [g for h, rec in sorted(model.grid.hosts.items()) if h != host and (g := source_of(rec.endpoint))]
    with requests.Session() as session:
        for raw in mine:
            root = CID.from_bytes(raw)
            holders = [source_of(model.grid.hosts[h].endpoint) for h in assignment.files[raw] if h != host]
            sources = [g for g in holders if g] + everyone + list(extra)
            try:
                report.fetched += complete(store, root, sources, session)
            except FetchError as exc:
                report.missing[str(root)] = str(exc)
                if progress:
                    progress(f"{root}: missing ({exc})")
                continue
            store.pin(root)
            report.held.append(str(root))
            if progress:
                progress(f"{root}: held")
    return report


# ----------------------------------------------------------------- checking a host


@dataclass
class Probe:
    """One challenge: the file, the blocks walked, and whether every one came back right in time."""

    file: str
    blocks: list[str]
    ok: bool
    reason: str  # "" when ok
    ttfb_ms: int  # the slowest first byte on the walk
    weight: int = 1  # what passing it counts (the whole-file challenge: `WHOLE_WEIGHT`)


@dataclass
class ServiceProbe:
    """A member's relay or page, asked once: up (an answer of 200 within the ceiling) or why not."""

    kind: str  # "relay" or "page"
    url: str
    ok: bool
    ttfb_ms: int
    reason: str = ""

    def as_json(self) -> dict[str, object]:
        return {"kind": self.kind, "url": self.url, "ok": self.ok, "ttfbMs": self.ttfb_ms, "reason": self.reason}


def probe_service(kind: str, url: str, ceiling_ms: int, session: requests.Session | None = None) -> ServiceProbe:
    """Asks a member's relay (`GET {url}/v1/info`, a JSON answer) or page (`GET {url}`) whether it is
    up, and how soon its first byte came. Health only: it does not count in a host's passes."""
    target = f"{url.rstrip('/')}/v1/info" if kind == "relay" else url
    http = session or requests
    started = time.monotonic()
    try:
        with http.get(target, timeout=max(ceiling_ms / 1000 * 5, 5.0), stream=True) as answer:
            first = next(answer.iter_content(4096), b"")
            ms = int((time.monotonic() - started) * 1000)
            if answer.status_code != 200:
                return ServiceProbe(kind, url, False, ms, f"answered {answer.status_code}")
            if kind == "relay" and not first.lstrip().startswith(b"{"):
                return ServiceProbe(kind, url, False, ms, "answered, but not a relay's JSON")
    except requests.RequestException as exc:
        return ServiceProbe(kind, url, False, 0, f"unreachable ({type(exc).__name__})")
    if ms > ceiling_ms:
        return ServiceProbe(kind, url, False, ms, f"first byte after {ms} ms (the ceiling is {ceiling_ms} ms)")
    return ServiceProbe(kind, url, True, ms)


@dataclass
class HostCheck:
    host: str
    gateway: str | None
    probes: list[Probe]
    services: list[ServiceProbe] = field(default_factory=list)  # the member's relay and page, if declared

    @property
    def passes(self) -> int:
        """Out of `CHALLENGES`: a walk counts one, the whole-file challenge `WHOLE_WEIGHT`."""
        return sum(p.weight for p in self.probes if p.ok)

    @property
    def rate(self) -> float:
        total = sum(p.weight for p in self.probes)
        return self.passes / total if total else 0.0


def probe(gateway: str, file: bytes, path_seed: bytes, ceiling_ms: int, session: requests.Session | None = None,
          max_depth: int = 8) -> Probe:  # fmt: skip
    """Walks one challenge on `gateway`: root to leaf, every block fetched and checked against its
    CID, each first byte within `ceiling_ms`."""
    from starfish_dao.domain.grid import link_choice

    root = CID.from_bytes(file)
    cid, walked, slowest = root, [], 0
    for level in range(max_depth):
        walked.append(str(cid))
        try:
            fetched = fetch_block(gateway, cid, timeout=max(ceiling_ms / 1000 * 5, 5.0), session=session)
        except FetchError as exc:
            return Probe(str(root), walked, False, str(exc), slowest)
        slowest = max(slowest, int(fetched.ttfb * 1000))
        if fetched.ttfb * 1000 > ceiling_ms:
            return Probe(str(root), walked, False, f"first byte of {cid} after {fetched.ttfb * 1000:.0f} ms "
                         f"(the ceiling is {ceiling_ms} ms)", slowest)  # fmt: skip
        if cid.codec != DAG_PB:
            break
        links, _ = parse_dag_pb(fetched.block)
        if not links:
            break
        cid = links[link_choice(path_seed, level, len(links))]
    return Probe(str(root), walked, True, "", slowest)


def probe_whole(gateway: str, host: str, file: bytes, nonce: bytes, expected: str | None, ceiling_ms: int,
                session: requests.Session | None = None) -> Probe:  # fmt: skip
    """The whole-file challenge: asks `gateway` for sha256(nonce ‖ host ‖ the file's bytes), the
    nonce picked by the checker just now, and compares it with `expected` (from the checker's own
    copy; None when it could get none: then the host is not blamed, the challenge passes unasked).
    The answer must come within `ceiling_ms`: a host that only proxies has to fetch the whole file
    in that time."""
    from starfish_dao.domain.grid import WHOLE_WEIGHT

    root = str(CID.from_bytes(file))
    if expected is None:
        return Probe(root, [], True, "", 0, WHOLE_WEIGHT)
    if gateway.startswith("/"):  # an IPFS node's RPC API: the whole file within the ceiling, hashed here
        return _whole_from_node(gateway, host, root, nonce, expected, ceiling_ms)
    url = f"{gateway.rstrip('/')}/starfish/whole/{root}?nonce={nonce.hex()}&host={host}"
    http = session or requests
    started = time.monotonic()
    try:
        answer = http.get(url, timeout=max(ceiling_ms / 1000 * 5, 5.0))
    except requests.RequestException as exc:
        return Probe(root, [], False, f"whole-file challenge: {gateway} unreachable ({type(exc).__name__})", 0,
                     WHOLE_WEIGHT)  # fmt: skip
    ms = int((time.monotonic() - started) * 1000)
    if answer.status_code != 200:
        said = answer.text.strip()[:200]
        return Probe(root, [], False, f"whole-file challenge answered {answer.status_code}: {said}", ms, WHOLE_WEIGHT)
    if ms > ceiling_ms:
        return Probe(root, [], False, f"whole-file challenge answered after {ms} ms (the ceiling is {ceiling_ms} ms)",
                     ms, WHOLE_WEIGHT)  # fmt: skip
    if answer.text.strip() != expected:
        return Probe(root, [], False, "whole-file challenge: a wrong answer (not the file's bytes)", ms, WHOLE_WEIGHT)
    return Probe(root, [], True, "", ms, WHOLE_WEIGHT)


def _whole_from_node(api: str, host: str, root: str, nonce: bytes, expected: str, ceiling_ms: int) -> Probe:
    """The whole-file challenge of a host that is an IPFS node (it cannot hash a nonce): the whole
    file, fetched with `cat` within the ceiling, hashed by the checker. Weaker than a Starfish
    gateway's answer: a node that fetches files on demand from the network passes it."""
    from starfish_dao.domain.errors import IPFSError
    from starfish_dao.domain.grid import WHOLE_WEIGHT
    from starfish_dao.ipfs.gateway import whole_answer
    from starfish_dao.ipfs.kubo import KuboStore

    started = time.monotonic()
    try:
        data = KuboStore(api, max(ceiling_ms / 1000 * 5, 5.0)).cat(CID.parse(root))
    except IPFSError as exc:
        return Probe(root, [], False, f"whole-file challenge: the node at {api}: {exc}", 0, WHOLE_WEIGHT)
    ms = int((time.monotonic() - started) * 1000)
    if ms > ceiling_ms:
        return Probe(root, [], False, f"whole-file challenge: the whole file after {ms} ms (the ceiling is "
                     f"{ceiling_ms} ms)", ms, WHOLE_WEIGHT)  # fmt: skip
    if whole_answer(nonce, host, [data]) != expected:
        return Probe(root, [], False, "whole-file challenge: the node's file is not the file's bytes", ms, WHOLE_WEIGHT)
    return Probe(root, [], True, "", ms, WHOLE_WEIGHT)


def check(
    sf: Starfish,
    epoch: int,
    hosts: Iterable[str] | None = None,
    checker: str | None = None,
    model: Model | None = None,
    store: LocalStore | None = None,
) -> tuple[list[HostCheck], str | None]:
    """The checks of `epoch` (ended, its seed fixed): of `hosts` (default every eligible host), or
    of those on whose committee `checker` sits. Each is `WALKS` block walks and one whole-file
    challenge, whose file the checker completes in `store` (default: its own) from the file's
    holders to know the answer. Returns (results, why none could run)."""
    from starfish_dao.domain.charter import Parameter
    from starfish_dao.domain.grid import challenges, committee, start_of, whole_file

    model = model or Model().apply_all(sf.logs())
    assignment = model.grid.assignment(model, epoch)
    if assignment is None:
        return [], f"epoch {epoch - 1}'s seed is not fixed: epoch {epoch} had no assignment"
    fixed = model.grid.seeds.get(epoch)
    if fixed is None:
        return [], f"epoch {epoch}'s seed is not fixed yet (`starfish host seed --epoch {epoch}` once it has ended)"
    seed = fixed.seed
    targets = list(assignment.hosts if hosts is None else hosts)
    if checker is not None:
        targets = [h for h in targets if checker in committee(assignment, fixed, h)]
    ceiling = model.grid.parameter(model, Parameter.TTFB_CEILING_MS, start_of(model, epoch))
    results = []
    with requests.Session() as session:
        for host in targets:
            record = model.grid.hosts.get(host)
            gateway = source_of(record.endpoint) if record else None
            probes = []
            for file, path_seed in challenges(assignment, seed, host):
                if gateway is None:
                    probes.append(Probe(str(CID.from_bytes(file)), [], False, "no gateway registered", 0))
                else:
                    probes.append(probe(gateway, file, path_seed, ceiling, session))
            whole = whole_file(assignment, seed, host)
            if whole is not None:
                if gateway is None:
                    probes.append(Probe(str(CID.from_bytes(whole)), [], False, "no gateway registered", 0, 2))
                else:
                    nonce = secrets.token_bytes(32)
                    expected = _expected_whole(store, model, assignment, whole, host, nonce, session)
                    probes.append(probe_whole(gateway, host, whole, nonce, expected, ceiling, session))
            services = [probe_service(kind, url, ceiling, session)
                        for kind, url in (services_of(record.endpoint) if record else {}).items()]  # fmt: skip
            results.append(HostCheck(host, gateway, probes, services))
    return results, None


def held_bytes(store: LocalStore, model: Model, assignment: Any, host: str,
               session: requests.Session | None = None) -> int | None:  # fmt: skip
    """The bytes of the files `host` was to hold (what its hosting units count, times its passes):
    each file's size read from its root block (in `store`, else fetched from the file's holders or
    any host, verified against its CID). None when some root could not be had."""
    from starfish_dao.domain.unixfs import file_size

    total = 0
    for raw in assignment.of(host):
        root = CID.from_bytes(raw)
        if not store.has(root):
            sources = [source_of(model.grid.hosts[h].endpoint) for h in assignment.files.get(raw, [])
                       if h in model.grid.hosts]  # fmt: skip
            sources += [source_of(r.endpoint) for _, r in sorted(model.grid.hosts.items())]
            for source in dict.fromkeys(s for s in sources if s):
                try:
                    store.put_block(root, fetch_block(source, root, session=session).block)
                    break
                except FetchError:
                    continue
            else:
                return None
        total += file_size(root, store.get_block(root))
    return total


def _expected_whole(store: LocalStore | None, model: Model, assignment: Any, file: bytes, host: str, nonce: bytes,
                    session: requests.Session) -> str | None:  # fmt: skip
    """sha256(nonce ‖ host ‖ file) from the checker's own copy, completed from the file's other
    holders (never from the host checked); None when nobody else could supply it."""
    from starfish_dao.ipfs.gateway import whole_answer

    store = store or LocalStore()
    root = CID.from_bytes(file)
    others = [source_of(model.grid.hosts[h].endpoint) for h in assignment.files.get(file, []) if h != host
              and h in model.grid.hosts]  # fmt: skip
    everyone = [source_of(r.endpoint) for h, r in sorted(model.grid.hosts.items()) if h != host]
    try:
        complete(store, root, [g for g in others + everyone if g], session)
        return whole_answer(nonce, host, store.cat_iter(root))
    except (FetchError, KeyError, ValueError):
        return None


# ----------------------------------------------------------------- committee duties and pay


@dataclass
class DutyReport:
    """One round of a host's duties: what it sealed, revealed, attested and claimed."""

    epoch: int
    sealed: list[dict[str, object]] = field(default_factory=list)  # {epoch, host, passes, held, evidence, failures}
    revealed: list[dict[str, object]] = field(default_factory=list)
    attested: list[dict[str, object]] = field(default_factory=list)
    claimed: list[dict[str, object]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {"epoch": self.epoch, "sealed": self.sealed, "revealed": self.revealed, "attested": self.attested,
                "claimed": self.claimed, "errors": self.errors}  # fmt: skip


def evidence_of(epoch: int, checker: str, result: HostCheck) -> bytes:
    """The evidence of one check, as JSON: every challenge's file, the blocks walked, the outcome
    and the slowest first byte. Pinned by the checker; its CID is revealed with the result."""
    import json

    probes = [{"file": p.file, "blocks": p.blocks, "ok": p.ok, "reason": p.reason, "ttfbMs": p.ttfb_ms,
               "weight": p.weight} for p in result.probes]  # fmt: skip
    doc = {"epoch": epoch, "host": result.host, "checker": checker, "gateway": result.gateway, "probes": probes,
           "services": [s.as_json() for s in result.services]}  # fmt: skip
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


class Sender:
    """How a host's duties reach the chain."""

    def fix_seed(self, epoch: int) -> None:
        raise NotImplementedError

    def seal(self, result: grid.CheckResult) -> None:
        raise NotImplementedError

    def reveal(self, result: grid.CheckResult) -> None:
        raise NotImplementedError

    def attest(self, epoch: int, host: str) -> int:
        raise NotImplementedError

    def claim(self, host: str, epoch: int, token: str) -> int:
        raise NotImplementedError


class DirectSender(Sender):
    """Transactions from the host's own key (it pays the gas)."""

    def __init__(self, sf: Starfish, account: LocalAccount) -> None:
        self.sf, self.account = sf, account

    def fix_seed(self, epoch: int) -> None:
        grid.fix_seed(self.sf, self.account, epoch, wait=0)

    def seal(self, result: grid.CheckResult) -> None:
        grid.seal_check(self.sf, self.account, result)

    def reveal(self, result: grid.CheckResult) -> None:
        grid.reveal_check(self.sf, self.account, self.account, result)

    def attest(self, epoch: int, host: str) -> int:
        return grid.attest(self.sf, self.account, epoch, host)

    def claim(self, host: str, epoch: int, token: str) -> int:
        return grid.claim_hosting_pay(self.sf, self.account, host, epoch, token)


class RelaySender(Sender):
    """The same duties carried by relays: the seal signed (`SealCheck`), the rest unsigned; the host
    needs no ETH. Seeds are the relay's keeper's to fix. A relay's refusal naming a contract error
    is raised as that error, so a duty refused is reported the same way either way."""

    def __init__(self, sf: Starfish, account: LocalAccount, urls: list[str]) -> None:
        from starfish_dao.relay.client import RelayClient

        self.sf, self.account, self.client = sf, account, RelayClient(urls)

    def _submit(self, body: dict[str, object]) -> dict[str, object]:
        from starfish_dao.domain.errors import ContractRevert
        from starfish_dao.relay.client import RelayError

        try:
            state = self.client.submit(body)
        except RelayError as exc:
            args = exc.body.get("args")
            raise ContractRevert(str(exc.body.get("contractError") or ""), args if isinstance(args, dict) else {},
                                 raw=str(exc.body.get("detail") or exc)) from None  # fmt: skip
        if state.get("status") != "mined":
            raise ContractRevert("", {}, raw=f"the relay's transaction failed: {state.get('error')}")
        return state

    def _events(self, state: dict[str, object], event: str) -> list[Any]:
        from web3.logs import DISCARD

        tx = state.get("txHash")
        if not tx:
            return []
        receipt = self.sf.w3.eth.get_transaction_receipt(str(tx))  # type: ignore[arg-type]
        return list(getattr(self.sf.grid.events, event)().process_receipt(receipt, errors=DISCARD))

    def fix_seed(self, epoch: int) -> None:
        return None  # the relay's keeper fixes every ended epoch's seed (KEEPER_FIX_SEEDS)

    def seal(self, result: grid.CheckResult) -> None:
        sealed = result.seal(self.account.address, result.salt(bytes(self.account.key), self.sf.grid.address))
        body = self.client.signed_body(self.account, "SealCheck", epoch=result.epoch, host=result.host,
                                       sealed="0x" + sealed.hex())  # fmt: skip
        self._submit(body)

    def reveal(self, result: grid.CheckResult) -> None:
        salt = result.salt(bytes(self.account.key), self.sf.grid.address)
        self._submit({"action": "RevealCheck", "epoch": result.epoch, "host": result.host,
                      "checker": self.account.address, "held": result.held, "passes": result.passes,
                      "evidence": "0x" + result.evidence.hex(), "failed": ["0x" + f.hex() for f in result.failed],
                      "salt": "0x" + salt.hex()})  # fmt: skip

    def attest(self, epoch: int, host: str) -> int:
        events = self._events(self._submit({"action": "Attest", "epoch": epoch, "host": host}), "HostAttested")
        return int(events[0]["args"]["units"]) if events else 0

    def claim(self, host: str, epoch: int, token: str) -> int:
        body = {"action": "ClaimHostingPay", "epoch": epoch, "host": host, "token": token}
        events = self._events(self._submit(body), "HostingPayClaimed")
        return int(events[0]["args"]["amount"]) if events else 0


def duties(
    sf: Starfish,
    account: LocalAccount,
    store: LocalStore,
    model: Model,
    journal: grid.Journal | None = None,
    progress: Callable[[str], None] | None = None,
    sender: Sender | None = None,
) -> DutyReport:
    """A host's duties for this round, each step at most once per epoch and safe to repeat:

    0. **fix the seed** of the epoch that just ended, when nobody has (two calls, a block apart);
    1. **seal** its checks of the epoch that just ended (E = current - 1, once E's seed is fixed), of
       each host whose committee it sits on, the evidence pinned in `store` (served by its gateway);
    2. **reveal** what it sealed for E = current - 2 (the results are kept in `journal`);
    3. **attest** every host of E = current - 4 whose checkers agree (anyone may; racing is harmless);
    4. **claim** its own hosting pay of every epoch whose pay is open.

    A step the contract refuses is reported in a sentence and tried again next round. Each is a
    transaction from the host's key (`DirectSender`), or carried by relays (`RelaySender`: no ETH)."""
    from starfish_dao.domain.errors import ContractRevert
    from starfish_dao.domain.grid import CHALLENGES

    who = account.address
    send = sender or DirectSender(sf, account)
    current = int(sf.charter.functions.currentEpoch().call())
    report = DutyReport(current)
    journal = journal or grid.Journal.for_grid(int(sf.w3.eth.chain_id), sf.grid.address)
    kept = [r for r in journal.load() if r.epoch >= current - 2]  # older ones can no longer be revealed
    say = progress or (lambda _: None)

    def attempt(what: str, send: Callable[[], object]) -> bool:
        try:
            send()
            return True
        except ContractRevert as exc:
            report.errors.append(f"{what}: refused by the grid: {exc}")
            say(report.errors[-1])
            return False

    # 0. the seed of the epoch that ended, if nobody fixed it yet (the relay's keeper does the same):
    # its first call chooses a block, a later round (once that block is mined) fixes it
    ended = current - 1
    if ended >= 0 and ended not in model.grid.seeds and model.grid.hosts:
        try:
            send.fix_seed(ended)
        except ContractRevert as exc:
            if exc.name != "GridSeedPending":  # another epoch's block waits: fixed first, by whoever
                report.errors.append(f"fixing epoch {ended}'s seed: refused by the grid: {exc}")
    # 1. seal
    done = {(r.epoch, r.host) for r in kept}
    assignment = model.grid.assignment(model, ended) if ended >= 1 else None
    if assignment is not None:
        todo = [h for h in assignment.hosts if (ended, h) not in done]  # a host checked once per epoch
        results, _ = check(sf, ended, hosts=todo, checker=who, model=model, store=store) if todo else ([], None)
        for r in results:
            held = held_bytes(store, model, assignment, r.host)
            if held is None:
                report.errors.append(f"sealing the check of {r.host} for epoch {ended}: the size of a file "
                                     "it holds could not be learned (no host gave its root block)")  # fmt: skip
                continue
            cid = store.add_bytes(evidence_of(ended, who, r))
            failed = tuple(CID.parse(p.blocks[-1]).digest for p in r.probes if not p.ok and p.weight == 1 and p.blocks)
            result = grid.CheckResult(ended, r.host, held, r.passes, cid.bytes, failed)
            if not attempt(f"sealing the check of {r.host} for epoch {ended}", partial(send.seal, result)):
                continue
            kept.append(result)
            journal.save(kept)
            failures = [p.reason for p in r.probes if not p.ok]
            report.sealed.append({"epoch": ended, "host": r.host, "held": result.held, "passes": r.passes,
                                  "challenges": CHALLENGES, "evidence": str(cid), "failures": failures,
                                  "services": [s.as_json() for s in r.services]})  # fmt: skip
            say(f"sealed the check of {r.host} for epoch {ended}: {r.passes}/{CHALLENGES} passed")
    # 2. reveal
    for result in [r for r in kept if r.epoch == current - 2]:
        stored = bytes(sf.grid.functions.sealOf(result.epoch, result.host, who).call())
        if stored != result.seal(who, result.salt(bytes(account.key), sf.grid.address)):
            continue  # revealed already (or never sealed)
        what = f"revealing the check of {result.host} for epoch {result.epoch}"
        if attempt(what, partial(send.reveal, result)):
            report.revealed.append({"epoch": result.epoch, "host": result.host, "passes": result.passes})
            say(f"revealed the check of {result.host} for epoch {result.epoch}")
    # 3. attest
    for epoch, host in model.grid.attestable(model, sf.now()):
        try:
            units = send.attest(epoch, host)
        except ContractRevert as exc:
            if exc.name != "GridNoAttestation":  # attested by someone else meanwhile: no error
                report.errors.append(f"attesting {host} for epoch {epoch}: refused by the grid: {exc}")
            continue
        report.attested.append({"epoch": epoch, "host": host, "units": units})
        say(f"attested {host} for epoch {epoch}: {units} units")
    # 4. claim
    for _, epoch, token, _ in model.hosting_pay_due(sf.now(), host=who):
        try:
            amount = send.claim(who, epoch, token)
        except ContractRevert as exc:
            if exc.name != "GridNoHostingPay":  # claimed meanwhile (another round, or anyone for us)
                report.errors.append(f"claiming hosting pay of epoch {epoch}: refused by the grid: {exc}")
            continue
        report.claimed.append({"epoch": epoch, "token": token, "amount": amount})
        say(f"claimed {amount} of {token} for hosting in epoch {epoch}")
    return report


@dataclass(frozen=True)
class Contestable:
    """A revealed fail of this host that it can overturn: it holds every block the checker named."""

    epoch: int
    checker: str
    held: int
    passes: int
    failed: list[bytes]
    blocks: list[bytes]


def contestable(sf: Starfish, model: Model, store: LocalStore, host: str) -> list[Contestable]:
    """The fails revealed against `host` that it could overturn now (in `epoch + 2` or `epoch + 3`,
    before attestation): each named block found in `store` (as raw or dag-pb). Contesting is the
    host's own call (`starfish host contest`): it costs about 40 gas a byte of every block, and
    proves that the host holds the blocks now, which is what a false fail denies."""
    from starfish_dao.domain.unixfs import RAW

    current = model.epoch_at(sf.now())
    out = []
    for epoch in (current - 2, current - 3):
        t = model.grid.tallies.get((epoch, host))
        if t is None or t.attested:
            continue
        for r in model.grid.reveals.get((epoch, host), []):
            if not r.failed or r.contested:
                continue
            blocks = [_block_by_digest(store, d, (RAW, DAG_PB)) for d in r.failed]
            if all(b is not None for b in blocks):
                out.append(Contestable(epoch, r.checker, r.held, r.passes, list(r.failed), [b for b in blocks if b]))
    return out


def _block_by_digest(store: LocalStore, digest: bytes, codecs: tuple[int, ...]) -> bytes | None:
    for codec in codecs:
        cid = CID(1, codec, digest)
        if store.has(cid):
            return store.get_block(cid)
    return None
