"""Governance by the members: propose from a template, vote, list proposals, queue, execute."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from starfish_dao.cli import relayed
from starfish_dao.cli.common import (
    DeplOpt,
    IpfsOpt,
    JsonOpt,
    KeyOpt,
    RelayOpt,
    RpcOpt,
    address,
    client,
    console,
    duration,
    emit,
    fail,
    key_names,
    load_key,
    match_proposal,
    short_id,
    to_wei,
    typed_units,
    who,
)  # fmt: skip
from starfish_dao.domain.units import amount, points

TEMPLATE_HELP = """\b
TEMPLATE is what to change, one of:
  set-parameter NAME VALUE     a charter parameter, in the units `starfish charter show` uses
                               ("4 days", "5 %", 2.5 points); checked against its bounds first
  set-document FILE            a new charter text (pinned to IPFS)
  suspend ADDRESS | reinstate ADDRESS
  slash ADDRESS PERCENT        cut a member's points (future pay only)
  spend eth|TOKEN AMOUNT TO    pay from the treasury (AMOUNT in ETH or whole token units)
  rescue TOKEN AMOUNT TO       move out a token that is not revenue
  list-token TOKEN | delist-token TOKEN
  governor-setting NAME VALUE  votingDelay, votingPeriod, proposalThreshold, quorumPercent
  relay-payback EPOCH RELAY CAP  pay a relay back, in ETH, what it spent carrying others' actions
                               in EPOCH (recomputed from the chain), at most CAP ETH"""


def register(app: typer.Typer) -> None:
    app.command(help="Propose a change; members vote on it.\n\n" + TEMPLATE_HELP)(propose)
    app.command()(vote)
    app.command()(payback)
    app.command()(proposals)
    app.command()(queue)
    app.command()(execute)


def _calls(sf: Any, template: str, args: list[str], ipfs_api: str | None) -> list[Any]:
    from starfish_dao.chain.governance import TEMPLATES

    if template not in TEMPLATES:
        fail(f"unknown template {template!r}", "one of: " + ", ".join(TEMPLATES))
    need = {"set-parameter": 2, "set-document": 1, "suspend": 1, "reinstate": 1, "slash": 2, "spend": 3,
            "rescue": 3, "list-token": 1, "delist-token": 1, "governor-setting": 2}[template]  # fmt: skip
    if len(args) != need:
        fail(f"{template} takes {need} argument(s), got {len(args)}: {' '.join(args)}", TEMPLATE_HELP)
    if template == "set-document":
        from starfish_dao.ipfs import open_store

        path = Path(args[0])
        if not path.is_file():
            fail(f"no such file: {path}")
        return TEMPLATES[template](open_store(ipfs_api).add_file(path).bytes)
    if template in ("spend", "rescue"):
        from starfish_dao.domain.model import ETH

        token, amount, to = args
        eth = template == "spend" and token.lower() in ("eth", "ether", "0x0", ETH)
        named = ETH if eth else address(token, "the token")
        places = 18 if named == ETH else typed_units(sf.w3, named)[1]  # the token's own decimals, never 10^18
        return TEMPLATES[template](named, to, to_wei(amount, places))
    if template in ("suspend", "reinstate", "slash", "list-token", "delist-token"):
        args = [address(args[0], "the address"), *args[1:]]
    return TEMPLATES[template](*args)


def payback(
    epoch: Annotated[int | None, typer.Option("--epoch", help="the epoch (default: the last ended)")] = None,
    rpc: RpcOpt = None,
    deployments: DeplOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """What each address spent carrying other members' actions in an epoch (relays, keepers):
    succeeded transactions only, gas x effective price, recomputed from the chain. Pay one back with
    `starfish propose relay-payback EPOCH RELAY CAP`."""
    from starfish_dao.chain.payback import basis

    sf = client(rpc, deployments)
    target = int(sf.charter.functions.currentEpoch().call()) - 1 if epoch is None else epoch
    found = sorted(basis(sf, target).values(), key=lambda b: -b.wei)
    data = {"epoch": target, "relays": [{"relay": b.relay, "transactions": b.transactions, "gas": b.gas,
                                         "wei": str(b.wei), "kinds": dict(b.kinds)} for b in found]}  # fmt: skip

    def human() -> None:
        if not found:
            console.print(f"epoch {target}: nobody carried another member's action")
        for b in found:
            kinds = ", ".join(f"{n} {k}" for k, n in sorted(b.kinds.items()))
            console.print(
                f"{b.relay}: {b.transactions} transactions, {b.gas:,} gas, {b.wei / 10**18:.6f} ETH ({kinds})"
            )

    emit(data, as_json, human)


def _payback(sf: Any, args: list[str]) -> tuple[list[Any], str]:
    """`relay-payback EPOCH RELAY CAP`: a treasury spend of the relay's basis in EPOCH (ETH), at most
    CAP; and the line its description carries (what verify recomputes)."""
    from starfish_dao.chain.governance import spend
    from starfish_dao.chain.payback import basis, description_line
    from starfish_dao.domain.model import ETH

    if len(args) != 3:
        fail(f"relay-payback takes 3 arguments (EPOCH RELAY CAP), got {len(args)}: {' '.join(args)}", TEMPLATE_HELP)
    epoch_text, relay_text, cap_text = args
    if not epoch_text.isdigit():
        fail(f"the epoch must be a whole number, got {epoch_text!r}")
    epoch, relay, cap = int(epoch_text), address(relay_text, "the relay"), to_wei(cap_text, 18, "the cap")
    current = int(sf.charter.functions.currentEpoch().call())
    if epoch >= current:
        fail(f"epoch {epoch} has not ended (the current epoch is {current}): its basis may still grow")
    found = basis(sf, epoch).get(relay)
    if found is None or found.wei == 0:
        fail(f"{relay} carried no one else's action in epoch {epoch}: nothing to pay back",
             "`starfish payback --epoch N` lists what each relay spent")  # fmt: skip
    amount = min(found.wei, cap)
    return spend(ETH, relay, amount), description_line(epoch, relay, found.wei)


def propose(
    template: Annotated[str, typer.Argument(metavar="TEMPLATE", help="see above")],
    args: Annotated[list[str] | None, typer.Argument(metavar="ARGS...", help="the template's arguments")] = None,
    title: Annotated[str, typer.Option(metavar="TEXT", help="one line that says what and why")] = "",
    description: Annotated[
        Path | None, typer.Option(metavar="FILE", help="a longer text (Markdown), pinned to IPFS")
    ] = None,
    rpc: RpcOpt = None,
    key_file: KeyOpt = None,
    deployments: DeplOpt = None,
    ipfs_api: IpfsOpt = None,
    as_json: JsonOpt = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="print only the proposal's short id (for scripts: ID=$(...))")
    ] = False,
) -> None:
    """Propose a change; members vote on it."""
    from starfish_dao.chain.governance import Governance
    from starfish_dao.ipfs import open_store

    if not title:
        fail("give the proposal a --title (one line: what and why)")
    account = load_key(key_file)
    sf = client(rpc, deployments)
    line = ""
    if template == "relay-payback":
        calls, line = _payback(sf, list(args or []))
    else:
        calls = _calls(sf, template, list(args or []), ipfs_api)
    body = title if not line else f"{title}\n\n{line}"
    if description is not None:
        if not description.is_file():
            fail(f"no such file: {description}")
        body = (
            f"# {title}\n\n{line}\n\n{description.read_text()}" if line else f"# {title}\n\n{description.read_text()}"
        )
    from starfish_dao.domain.unixfs import cid_of

    # the text anyone can fetch and check; a payback's basis in the text itself, for verify to recompute
    text = f"{title}\n\n{line + chr(10) + chr(10) if line else ''}ipfs://{cid_of(body.encode())}"
    gov = Governance(sf)
    twin = gov.proposal_id(calls, text)
    if int(gov.governor.functions.proposalSnapshot(twin).call()):
        fail(f"this is a duplicate of proposal {short_id(twin)} ({gov.state(twin).lower()}): the same changes "
             "with the same title and text", f"`starfish proposals` shows it (`starfish vote {short_id(twin)} for` "
             "to support it); to propose it again, change the --title")  # fmt: skip
    open_store(ipfs_api).add_bytes(body.encode())
    pid = gov.propose(account, calls, text)
    g = gov.governor.functions
    start, end = int(g.proposalSnapshot(pid).call()), int(g.proposalDeadline(pid).call())
    now = sf.now()
    if quiet:
        print(short_id(pid))
        return

    def human() -> None:
        from starfish_dao.verify.governance import said_calls

        targets, values, datas = gov.encode(calls)
        console.print(f"proposal {short_id(pid)}: {title}", highlight=False)
        for sentence in said_calls(sf, targets, datas, values):
            console.print(f"  -> {sentence}", highlight=False)
        console.print(f"  voting opens in {duration(start - now)} and runs {duration(end - start)}; "
                      f"`starfish vote {short_id(pid)} for`", highlight=False)  # fmt: skip

    emit({"proposal": pid, "short": short_id(pid), "voteStart": start, "voteEnd": end}, as_json, human)


def vote(
    proposal: Annotated[str, typer.Argument(help="the proposal's short id (or its full id)")],
    support: Annotated[str, typer.Argument(help="for, against or abstain")],
    reason: Annotated[str, typer.Option(metavar="TEXT", help="why (recorded on-chain)")] = "",
    rpc: RpcOpt = None,
    key_file: KeyOpt = None,
    deployments: DeplOpt = None,
    relay: RelayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Vote on a proposal with your standing at its snapshot (directly, or signed through a relay)."""
    from starfish_dao.chain.governance import SUPPORT, Governance

    if support not in SUPPORT:
        fail(f"vote for, against or abstain, not {support!r}")
    account = load_key(key_file)
    if relay:
        pid = _relayed_pid(relay, proposal)
        state = relayed.send(relay, account, "Ballot", quiet=as_json, proposalId=str(pid), support=SUPPORT[support])
        cast = relayed.mined_event(state, "governor", "VoteCast", rpc, deployments, voter=account.address)
        weight = int(cast["weight"]) if cast else None
        standing = f" with {points(weight)} of standing" if weight is not None else ""
        emit({"proposal": pid, "support": support, "weight": weight, "tx": state.get("txHash")}, as_json,
             lambda: console.print(f"voted {support} on proposal {short_id(pid)}{standing}"))  # fmt: skip
        return
    sf = client(rpc, deployments)
    pid = _pid(sf, proposal)
    weight = Governance(sf).vote(account, pid, support, reason)
    emit({"proposal": pid, "support": support, "weight": weight}, as_json,
         lambda: console.print(f"voted {support} on proposal {short_id(pid)} with {points(weight)} "
                               "of standing"))  # fmt: skip


