"""Anyone checks everything: `status` (tables) and `verify` (code, wiring, state, money, work, governance)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from starfish_dao.cli.common import (
    DeplOpt,
    IpfsOpt,
    JsonOpt,
    RpcOpt,
    WeiOpt,
    client,
    console,
    duration,
    emit,
    err,
    fail,
    key_names,
    money,
    token_units,
    who,
)  # fmt: skip
from starfish_dao.domain.units import amount


def register(app: typer.Typer) -> None:
    app.command()(status)
    app.command()(verify)


def status(
    rpc: RpcOpt = None,
    deployments: DeplOpt = None,
    ipfs_api: IpfsOpt = None,
    wei: WeiOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Members, points, claims, contributions and money, every number checked against the reference model."""
    from starfish_dao.domain.unixfs import CID
    from starfish_dao.ipfs import open_store
    from starfish_dao.verify.state import compare, replay

    sf = client(rpc, deployments)
    model = replay(sf)
    checks = compare(sf, model)
    now = sf.now()
    tokens = model.all_tokens()
    store = open_store(ipfs_api)
    bad = [check for check in checks if not check.ok]

    def artifact(raw: bytes) -> tuple[str, str]:
        try:
            cid = CID.from_bytes(raw)
        except ValueError:
            return "0x" + raw.hex(), "not a CID"
        return str(cid), store.status(cid)

    data: dict[str, Any] = {
        "members": [
            {
                "address": a,
                "member": bool(model.members.get(a) and model.members[a].token_id),
                "suspended": bool(model.members.get(a) and model.members[a].suspended),
                "points": model.points_of(a, now),
                "standing": model.standing_of(a, now),
                "claimable": {t: model.claimable(a, t) for t in tokens},
            }
            for a in model.accounts_seen()
        ],
        "contributions": [
            {
                "id": c.id,
                "author": c.author,
                "effort": c.effort,
                "status": c.status,
                "cid": artifact(c.cid)[0],
                "artifact": artifact(c.cid)[1],
                "reviews": len(c.reviews),
                "weight": c.weight,
                "quorumWeight": c.quorum_weight,
                "reviewDeadline": c.deadline,
                "points": c.points,
            }
            for c in model.contributions.values()
        ],
        "money": {
            t: {
                "received": model.received[t],
                "claimed": model.claimed[t],
                "treasury": model.treasury[t],
                "undistributed": model.undistributed[t],
                "dust": model.dust(t),
            }
            for t in tokens
        },
        "verified": not bad,
        "checks": len(checks),
    }
    names = key_names()
    data["names"] = {a: names[a] for a in model.accounts_seen() if a in names}
    units = {t: token_units(sf.w3, t) for t in tokens}  # each token's symbol and decimals, read once

    def human() -> None:
        from rich.table import Table

        members = Table(title="Members")
        named = bool(names)  # a name column when this machine holds keys of the community
        for column in (*(["name"] if named else []), "address", "status", "points",
                       *(f"claimable {units[t][0]}" for t in tokens)):  # fmt: skip
            members.add_column(column, no_wrap=column in ("name", "address"))
        for m in data["members"]:
            state = "member" if m["member"] else "former/none"
            if m["suspended"]:
                state += " (suspended)"
            cells = [money(m["claimable"][t], units[t][0], wei, units[t][1]) for t in tokens]
            name = [names.get(m["address"], "")] if named else []
            members.add_row(*name, m["address"], state, amount(m["points"]), *cells)
        console.print(members)
        genesis = [(names.get(m["address"]) or m["address"], m["standing"] - m["points"]) for m in data["members"]
                   if m["standing"] > m["points"]]  # fmt: skip
        if genesis:
            console.print("genesis standing (weighs reviews and votes, earns nothing): "
                          + ", ".join(f"{who} {amount(g)}" for who, g in genesis))  # fmt: skip
        contributions = Table(title="Contributions")
        for column in ("id", "author", "min", "status", "reviews", "standing / quorum", "points", "artifact"):
            contributions.add_column(column, no_wrap=column == "author")
        for c in model.contributions.values():
            state = c.status
            if c.status == "pending":
                left = c.deadline - now
                state = f"open, {duration(left)} left" if left >= 0 else "closed: finalize it"
            cid, ok = artifact(c.cid)
            standing = f"{amount(c.weight)} / {amount(c.quorum_weight)}"
            author = who(c.author, names)
            row = [str(c.id), author, str(c.effort), state, str(len(c.reviews)), standing, amount(c.points)]
            contributions.add_row(*row, f"{cid} ({ok})")
        console.print(contributions)
        table = Table(title="Money")
        for column in ("token", "received", "claimed", "treasury", "undistributed", "dust (wei)"):
            table.add_column(column)
        for t, row in data["money"].items():
            s, places = units[t]
            amounts = [money(row[k], s, wei, places) for k in ("received", "claimed", "treasury", "undistributed")]
            table.add_row(s, *amounts, str(row["dust"]))
        console.print(table)
        if bad:
            for check in bad:
                err.print(str(check))
        else:
            console.print(f"[green]verified[/]: {len(checks)} checks equal the reference model")

    emit(data, as_json, human)
    if bad:
        fail(f"{len(bad)} of {len(checks)} checks differ from the reference model")


