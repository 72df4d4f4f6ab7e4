"""`starfish host`: offer your machine to host the community's files, and see what it holds."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from starfish_dao.cli.common import (
    DeplOpt,
    JsonOpt,
    KeyOpt,
    RelayOpt,
    RpcOpt,
    address,
    client,
    console,
    emit,
    fail,
    load_key,
)

host_app = typer.Typer(
    help="Hosting the community's files on members' machines: register, status, the epoch's seed.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(host_app, name="host")


@host_app.command("register")
def register_host(
    gateway: Annotated[str, typer.Option("--gateway", help="your IPFS trustless gateway, e.g. https://host.example")],
    multiaddr: Annotated[str | None, typer.Option("--multiaddr", help="your IPFS node's multiaddr (optional)")] = None,
    relay_url: Annotated[
        str | None, typer.Option("--relay-url", help="a relay you run for the community (probed by your checkers)")
    ] = None,
    page_url: Annotated[
        str | None, typer.Option("--page-url", help="a page you serve for the community (probed by your checkers)")
    ] = None,
    rpc: RpcOpt = None,
    key_file: KeyOpt = None,
    deployments: DeplOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Offer to host: members with standing (points as the epoch began) register an endpoint; your
    files are assigned from the next epoch on. Again with a new --gateway: change the endpoint."""
    from starfish_dao.chain import grid
    from starfish_dao.domain.grid import endpoint_problem

    services = [f"relay={relay_url}" if relay_url else None, f"page={page_url}" if page_url else None]
    endpoint = " ".join(part for part in (gateway, multiaddr, *services) if part)
    problem = endpoint_problem(endpoint)
    if problem is not None:
        fail(f"the endpoint {problem}", "give --gateway http(s)://... and optionally --multiaddr /ip4/.../tcp/...")
    account = load_key(key_file)
    sf = client(rpc, deployments)
    receipt = grid.register(sf, account, endpoint)
    said = f"registered {account.address} at {endpoint}: files come from the next epoch on"
    emit({"host": account.address, "endpoint": endpoint, "tx": receipt["transactionHash"]}, as_json,
         lambda: console.print(said))  # fmt: skip


@host_app.command("unregister")
def unregister_host(
    rpc: RpcOpt = None, key_file: KeyOpt = None, deployments: DeplOpt = None, as_json: JsonOpt = False
) -> None:
    """Stop hosting (your files go to other hosts from the next epoch)."""
    from starfish_dao.chain import grid

    account = load_key(key_file)
    receipt = grid.unregister(client(rpc, deployments), account)
    emit({"host": account.address, "tx": receipt["transactionHash"]}, as_json,
         lambda: console.print(f"{account.address} no longer hosts"))  # fmt: skip