def proposal_ids(sf: Any) -> list[int]:
    """Every proposal ever made on this DAO's governor (its ProposalCreated events)."""
    return [int(e["args"]["proposalId"]) for e in sf.logs() if e["event"] == "ProposalCreated"]


def _pid(sf: Any, text: str) -> int:
    """The proposal `text` names: a full id, or a unique start of its short id (see `match_proposal`)."""
    return match_proposal(text, proposal_ids(sf))


def _relayed_pid(relay: list[str], text: str) -> int:
    from starfish_dao.relay.client import RelayClient, RelayError

    problems = []
    for url in relay:  # the first relay that answers
        try:
            known = [int(p["id"]) for p in RelayClient(url)._json("GET", "/v1/proposals")]
        except RelayError as exc:
            problems.append(f"{url}: {relayed.explain(exc)}")
            continue
        return match_proposal(text, known)
    fail("no relay lists the proposals: " + "; ".join(problems))


def proposals(rpc: RpcOpt = None, deployments: DeplOpt = None, as_json: JsonOpt = False) -> None:
    """Every proposal: its state, votes, quorum, deadline and what each call does, decoded."""
    from starfish_dao.verify.governance import proposal_calls, said_calls
    from starfish_dao.verify.state import replay

    sf = client(rpc, deployments)
    model = replay(sf)
    now = sf.now()
    rows: list[dict[str, Any]] = []
    for pid, p in model.proposals.items():
        rows.append({
            "id": pid, "state": model.proposal_state(pid, now), "proposer": p.proposer,
            "title": p.description.split("\n")[0], "description": p.description,
            "for": p.votes[1], "against": p.votes[0], "abstain": p.votes[2],
            "quorum": model.quorum_at(p.vote_start) if p.vote_start < now else None,
            "voteStart": p.vote_start, "voteEnd": p.vote_end, "eta": p.eta or None,
            "calls": proposal_calls(sf, p.targets, p.calldatas, p.values),
            "said": said_calls(sf, p.targets, p.calldatas, p.values),
        })  # fmt: skip

    names = key_names()

    def human() -> None:
        if not rows:
            console.print("no proposals yet: `starfish propose -h`")
        for r in rows:
            console.print(f"[bold]{r['title']}[/] ({r['state']})\n  id {short_id(r['id'])}\n  "
                          f"by {who(r['proposer'], names)}")  # fmt: skip
            quorum = f" of a quorum of {amount(r['quorum'])}" if r["quorum"] is not None else ""
            console.print(f"  for {amount(r['for'])}, against {amount(r['against'])}, abstain "
                          f"{amount(r['abstain'])} points{quorum}")  # fmt: skip
            if r["state"] == "Pending":
                console.print(f"  voting opens in {duration(r['voteStart'] - now)}")
            elif r["state"] == "Active":
                console.print(f"  voting closes in {duration(r['voteEnd'] - now)}")
            elif r["state"] == "Queued":
                left = (r["eta"] or 0) - now
                console.print(
                    f"  executable in {duration(left)}" if left > 0 else "  executable now: `starfish execute`"
                )
            for said, call in zip(r["said"], r["calls"], strict=True):
                console.print(f"  -> {said}", highlight=False)
                console.print(f"     [dim]{call}[/]", highlight=False)

    emit(rows, as_json, human)