def _hosting_checks(sf: Any, model: Any) -> list[Any]:
    """Every eligible host of the last ended epoch, challenged as its committee challenges it: a
    host passes with at least 90 % of its challenges (what hosting pay will ask)."""
    from starfish_dao import hosting
    from starfish_dao.domain.grid import PASS_MIN
    from starfish_dao.verify.state import Check

    if "grid" not in sf.contracts:
        return [Check("grid", "hosting checked", "no grid in this deployment", "no grid in this deployment", "hosting")]
    from starfish_dao.chain.payback import paybacks

    checks = []
    for p in paybacks(sf, model):  # relays paid back: never more than their basis, recomputed now
        note = f"stated basis {p.stated} wei, recomputed {p.recomputed} wei, paid {p.paid} wei"
        checks.append(Check(f"proposal {p.proposal:x}"[:17], f"pays relay {p.relay} back at most its basis in epoch "
                            f"{p.epoch}", p.ok, True, "payback", note))  # fmt: skip
    # every attestation's `held` against the bytes of the files recomputed here (their roots from
    # this machine's store or any host): checkers who agree on more than a host was given (to
    # inflate its pay) are named
    from starfish_dao.ipfs.local import LocalStore

    store = LocalStore()
    for (attested_epoch, host), t in sorted(model.grid.tallies.items()):
        if not t.attested:
            continue
        assignment = model.grid.assignment(model, attested_epoch)
        held = hosting.held_bytes(store, model, assignment, host) if assignment is not None else 0
        what = f"epoch {attested_epoch}'s attestation names the bytes it was assigned"
        if held is None:
            missing = "a file's root block could not be had from this machine's store or any host"
            checks.append(Check(host, what, "not recomputed", "not recomputed", "hosting", missing))
            continue
        note = f"attested {t.held} bytes at {t.passes}/10 ({t.units} units); the assignment gives {held}"
        checks.append(Check(host, what, t.held == held, True, "hosting", note))
    epoch = int(sf.charter.functions.currentEpoch().call()) - 1
    results, why = hosting.check(sf, epoch, model=model)
    if why:
        return [*checks, Check(f"epoch {epoch}", "hosting checked", "not yet", "not yet", "hosting", why)]
    for r in results:
        failed = [p for p in r.probes if not p.ok]
        note = f"{len(failed)} failed, first: {failed[0].file}: {failed[0].reason}" if failed else ""
        checks.append(Check(r.host, f"passes at least 90 % of epoch {epoch}'s challenges",
                            r.passes >= PASS_MIN, True, "hosting", note))  # fmt: skip
    return checks


def verify(
    rpc: RpcOpt = None,
    deployments: DeplOpt = None,
    manifest: Annotated[Path | None, typer.Option(help="a deployment manifest file to check against")] = None,
    splitter: Annotated[str | None, typer.Option(help="no manifest: start from the splitter's address")] = None,
    ipfs_api: IpfsOpt = None,
    local_ipfs: Annotated[bool, typer.Option("--local-ipfs", help="check work against the embedded store")] = False,
    as_json: JsonOpt = False,
    html: Annotated[Path | None, typer.Option("--html", help="also write a self-contained HTML report")] = None,
    chunk: Annotated[int, typer.Option(help="blocks per eth_getLogs request")] = 5000,
    hosting: Annotated[
        bool, typer.Option("--hosting", help="also re-run the last ended epoch's checks of every host")
    ] = False,
) -> None:
    """Re-derive every number from the chain (and IPFS): code, wiring, state, money, work, governance,
    the grid; with --hosting, every host's challenges of the last ended epoch, re-run from its seed."""
    from starfish_dao.chain.client import Starfish
    from starfish_dao.chain.deployment import Deployment
    from starfish_dao.cli.common import address, chain
    from starfish_dao.ipfs import ArtifactStore, open_store
    from starfish_dao.verify.discover import discover
    from starfish_dao.verify.report import print_summary, to_html, to_json
    from starfish_dao.verify.report import verify as run_verify

    splitter = address(splitter, "--splitter") if splitter else None  # the one rule, before any chain is reached
    backend = chain(rpc)
    w3 = backend.w3
    if splitter:
        deployment = discover(w3, splitter)
    elif manifest:
        try:
            deployment = Deployment.from_json(json.loads(manifest.read_text()))
        except (OSError, json.JSONDecodeError) as exc:
            fail(f"cannot read the manifest {manifest}: {exc}")
    else:
        deployment = Deployment.load(int(w3.eth.chain_id), deployments)
    store: ArtifactStore | None = None
    if ipfs_api or local_ipfs:
        store = open_store(None if local_ipfs else ipfs_api)
    sf = Starfish(w3, deployment)
    report = run_verify(sf, store, err, chunk)
    if hosting:
        report.checks += _hosting_checks(sf, report.model)
    if html:
        html.write_text(to_html(report), encoding="utf-8")
    if as_json:
        print(to_json(report))
    else:
        print_summary(report, console)
        if store is None:
            console.print("work on IPFS not checked: pass --ipfs-api ADDR or --local-ipfs")
        if html:
            console.print(f"HTML report: {html}")
    raise typer.Exit(0 if report.ok else 1)