@host_app.command("seed")
def seed(
    epoch: Annotated[int | None, typer.Option("--epoch", help="the epoch (default: the one that just ended)")] = None,
    wait: Annotated[float, typer.Option("--wait", help="seconds to wait for the seed's block")] = 60.0,
    rpc: RpcOpt = None,
    key_file: KeyOpt = None,
    deployments: DeplOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Fix an ended epoch's seed from a block hash nobody knew (two transactions, anyone may send them);
    the next epoch's assignment follows from it."""
    from starfish_dao.chain import grid

    account = load_key(key_file)
    sf = client(rpc, deployments)
    current = int(sf.charter.functions.currentEpoch().call())
    target = current - 1 if epoch is None else epoch
    if target < 0 or target >= current:
        fail(f"epoch {target} has not ended (the current epoch is {current})", "a seed is fixed after its epoch ends")
    state = grid.fix_seed(sf, account, target, wait)
    data = {"epoch": target, "seedBlock": state.seed_block, "seed": str(state.seed), "fixed": state.fixed}

    def human() -> None:
        if state.fixed:
            console.print(f"epoch {target}'s seed: {state.seed} (block {state.seed_block}'s hash)")
        else:
            console.print(f"epoch {target}'s seed comes from block {state.seed_block}: run this again once it is mined")

    emit(data, as_json, human)


@host_app.command("status")
def status(
    member: Annotated[str | None, typer.Option("--member", help="whose hosting (default: your key's)")] = None,
    epoch: Annotated[int | None, typer.Option("--epoch", help="the epoch (default: the current one)")] = None,
    rpc: RpcOpt = None,
    key_file: KeyOpt = None,
    deployments: DeplOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A host's endpoint, whether it counts this epoch (and why not), the files assigned to it, and
    its record: each epoch's checks (revealed, attested, passes) and hosting pay (claimed or due),
    recomputed from the chain."""
    from starfish_dao.chain import grid
    from starfish_dao.domain.grid import CHALLENGES
    from starfish_dao.domain.model import Model
    from starfish_dao.domain.unixfs import cid_text

    who = address(member, "the member") if member else load_key(key_file).address
    sf = client(rpc, deployments)
    model = Model().apply_all(sf.logs())
    target, assignment = grid.assignment(sf, epoch, model)
    record = model.grid.hosts.get(who)
    data: dict[str, Any] = {
        "host": who,
        "registered": record is not None,
        "endpoint": record.endpoint.decode(errors="replace") if record else None,
        "epoch": target,
        "seedFixed": assignment is not None,
        "eligible": assignment is not None and who in assignment.hosts,
        "reason": assignment.ineligible.get(who) if assignment else None,
        "hosts": len(assignment.hosts) if assignment else None,
        "replicas": assignment.replicas if assignment else None,
        "files": [cid_text(c, "0x" + c.hex()) for c in assignment.of(who)] if assignment else [],
        "checks": [
            {"epoch": e, "revealed": t.revealed, "agreeing": t.votes, "held": t.held, "passes": t.passes,
             "attested": t.attested, "units": t.units,
             "failedBy": [r.checker for r in model.grid.reveals.get((e, who), []) if r.passes < CHALLENGES]}
            for (e, h), t in sorted(model.grid.tallies.items()) if h == who
        ],
        "paid": [{"epoch": e, "token": tok, "amount": str(a)}
                 for (e, h, tok), a in sorted(model.hosting_claims.items()) if h == who],
        "due": [{"epoch": e, "token": tok, "amount": str(a)} for _, e, tok, a in model.hosting_pay_due(sf.now(), who)],
    }  # fmt: skip

    def human() -> None:
        if record is None:
            console.print(f"{who} is not a host (`starfish host register --gateway URL` to offer)")
            return
        console.print(f"{who} hosts at {data['endpoint']}")
        if assignment is None:
            console.print(
                f"epoch {target}: not assigned yet (epoch {target - 1}'s seed is not fixed: `starfish host seed`)"
            )
            return
        if not data["eligible"]:
            console.print(f"epoch {target}: does not count: {data['reason']}")
            return
        console.print(f"epoch {target}: one of {data['hosts']} hosts; holds {len(data['files'])} files "
                      f"(each file on {data['replicas']} hosts)")  # fmt: skip
        for cid in data["files"]:
            console.print(f"  {cid}")
        for c in data["checks"]:
            state = f"attested: {c['units']} units" if c["attested"] else "not attested yet"
            console.print(f"epoch {c['epoch']} checks: {c['agreeing']} of {c['revealed']} checkers agree on "
                          f"{c['passes']}/{CHALLENGES} passes of {c['held']} bytes held; {state}")  # fmt: skip
            for checker in c["failedBy"]:
                console.print(f"  {checker} found failures (its evidence CID is in its CheckRevealed event)")
        for p in data["paid"]:
            console.print(f"paid {p['amount']} of {p['token']} for epoch {p['epoch']}")
        for p in data["due"]:
            console.print(f"due {p['amount']} of {p['token']} for epoch {p['epoch']} (`host serve` claims it)")

    emit(data, as_json, human)


@host_app.command("serve")
def serve(
    port: Annotated[int, typer.Option("--port", help="the gateway's port (the one you registered)")] = 8080,
    bind: Annotated[str, typer.Option("--bind", help="the address to listen on")] = "127.0.0.1",
    sources: Annotated[
        list[str] | None, typer.Option("--from", help="another gateway to fetch from (repeatable), e.g. an IPFS node's")
    ] = None,
    interval: Annotated[float, typer.Option("--interval", help="seconds between rounds")] = 60.0,
    once: Annotated[bool, typer.Option("--once", help="one round, without serving: fetch and pin, then exit")] = False,
    relay: RelayOpt = None,
    rpc: RpcOpt = None,
    key_file: KeyOpt = None,
    deployments: DeplOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Hold and serve what the chain assigns you: each round fetches (from other hosts, verified
    against each CID) and pins every file assigned to you this epoch, and a trustless gateway serves
    them at /ipfs/{cid}?format=raw. Each round it also does your committee's duties: it checks the
    hosts you are drawn to check for the epoch that just ended (once its seed is fixed) and seals
    the results (the evidence pinned and served here), reveals the results sealed the epoch before,
    attests every host whose checkers agree, and claims your hosting pay. Each of these is a
    transaction from your key (it needs a little ETH for gas), or, with --relay URL, carried by the
    relay (no ETH; the relay's keeper fixes the seeds). Ctrl-C stops it."""
    import time

    from starfish_dao.domain.model import Model
    from starfish_dao.hosting import RelaySender, duties, sync
    from starfish_dao.ipfs.gateway import Gateway
    from starfish_dao.ipfs.local import LocalStore

    account = load_key(key_file)
    who = account.address
    sf = client(rpc, deployments)
    sender = RelaySender(sf, account, relay) if relay else None  # else: transactions from this key
    store = LocalStore()
    gateway = None if once else Gateway(store, port, bind, owner=who).start()
    if gateway is not None and not as_json:
        console.print(f"serving {gateway.url}/ipfs/{{cid}}?format=raw from {store.root}")
    try:
        # the chain's events read once, then only the new blocks each round (a rolled-back chain:
        # read again from the deployment)
        model, seen = Model(), sf.deployment.deploy_block - 1
        while True:
            head = int(sf.w3.eth.block_number)
            if head < seen:
                model, seen = Model(), sf.deployment.deploy_block - 1
            if head > seen:
                model.apply_all(sf.logs(seen + 1, head))
                seen = head
            report = sync(sf, store, who, sources or (), model=model,
                          progress=None if as_json else console.print)  # fmt: skip
            data = {"epoch": report.epoch, "assigned": report.assigned, "held": report.held,
                    "missing": report.missing, "fetched": report.fetched, "notAssigned": report.why_not}  # fmt: skip
            if model.grid.hosts:  # the committee's duties and this host's pay (each step only when due)
                duty = duties(sf, account, store, model, progress=None if as_json else console.print, sender=sender)
                data["duties"] = duty.as_json()

            def human(report: Any = report) -> None:
                if report.why_not:
                    console.print(f"epoch {report.epoch}: nothing to hold: {report.why_not}")
                else:
                    console.print(f"epoch {report.epoch}: {len(report.held)} of {report.assigned} files held "
                                  f"({report.fetched} blocks fetched), {len(report.missing)} missing")  # fmt: skip

            emit(data, as_json, human)
            if once:
                if report.missing:
                    raise typer.Exit(1)
                return
            time.sleep(interval)
    finally:
        if gateway is not None:
            gateway.stop()


@host_app.command("contest")
def contest(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="list what could be contested, send nothing")] = False,
    rpc: RpcOpt = None,
    key_file: KeyOpt = None,
    deployments: DeplOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Overturn a false fail: for each revealed check of yours that failed blocks you hold (during the
    epoch of the reveal or the next one, before your result is attested), send those blocks to
    the grid, which checks each against the digest the checker named; that checker's result then
    counts one more pass per block. Costs about 40 gas per byte of every block: for a false fail."""
    from starfish_dao.chain import grid
    from starfish_dao.domain.model import Model
    from starfish_dao.hosting import contestable
    from starfish_dao.ipfs.local import LocalStore

    account = load_key(key_file)
    sf = client(rpc, deployments)
    model = Model().apply_all(sf.logs())
    found = contestable(sf, model, LocalStore(), account.address)
    done = []
    for c in found:
        passes = c.passes
        if not dry_run:
            passes = grid.contest(sf, account, c.epoch, account.address, c.checker, c.held, c.passes, c.failed,
                                  c.blocks)  # fmt: skip
        done.append({"epoch": c.epoch, "checker": c.checker, "revealed": c.passes, "passes": passes,
                     "blocks": len(c.blocks), "bytes": sum(len(b) for b in c.blocks), "sent": not dry_run})  # fmt: skip

    def human() -> None:
        if not done:
            console.print("nothing to contest: no revealed fail of yours names blocks you hold, in an open window")
        for d in done:
            verb = "overturned" if d["sent"] else "could overturn"
            console.print(f"epoch {d['epoch']}: {verb} {d['checker']}'s {d['revealed']} passes -> {d['passes']} "
                          f"({d['blocks']} blocks, {d['bytes']} bytes)")  # fmt: skip

    emit({"contested": done}, as_json, human)


@host_app.command("check")
def check(
    epoch: Annotated[int | None, typer.Option("--epoch", help="the epoch checked (default: the last ended)")] = None,
    everyone: Annotated[
        bool, typer.Option("--all", help="check every host, not only those you are drawn to check")
    ] = False,
    member: Annotated[str | None, typer.Option("--member", help="check this host only")] = None,
    rpc: RpcOpt = None,
    key_file: KeyOpt = None,
    deployments: DeplOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check hosts of an ended epoch as its committee does: from that epoch's seed, 8 walks per host,
    each from a file's root to a leaf on the host's gateway, every block checked against its CID
    and its first byte within the charter's ttfbCeilingMs, and one whole-file challenge (worth 2)
    with a nonce picked now. Passes are out of 10. Every failure is shown with its reason."""
    from starfish_dao import hosting
    from starfish_dao.domain.grid import CHALLENGES

    sf = client(rpc, deployments)
    target = int(sf.charter.functions.currentEpoch().call()) - 1 if epoch is None else epoch
    hosts = [address(member, "the host")] if member else None
    checker = None if everyone or member else load_key(key_file).address
    results, why = hosting.check(sf, target, hosts, checker)
    data = {
        "epoch": target,
        "notChecked": why,
        "hosts": [
            {"host": r.host, "gateway": r.gateway, "passes": r.passes, "challenges": CHALLENGES,
             "failures": [{"file": p.file, "reason": p.reason} for p in r.probes if not p.ok],
             "slowestMs": max((p.ttfb_ms for p in r.probes), default=0),
             "services": [s.as_json() for s in r.services]}
            for r in results
        ],
    }  # fmt: skip

    def human() -> None:
        if why:
            console.print(f"epoch {target}: nothing to check: {why}")
            return
        if not results:
            console.print(f"epoch {target}: you are on no host's committee (`--all` checks every host)")
        for r in results:
            console.print(f"{r.host} ({r.gateway}): {r.passes}/{CHALLENGES} challenges passed")
            for p in r.probes:
                if not p.ok:
                    console.print(f"  failed {p.file}: {p.reason}")
            for s in r.services:
                said = f"up, first byte in {s.ttfb_ms} ms" if s.ok else f"down: {s.reason}"
                console.print(f"  its {s.kind} at {s.url}: {said}")

    emit(data, as_json, human)
