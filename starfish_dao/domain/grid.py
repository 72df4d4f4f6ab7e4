"""The grid as the chain tells it, and who holds which file: one function for everyone.

The `Grid` contract keeps only the hosts and each epoch's seed. Everything else is computed here,
from events anyone can read, by the CLI (`starfish host`), `starfish verify`, the relay and the
model alike:

- **the files the community depends on**, in the order it came to depend on them: each accepted
  contribution's CID, each revealed review's comment, and every charter document;
- **who may host in epoch E**: a registered host that, as E began, was registered, an active member
  (not left, not suspended), and held at least `hostMinStanding` points (its settled standing:
  `PayoutSplitter.pointsAt(host, start of E)`, never 0), the parameter as it stood then;
- **who holds each file in epoch E**: the `hostReplicas` eligible hosts ranked highest by
  `keccak256(cid ‖ host ‖ seed)`, rendezvous hashing with the seed of epoch E - 1 (fixed by
  `Grid.fixSeed` from a block hash after E - 1 ended, so nobody knew it when they registered).
  A host leaving moves only its own files; one member cannot pick which files its addresses rank
  first for.

**Checks and pay** (on-chain since the eighth session): a host's checkers for epoch E (`seated`
with E's seed) seal their results during E + 1, reveal them during E + 2; the result a strict
majority revealed (after any contest, during E + 2 or E + 3) is attested during E + 4, its units
`held * passes` (none below `PASS_MIN` of `CHALLENGES`), and each host claims `pot * units / the
epoch's units` from E + 5 on. `GridState`
replays all of it and flags any event that disagrees with these rules.

Nothing here is trusted: each number is recomputed from the chain by whoever asks.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starfish_dao.domain.charter import Parameter
from starfish_dao.domain.fastabi import keccak

if TYPE_CHECKING:
    from starfish_dao.domain.model import Model

#: `Grid.MAX_ENDPOINT_BYTES`
MAX_ENDPOINT_BYTES = 256
#: a check's passes out of `CHALLENGES` (`Grid.CHALLENGES`): `WALKS` block walks, one each, and one
#: whole-file challenge worth `WHOLE_WEIGHT` (failing it alone leaves 8: unpaid, so proxying never
#: pays); the passes a paid host needs (`Grid.PASS_MIN`: 90 %, one walk may fail); checkers per host
#: (c, `Grid.COMMITTEE`)
WALKS = 8
WHOLE_WEIGHT = 2
CHALLENGES = WALKS + WHOLE_WEIGHT
PASS_MIN = 9
COMMITTEE = 3
_HOST_PARAMETERS = (Parameter.HOST_REPLICAS, Parameter.HOST_MIN_STANDING, Parameter.TTFB_CEILING_MS)
#: the events `GridState.observe` reads (the model passes it only these)
GRID_EVENTS = frozenset({
    "membership.Joined", "membership.Left", "membership.Suspended", "membership.Reinstated",
    "charter.ParameterChanged", "charter.DocumentChanged", "registry.Finalized", "registry.Reviewed",
    "grid.HostRegistered", "grid.HostUnregistered", "grid.SeedScheduled", "grid.SeedFixed",
    "grid.CheckSealed", "grid.CheckRevealed", "grid.CheckContested", "grid.HostAttested",
})  # fmt: skip


def rank(cid: bytes, host: str, seed: int) -> bytes:
    """A host's rank for a file under a seed (higher holds it): keccak256(cid ‖ host's 20 bytes ‖
    seed as 8 big-endian bytes)."""
    return keccak(bytes(cid) + bytes.fromhex(host[2:]) + seed.to_bytes(8, "big"))


def assign(files: Iterable[bytes], hosts: Iterable[str], seed: int, replicas: int) -> dict[bytes, list[str]]:
    """Each file's holders: the `replicas` hosts ranked highest for it under `seed`, best first
    (every host when there are fewer)."""
    pool = sorted(set(hosts))
    return {cid: sorted(pool, key=lambda h: rank(cid, h, seed), reverse=True)[:replicas] for cid in files}


def endpoint_problem(endpoint: str) -> str | None:
    """Why `endpoint` cannot be registered (None when it can): non-empty, at most 256 bytes of
    UTF-8, each space-separated part an http(s) gateway URL, a multiaddr, or a service the member
    runs for the community, `relay=URL` or `page=URL` (probed by its checkers, shown on the page)."""
    raw = endpoint.encode()
    if not raw or len(raw) > MAX_ENDPOINT_BYTES:
        return f"must be 1 to {MAX_ENDPOINT_BYTES} bytes (got {len(raw)})"
    for part in endpoint.split():
        url = part.split("=", 1)[1] if part.startswith(SERVICES) else part
        if not (url.startswith(("http://", "https://")) and len(url) > len("https://")) and not part.startswith("/"):
            return (f"{part!r} is neither an http(s) gateway URL, a multiaddr (/ip4/.../tcp/...), nor "
                    "relay=URL or page=URL")  # fmt: skip
    return None


#: the services a member may declare beside its gateway: a relay (`/v1/info` is asked) and a page
SERVICES = ("relay=", "page=")


def services_of(endpoint: bytes | str) -> dict[str, str]:
    """The services an endpoint declares: {"relay": url, "page": url} (each at most once: the first)."""
    text = endpoint.decode(errors="replace") if isinstance(endpoint, bytes | bytearray) else endpoint
    out: dict[str, str] = {}
    for part in text.split():
        if part.startswith(SERVICES):
            kind, url = part.split("=", 1)
            out.setdefault(kind, url.rstrip("/"))
    return out


def gateway_of(endpoint: bytes | str) -> str | None:
    """The gateway URL an endpoint names (its first http(s) part), without a trailing slash."""
    text = endpoint.decode(errors="replace") if isinstance(endpoint, bytes | bytearray) else endpoint
    for part in text.split():
        if part.startswith(("http://", "https://")):
            return part.rstrip("/")
    return None


def source_of(endpoint: bytes | str) -> str | None:
    """Where a host is asked for blocks: its gateway URL, or else its IPFS node's RPC multiaddr
    (`/ip4/.../tcp/5001/http`, asked with `block/get`); None when it names neither."""
    gateway = gateway_of(endpoint)
    if gateway is not None:
        return gateway
    text = endpoint.decode(errors="replace") if isinstance(endpoint, bytes | bytearray) else endpoint
    return next((part for part in text.split() if part.startswith("/") and part.endswith("/http")), None)


@dataclass
class Host:
    endpoint: bytes
    since: int


@dataclass(frozen=True)
class Seed:
    """An epoch's seed: the block whose hash gave it, the seed, and the hosts registered when that
    block was chosen (the committees' divisor)."""

    block: int
    seed: int
    hosts: int


@dataclass
class Assignment:
    """Who holds what in one epoch."""

    epoch: int
    seed: int  # the seed of the epoch before
    replicas: int
    hosts: list[str]  # eligible, sorted
    ineligible: dict[str, str]  # registered host -> why it does not count this epoch
    files: dict[bytes, list[str]]  # cid -> holders, best ranked first

    def of(self, host: str) -> list[bytes]:
        """The files `host` holds this epoch, in the order the community came to depend on them."""
        return [cid for cid, holders in self.files.items() if host in holders]


@dataclass
class Tally:
    """`IGrid.Tally`: the checks of one host in one epoch."""

    revealed: int = 0
    votes: int = 0
    held: int = 0
    passes: int = 0
    attested: bool = False
    units: int = 0


@dataclass
class Reveal:
    checker: str
    held: int
    passes: int
    evidence: bytes
    failed: tuple[bytes, ...] = ()  # digests of the blocks its failed walks stopped at
    contested: bool = False  # the host proved them: `passes` is what the proof counts


def units_of(held: int, passes: int) -> int:
    """`Grid.attest`'s units: the bytes held times the passes, none below `PASS_MIN`."""
    return held * passes if passes >= PASS_MIN else 0


@dataclass
class GridState:
    """What the model derives for the grid, fed every event by `observe`."""

    hosts: dict[str, Host] = field(default_factory=dict)  # registered now
    registered: dict[str, list[tuple[int, bool]]] = field(default_factory=dict)  # host -> (time, registered)
    active: dict[str, list[tuple[int, bool]]] = field(default_factory=dict)  # member -> (time, active)
    params: dict[Parameter, list[tuple[int, int]]] = field(default_factory=dict)  # (since, value)
    seeds: dict[int, Seed] = field(default_factory=dict)  # epoch -> its seed, once fixed
    pending: tuple[int, int, int] = (2**64 - 1, 0, 0)  # `Grid.pendingSeed`: (epoch, its block, hosts then)
    files: dict[bytes, int] = field(default_factory=dict)  # cid -> when the community came to depend on it
    seals: dict[tuple[int, str, str], bytes] = field(default_factory=dict)  # (epoch, host, checker) -> seal
    votes: dict[tuple[int, str, int, int], int] = field(default_factory=dict)  # (epoch, host, held, passes)
    tallies: dict[tuple[int, str], Tally] = field(default_factory=dict)  # (epoch, host)
    reveals: dict[tuple[int, str], list[Reveal]] = field(default_factory=dict)
    units: dict[int, int] = field(default_factory=dict)  # epoch -> attested units

    def observe(self, model: Model, name: str, a: Mapping[str, Any]) -> None:
        """Called by `Model.apply` after its own handler, with the model already updated."""
        now = model.now
        if name in ("membership.Joined", "membership.Left"):
            self._active(model, str(a["member"]), now)
        elif name in ("membership.Suspended", "membership.Reinstated"):
            self._active(model, str(a["account"]), now)
        elif name == "charter.ParameterChanged" and int(a["parameter"]) in _HOST_PARAMETERS:
            self.params.setdefault(Parameter(int(a["parameter"])), []).append((now, int(a["newValue"])))
        elif name == "charter.DocumentChanged":
            self.files.setdefault(bytes(a["cid"]), now)
        elif name == "registry.Finalized" and a["accepted"]:
            self.files.setdefault(model.contributions[int(a["id"])].cid, now)
        elif name == "registry.Reviewed" and bytes(a["commentCid"]):
            self.files.setdefault(bytes(a["commentCid"]), now)
        elif name == "grid.HostRegistered":
            host = str(a["host"])
            before = self.hosts.get(host)
            # a new endpoint keeps `since`, as `Grid` does
            self.hosts[host] = Host(bytes(a["endpoint"]), before.since if before else now)
            if before is None:
                self.registered.setdefault(host, []).append((now, True))
        elif name == "grid.HostUnregistered":
            host = str(a["host"])
            if self.hosts.pop(host, None) is None:
                model.discrepancies.append(f"grid: {host} unregistered without being a host")
            self.registered.setdefault(host, []).append((now, False))
        elif name == "grid.SeedScheduled":
            self.pending = (int(a["epoch"]), int(a["seedBlock"]), int(a["hosts"]))
        elif name == "grid.SeedFixed":
            epoch, block = int(a["epoch"]), int(a["seedBlock"])
            if self.pending != (epoch, block, int(a["hosts"])):
                model.discrepancies.append(f"grid: epoch {epoch}'s seed came from block {block}; "
                                           f"the block chosen was {self.pending}")  # fmt: skip
            if model.block <= block:
                model.discrepancies.append(f"grid: epoch {epoch}'s seed fixed in block {model.block}, "
                                           f"not after its block {block}")  # fmt: skip
            self.seeds[epoch] = Seed(block, int(a["seed"]), int(a["hosts"]))
        elif name == "grid.CheckSealed":
            self._on_sealed(model, int(a["epoch"]), str(a["host"]), str(a["checker"]), bytes(a["sealed_"]))
        elif name == "grid.CheckRevealed":
            self._on_revealed(model, a)
        elif name == "grid.CheckContested":
            self._on_contested(model, a)
        elif name == "grid.HostAttested":
            self._on_attested(model, a)

    def _window(self, model: Model, what: str, epoch: int, step: int) -> None:
        current = model.epoch_at(model.now)
        if current != epoch + step:
            model.discrepancies.append(f"grid: {what} for epoch {epoch} in epoch {current}, not {epoch + step}")

    def _on_sealed(self, model: Model, epoch: int, host: str, checker: str, sealed: bytes) -> None:
        what = f"{checker}'s seal of {host}"
        self._window(model, what, epoch, 1)
        seed = self.seeds.get(epoch)
        if seed is None or not seated(seed.seed, seed.hosts, host, checker):
            model.discrepancies.append(f"grid: {what} for epoch {epoch}: not on its committee")
        start = start_of(model, epoch)
        for who in (host, checker):
            record = self.hosts.get(who)
            if record is None or record.since >= start:
                model.discrepancies.append(f"grid: {what} for epoch {epoch}: {who} was not a host as it began")
        self.seals[(epoch, host, checker)] = sealed

    def _on_revealed(self, model: Model, a: Mapping[str, Any]) -> None:
        epoch, host, checker = int(a["epoch"]), str(a["host"]), str(a["checker"])
        held, passes = int(a["held"]), int(a["passes"])
        what = f"{checker}'s reveal of {host}"
        self._window(model, what, epoch, 2)
        if self.seals.pop((epoch, host, checker), None) is None:
            model.discrepancies.append(f"grid: {what} for epoch {epoch}: nothing sealed")
        key = (epoch, host, held, passes)
        votes = self.votes[key] = self.votes.get(key, 0) + 1
        t = self.tallies.setdefault((epoch, host), Tally())
        t.revealed += 1
        if votes > t.votes:
            t.votes, t.held, t.passes = votes, held, passes
        failed = tuple(bytes(f) for f in a["failed"])
        self.reveals.setdefault((epoch, host), []).append(Reveal(checker, held, passes, bytes(a["evidence"]), failed))

    def _on_contested(self, model: Model, a: Mapping[str, Any]) -> None:
        epoch, host, checker, passes = int(a["epoch"]), str(a["host"]), str(a["checker"]), int(a["passes"])
        what = f"grid: {host}'s contest of {checker}'s check for epoch {epoch}"
        t = self.tallies.get((epoch, host), Tally())
        current = model.epoch_at(model.now)
        if current not in (epoch + 2, epoch + 3) or t.attested:
            model.discrepancies.append(f"{what}: in epoch {current}")
        reveal = next((r for r in self.reveals.get((epoch, host), []) if r.checker == checker), None)
        if reveal is None or not reveal.failed:
            model.discrepancies.append(f"{what}: nothing revealed to contest")
            return
        proven = min(reveal.passes + len(reveal.failed), CHALLENGES)
        if passes != proven:
            model.discrepancies.append(f"{what}: event says {passes} passes, model derives {proven}")
        old = (epoch, host, reveal.held, reveal.passes)
        self.votes[old] -= 1
        if (t.held, t.passes) == (reveal.held, reveal.passes):
            t.votes = self.votes[old]
        key = (epoch, host, reveal.held, proven)
        votes = self.votes[key] = self.votes.get(key, 0) + 1
        if votes > t.votes:
            t.votes, t.held, t.passes = votes, reveal.held, proven
        reveal.passes, reveal.failed, reveal.contested = proven, (), True

    def _on_attested(self, model: Model, a: Mapping[str, Any]) -> None:
        epoch, host = int(a["epoch"]), str(a["host"])
        what = f"grid: {host}'s attestation for epoch {epoch}"
        self._window(model, what, epoch, 4)
        t = self.tallies.get((epoch, host), Tally())
        seed = self.seeds.get(epoch)
        needed = 2 if seed is not None and seed.hosts > 2 else 1
        if t.attested or t.votes < needed or t.votes * 2 <= t.revealed:
            model.discrepancies.append(f"{what}: no majority ({t.votes} of {t.revealed} revealed)")
        units = units_of(t.held, t.passes)
        stated = (int(a["held"]), int(a["passes"]), int(a["units"]))
        if stated != (t.held, t.passes, units):
            model.discrepancies.append(f"{what}: event says {stated}, model derives {(t.held, t.passes, units)}")
        t.attested, t.units = True, units
        self.units[epoch] = self.units.get(epoch, 0) + units

    def attestable(self, model: Model, now: int) -> list[tuple[int, str]]:
        """(epoch, host) of every result `Grid.attest` would record at time `now`."""
        epoch = model.epoch_at(now) - 4
        out = []
        for (e, host), t in sorted(self.tallies.items()):
            seed = self.seeds.get(e)
            needed = 2 if seed is not None and seed.hosts > 2 else 1
            if e == epoch and not t.attested and t.votes >= needed and t.votes * 2 > t.revealed:
                out.append((e, host))
        return out

    def _active(self, model: Model, member: str, now: int) -> None:
        m = model.members.get(member)
        self.active.setdefault(member, []).append((now, m is not None and m.active))

    # ----------------------------------------------------------------- answers

    @staticmethod
    def _before(log: list[tuple[int, Any]], time: int, default: Any) -> Any:
        """The value a (time, value) log held at the start of second `time` (set strictly before it)."""
        index = bisect.bisect_left(log, time, key=lambda entry: entry[0]) - 1
        return log[index][1] if index >= 0 else default

    def parameter(self, model: Model, parameter: Parameter, time: int) -> int:
        """A host parameter as it stood at the start of second `time`."""
        return int(self._before(self.params.get(parameter, []), time, model.params.value(parameter)))

    def eligibility(self, model: Model, epoch: int) -> tuple[list[str], dict[str, str]]:
        """(the hosts that count in `epoch`, sorted; every other registered host -> why not)."""
        start = start_of(model, epoch)
        required = self.parameter(model, Parameter.HOST_MIN_STANDING, start)
        hosts, why = [], {}
        for host in sorted(self.registered):
            if not self._before(self.registered[host], start, False):
                if host in self.hosts:
                    why[host] = "registered after this epoch began: it counts from the next epoch on"
                continue
            if not self._before(self.active.get(host, []), start, False):
                why[host] = "not an active member as the epoch began (left or suspended)"
                continue
            points = model.points_at(host, start)  # as `Grid` reads it: `pointsAt(host, epoch start)`
            if points == 0 or points < required:
                why[host] = f"held {points} points as the epoch began; hosting needs {max(required, 1)}"
                continue
            hosts.append(host)
        return hosts, why

    def files_for(self, model: Model, epoch: int) -> list[bytes]:
        """The files the community depended on as `epoch` began."""
        start = start_of(model, epoch)
        return [cid for cid, since in self.files.items() if since < start]

    def assignment(self, model: Model, epoch: int) -> Assignment | None:
        """Who holds what in `epoch`, or None while the seed of the epoch before is not fixed."""
        if epoch < 1:
            return None
        fixed = self.seeds.get(epoch - 1)
        if fixed is None:
            return None
        seed = fixed.seed
        hosts, why = self.eligibility(model, epoch)
        replicas = self.parameter(model, Parameter.HOST_REPLICAS, start_of(model, epoch))
        files = assign(self.files_for(model, epoch), hosts, seed, replicas)
        return Assignment(epoch, seed, replicas, hosts, why, files)


def start_of(model: Model, epoch: int) -> int:
    """When `epoch` began (or begins), by the charter's clock as the model knows it."""
    clock = model.clock_at(0)
    for entry in model.clocks:  # the last clock in force when `epoch` began
        if entry.epoch_base <= epoch:
            clock = entry
    return clock.epoch_start + (epoch - clock.epoch_base) * clock.epoch_length


# ----------------------------------------------------------------- challenges and committees


def _seed8(seed: int) -> bytes:
    return seed.to_bytes(8, "big")


def seated(seed: int, hosts: int, host: str, checker: str, size: int = COMMITTEE) -> bool:
    """Whether `checker` sits on `host`'s committee: keccak256(seed ‖ host ‖ checker) mod N < `size`,
    N the hosts registered when the seed's block was chosen (so each other host sits with chance
    size / N, and everyone else sits when N <= size). O(1) to check on-chain, as panels are."""
    if checker == host:
        return False
    draw = int.from_bytes(keccak(_seed8(seed) + bytes.fromhex(host[2:]) + bytes.fromhex(checker[2:])), "big")
    return draw % max(hosts, 1) < size


def committee(assignment: Assignment, seed: Seed, host: str, size: int = COMMITTEE) -> list[str]:
    """Who checks `host` for the epoch: the other hosts that counted in it and sit by `seated`, with
    the seed of the epoch being checked (fixed after it ended: nobody knew their checkers while they
    could still register or drop files)."""
    return [c for c in assignment.hosts if seated(seed.seed, seed.hosts, host, c, size)]


def whole_file(assignment: Assignment, seed: int, host: str) -> bytes | None:
    """The file of `host`'s whole-file challenge (the checker picks the nonce when it asks)."""
    files = assignment.of(host)
    if not files:
        return None
    h = keccak(b"starfish whole-file" + _seed8(seed) + bytes.fromhex(host[2:]))
    return files[int.from_bytes(h[:8], "big") % len(files)]


def challenges(assignment: Assignment, seed: int, host: str, count: int = WALKS) -> list[tuple[bytes, bytes]]:
    """`count` challenges for `host`: (a file it holds, a path seed). The checker walks from the
    file's root, at each node taking the link the path seed's next 8 bytes choose, to a leaf, and
    fetches every block on the way from the host. Drawn from the checked epoch's seed: never known
    in advance."""
    files = assignment.of(host)
    if not files:
        return []
    out = []
    for i in range(count):
        h = keccak(b"starfish challenge" + _seed8(seed) + bytes.fromhex(host[2:]) + i.to_bytes(4, "big"))
        out.append((files[int.from_bytes(h[:8], "big") % len(files)], keccak(h)))
    return out


def link_choice(path_seed: bytes, level: int, links: int) -> int:
    """Which of `links` links the challenge's walk takes at depth `level`."""
    return int.from_bytes(keccak(path_seed + level.to_bytes(4, "big"))[:8], "big") % links