def queue(
    proposal: Annotated[str, typer.Argument(help="the proposal's short id (or its full id)")],
    rpc: RpcOpt = None, key_file: KeyOpt = None, deployments: DeplOpt = None, as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Queue a passed proposal in the timelock (anyone may)."""
    from starfish_dao.chain.governance import Governance

    account = load_key(key_file)
    sf = client(rpc, deployments)
    pid = _pid(sf, proposal)
    gov = Governance(sf)
    gov.queue(account, pid)
    eta = int(gov.governor.functions.proposalEta(pid).call())
    emit({"proposal": pid, "eta": eta}, as_json, lambda: console.print(
        f"proposal {short_id(pid)} queued; executable in {duration(eta - gov.sf.now())} "
        f"(`starfish execute {short_id(pid)}`)"))  # fmt: skip


def execute(
    proposal: Annotated[str, typer.Argument(help="the proposal's short id (or its full id)")],
    rpc: RpcOpt = None, key_file: KeyOpt = None, deployments: DeplOpt = None, as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Execute a queued proposal once the timelock's delay has run (anyone may)."""
    from starfish_dao.chain.governance import Governance
    from starfish_dao.verify.governance import proposal_calls, said_calls

    account = load_key(key_file)
    sf = client(rpc, deployments)
    pid = _pid(sf, proposal)
    gov = Governance(sf)
    created = gov.created(pid)
    gov.execute(account, pid, created)
    state = gov.state(pid).lower()
    title = str(created["description"]).split("\n")[0]
    targets, datas = list(created["targets"]), [bytes(c) for c in created["calldatas"]]
    values = [int(v) for v in created["values"]]
    calls = proposal_calls(sf, targets, datas, values)
    said = said_calls(sf, targets, datas, values)

    def human() -> None:
        ran = f"its {len(calls)} call ran" if len(calls) == 1 else f"its {len(calls)} calls ran"
        console.print(f"proposal {short_id(pid)} ({title}) is {state}: {ran}")
        for sentence, call in zip(said, calls, strict=True):
            console.print(f"  -> {sentence}", highlight=False)
            console.print(f"     [dim]{call}[/]", highlight=False)

    emit({"proposal": pid, "state": state}, as_json, human)
