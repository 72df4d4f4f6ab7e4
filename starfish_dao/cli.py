"""The `starfish` command."""

from __future__ import annotations

import json
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from starfish_dao import config, keys
from starfish_dao.domain.charter import POINT, CharterConfig, Founder, Params
from starfish_dao.domain.errors import StarfishError
from starfish_dao.domain.model import ETH

app = typer.Typer(help="Starfish DAO: a headless company paid by peer-reviewed contribution.", no_args_is_help=True)
node_app = typer.Typer(help="The managed local anvil node (state kept in the data directory).")
app.add_typer(node_app, name="node")
account_app = typer.Typer(help="Encrypted keystores.")
app.add_typer(account_app, name="account")
ipfs_app = typer.Typer(help="Artifacts: the embedded store, or a real node when $STARFISH_IPFS_API is set.")
app.add_typer(ipfs_app, name="ipfs")
# wide enough for the tables when output goes to a file or CI log
console = Console(width=None if sys.stdout.isatty() else 120)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 120)

RpcOpt = Annotated[
    str | None, typer.Option("--rpc", envvar="STARFISH_RPC_URL", help="JSON-RPC URL (default: managed anvil)")
]
KeyOpt = Annotated[Path | None, typer.Option("--key-file", help="eth-account keystore (else $STARFISH_PRIVATE_KEY)")]
DeplOpt = Annotated[Path | None, typer.Option("--deployments", help="directory of <chainId>.json manifests")]
RelayOpt = Annotated[
    str | None, typer.Option("--relay", envvar="STARFISH_RELAY_URL", help="send through a relay (it pays the gas)")
]
IpfsOpt = Annotated[
    str | None,
    typer.Option("--ipfs-api", envvar="STARFISH_IPFS_API", help="Kubo RPC multiaddr (default: embedded store)"),
]


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def _wei(amount: str, decimals: int = 18) -> int:
    try:
        value = Decimal(amount) * (10**decimals)
    except InvalidOperation:
        _fail(f"{amount!r} is not a number")
    if value != value.to_integral_value() or value <= 0:
        _fail(f"{amount!r} must be positive and have at most {decimals} decimals")
    return int(value)


def _client(rpc: str | None, deployments: Path | None) -> Any:
    from starfish_dao.chain.backends import connect
    from starfish_dao.chain.client import Starfish
    from starfish_dao.chain.deployment import Deployment

    backend = connect(rpc)
    return Starfish(backend.w3, Deployment.load(int(backend.w3.eth.chain_id), deployments))


@app.command()
def build() -> None:
    """Compile contracts/ with the pinned solc-js into starfish_dao/artifacts/."""
    from starfish_dao.chain.build import build as do_build

    result = do_build()
    console.print(f"compiled with solc {result.compiler}: {', '.join(result.contracts)}")


@node_app.command("start")
def node_start() -> None:
    """Start the managed anvil (or report the one running)."""
    from starfish_dao.chain.backends import AnvilNode

    node = AnvilNode.default().start()
    console.print(f"anvil running: {node.url} (pid {node.pid}, state {node.state_file})")


@node_app.command("stop")
def node_stop() -> None:
    """Stop the managed anvil; its state is saved."""
    from starfish_dao.chain.backends import AnvilNode

    stopped = AnvilNode.default().stop()
    console.print("anvil stopped, state saved" if stopped else "no managed anvil was running")


@node_app.command("status")
def node_status() -> None:
    from starfish_dao.chain.backends import AnvilNode

    node = AnvilNode.default()
    console.print(f"running at {node.url} (pid {node.pid})" if node.running() else "not running")


@node_app.command("advance")
def node_advance(seconds: int) -> None:
    """Move the dev chain's clock forward (evm_increaseTime) and mine a block."""
    from starfish_dao.chain.backends import connect

    backend = connect()
    backend.increase_time(seconds)
    console.print(f"advanced {seconds} s; block {backend.w3.eth.block_number}")


@account_app.command("new")
def account_new(path: Path) -> None:
    """Create an encrypted keystore (password from $STARFISH_KEY_PASSWORD or a prompt)."""
    account = keys.new_keystore(path)
    console.print(f"{account.address} -> {path}")


@app.command()
def deploy(
    rpc: RpcOpt = None,
    key_file: KeyOpt = None,
    deployments: DeplOpt = None,
    charter: Annotated[Path | None, typer.Option(help="charter JSON (params, founders, tokens, governance)")] = None,
    document: Annotated[Path | None, typer.Option(help="charter document to pin (default: the sample charter)")] = None,
    founder: Annotated[list[str] | None, typer.Option(help="ADDRESS:POINTS genesis points, repeatable")] = None,
) -> None:
    """Deploy a new DAO and write deployments/<chainId>.json."""
    from starfish_dao.chain.backends import connect
    from starfish_dao.chain.deployment import charter_from_json
    from starfish_dao.chain.deployment import deploy as do_deploy
    from starfish_dao.ipfs.local import LocalStore

    account = keys.load(key_file)
    cfg = CharterConfig(params=Params())
    if charter is not None:
        cfg = charter_from_json(json.loads(charter.read_text()))
    founders = list(cfg.founders)
    for item in founder or []:
        address, _, points = item.partition(":")
        founders.append(Founder(address, int(Decimal(points or "0") * POINT)))
    doc = document or Path(__file__).parent / "demo_files" / "charter.md"
    cid = LocalStore().add_file(doc)
    cfg = CharterConfig(cfg.params, cid.bytes, cfg.revenue_tokens, tuple(founders), cfg.governance or account.address)
    backend = connect(rpc)
    deployment = do_deploy(backend.w3, account, cfg)
    path = deployment.save(deployments)
    for role, address in deployment.addresses.items():
        console.print(f"{role:<10} {address}")
    console.print(f"manifest: {path}")


@app.command()
def join(rpc: RpcOpt = None, key_file: KeyOpt = None, deployments: DeplOpt = None, relay: RelayOpt = None) -> None:
    """Join: mint your soulbound membership."""
    account = keys.load(key_file)
    if relay:
        _relayed(relay, account, "Join")
        return
    token_id = _client(rpc, deployments).join(account)
    console.print(f"joined: membership #{token_id}")


def _relayed(url: str, account: Any, action: str, **fields: Any) -> dict[str, Any]:
    from starfish_dao.relay.client import RelayClient

    client = RelayClient(url)
    if action in ("Finalize", "Claim"):
        sent = client.send({"action": action, **fields})
    else:
        sent = client.sign_and_send(account, action, **fields)
    console.print(f"accepted by the relay: {sent['id']}")
    state = client.wait(sent["id"])
    if state["status"] != "mined":
        _fail(f"{action} {state['status']}: {state.get('error') or 'not mined in time'}")
    console.print(f"mined in block {state['block']} (tx {state['txHash']}); the relay paid the gas")
    return state


@app.command()
def leave(rpc: RpcOpt = None, key_file: KeyOpt = None, deployments: DeplOpt = None, relay: RelayOpt = None) -> None:
    """Leave: burn your membership. Your points and claims stay yours."""
    account = keys.load(key_file)
    if relay:
        _relayed(relay, account, "Leave")
        return
    _client(rpc, deployments).leave(account)
    console.print("left; points and claims are kept")


@app.command()
def contribute(
    file: Path,
    effort: Annotated[int, typer.Option(help="minutes of work claimed")],
    rpc: RpcOpt = None,
    key_file: KeyOpt = None,
    deployments: DeplOpt = None,
    ipfs_api: IpfsOpt = None,
    relay: RelayOpt = None,
) -> None:
    """Register FILE as your contribution, so that nobody can take it first: commit to its content,
    then pin it, then reveal its CID (kubo's CID, computed locally and checked against the node)."""
    from starfish_dao.domain.commitment import commitment, new_salt
    from starfish_dao.domain.unixfs import CID
    from starfish_dao.ipfs import build_artifact, open_store

    if file.is_dir():
        _fail(f"{file} is a directory: give one file (pack a folder with tar or zip first)")
    if not file.is_file():
        _fail(f"no such file: {file}")
    if effort <= 0:
        _fail(f"--effort must be a positive number of minutes, not {effort}")
    account = keys.load(key_file)
    cid, digest = build_artifact(file)  # nothing is published yet
    salt = new_salt()
    committed = commitment(account.address, digest, salt)
    if relay:
        from starfish_dao.relay.client import RelayClient

        client = RelayClient(relay)
        state = client.wait(client.commit(committed)["id"])
        if state["status"] != "mined":
            _fail(f"the commitment was not mined: {state.get('error') or state['status']}")
        console.print(f"committed (block {state['block']}); now pinning and revealing")
        uploaded = client.upload(file)
        if CID.parse(uploaded["cid"]) != cid:
            _fail(f"the relay pinned {uploaded['cid']}, not the CID of {file} ({cid})")
        _relayed(relay, account, "Submit", cid=uploaded["cidHex"], contentHash="0x" + digest.hex(),
                 salt="0x" + salt.hex(), effort=effort)  # fmt: skip
        console.print(f"contribution submitted: {cid} (content sha256 {digest.hex()})")
        return
    sf = _client(rpc, deployments)
    _precheck_submission(sf, account.address, digest, effort)
    sf.commit(account, committed)
    store = open_store(ipfs_api)
    pinned = store.add_file(file)  # only now may anyone learn the content
    try:
        contribution_id = sf.reveal(account, cid.bytes, digest, effort, salt)
    except Exception:
        store.unpin(pinned)
        raise
    console.print(f"contribution #{contribution_id}: {pinned} (content sha256 {digest.hex()})")


def _precheck_submission(sf: Any, author: str, digest: bytes, effort: int) -> None:
    """What the chain would refuse, said before anything is sent or pinned."""
    if not sf.is_active(author):
        _fail(f"{author} is not an active member: run `starfish join` first")
    params = sf.charter.functions.params().call()
    max_effort = int(params[5])
    if effort > max_effort:
        _fail(f"--effort {effort} is above the charter's maxEffort of {max_effort} minutes")
    holder = int(sf.registry.functions.contributionOf(digest).call())
    if holder:
        status = sf.contribution(holder)["status"]
        if status in ("pending", "accepted"):
            _fail(f"this content is already contribution #{holder} ({status}); the same bytes earn once")


@app.command()
def review(
    contribution: int,
    stars: Annotated[int, typer.Option(min=0, max=5, help="0-5; 3 = worth the claimed effort")],
    comment: Annotated[str | None, typer.Option(help="a comment, pinned to IPFS")] = None,
    rpc: RpcOpt = None,
    key_file: KeyOpt = None,
    deployments: DeplOpt = None,
    relay: RelayOpt = None,
) -> None:
    """Rate a contribution."""
    from starfish_dao.ipfs import open_store

    account = keys.load(key_file)
    if relay:
        comment_hex = "0x"
        if comment:
            from starfish_dao.relay.client import RelayClient

            tmp = config.subdir("tmp") / "comment.txt"
            tmp.write_text(comment)
            comment_hex = RelayClient(relay).upload(tmp)["cidHex"]
        _relayed(relay, account, "Review", contribution=contribution, stars=stars, commentCid=comment_hex)
        return
    sf = _client(rpc, deployments)
    c = sf.contribution(contribution)
    if c["author"] != "0x" + "00" * 20 and c["status"] == "pending":
        weight, _ = sf.standing(account.address, c["snapshot"])
        share = weight / c["quorumWeight"] if c["quorumWeight"] else 0
        console.print(f"your weight on #{contribution}: {weight / POINT:,.4f} points of standing "
                      f"({share:.0%} of the {c['quorumWeight'] / POINT:,.4f} it needs)")  # fmt: skip
    comment_cid = open_store().add_bytes(comment.encode()).bytes if comment else b""
    sf.review(account, contribution, stars, comment_cid)
    console.print(f"reviewed #{contribution}: {stars} stars")


@app.command()
def finalize(
    contribution: int, rpc: RpcOpt = None, key_file: KeyOpt = None, deployments: DeplOpt = None, relay: RelayOpt = None
) -> None:
    """Judge a contribution whose review window closed (anyone may)."""
    if relay:
        _relayed(relay, None, "Finalize", contribution=contribution)
        return
    account = keys.load(key_file)
    out = _client(rpc, deployments).finalize(account, contribution)
    if out["accepted"]:
        console.print(f"#{contribution} accepted: weighted median {out['median']}, {out['points'] / POINT:g} points")
    else:
        console.print(
            f"#{contribution} rejected: {out['reviewers']} reviewers with {out['weight'] / POINT:,.4f} points of "
            "standing, below the minimum reviewers or the quorum"
        )


@app.command()
def pay(
    amount: str,
    token: Annotated[str | None, typer.Option(help="ERC-20 address (default: ETH)")] = None,
    decimals: int = 18,
    rpc: RpcOpt = None,
    key_file: KeyOpt = None,
    deployments: DeplOpt = None,
) -> None:
    """Pay revenue into the splitter: AMOUNT in ETH, or in TOKEN units."""
    account = keys.load(key_file)
    sf = _client(rpc, deployments)
    wei = _wei(amount, decimals)
    if token:
        sf.pay_token(account, token, wei)
    else:
        sf.pay_eth(account, wei)
    console.print(f"paid {amount} {token or 'ETH'}")


@app.command()
def claim(
    member: Annotated[str | None, typer.Option(help="whom to pay (default: yourself)")] = None,
    token: Annotated[str, typer.Option(help="token address (default: ETH)")] = ETH,
    to: Annotated[
        str | None, typer.Option(help="send your pay to this address instead (a wallet that cannot receive)")
    ] = None,
    rpc: RpcOpt = None,
    key_file: KeyOpt = None,
    deployments: DeplOpt = None,
    relay: RelayOpt = None,
) -> None:
    """Claim what a member is owed (anyone may claim for anyone; the member is paid), or, with --to,
    direct your own pay elsewhere."""
    if to is not None:
        if member is not None:
            _fail("--to directs your own pay; it cannot be combined with --member")
        account = keys.load(key_file)
        if relay:
            _relayed(relay, account, "ClaimTo", token=token, to=to)
            return
        amount = _client(rpc, deployments).claim_to(account, to, token)
        console.print(f"paid {amount} wei of your pay to {to}")
        return
    if relay:
        who = member or keys.load(key_file).address
        _relayed(relay, None, "Claim", member=who, token=token)
        return
    account = keys.load(key_file)
    amount = _client(rpc, deployments).claim(account, member, token)
    console.print(f"paid {amount} wei to {member or account.address}")


@app.command()
def status(
    rpc: RpcOpt = None,
    deployments: DeplOpt = None,
    ipfs_api: IpfsOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable")] = False,
) -> None:
    """Members, points, claims, contributions and money, checked against the reference model."""
    from starfish_dao.verify.state import compare, replay

    sf = _client(rpc, deployments)
    model = replay(sf)
    checks = compare(sf, model)
    now = sf.now()
    tokens = model.all_tokens()
    if as_json:
        out = {
            "members": [
                {
                    "address": a,
                    "member": bool(model.members.get(a) and model.members[a].token_id),
                    "points": str(model.points_of(a, now)),
                    "claimable": {t: str(model.claimable(a, t)) for t in tokens},
                }
                for a in model.accounts_seen()
            ],
            "contributions": [
                {"id": c.id, "author": c.author, "effort": c.effort, "status": c.status, "points": str(c.points)}
                for c in model.contributions.values()
            ],
            "treasury": {t: str(model.treasury[t]) for t in tokens},
            "verified": all(c.ok for c in checks),
        }
        print(json.dumps(out, indent=2))
        raise typer.Exit(0 if out["verified"] else 1)
    members = Table(title="Members")
    for column in ("address", "status", "points", *(f"claimable {_label(t)}" for t in tokens)):
        members.add_column(column)
    for a in model.accounts_seen():
        record = model.members.get(a)
        state = "member" if record and record.token_id else "former/none"
        if record and record.suspended:
            state += " (suspended)"
        members.add_row(
            a, state, f"{model.points_of(a, now) / POINT:,.4f}", *(str(model.claimable(a, t)) for t in tokens)
        )
    console.print(members)
    from starfish_dao.domain.unixfs import CID
    from starfish_dao.ipfs import open_store

    store = open_store(ipfs_api)
    contributions = Table(title="Contributions")
    for column in ("id", "author", "effort (min)", "status", "reviews", "weight / quorum", "median", "points",
                   "artifact"):  # fmt: skip
        contributions.add_column(column)
    for c in model.contributions.values():
        median = str(c.median) if c.status == "accepted" else "-"
        status_text = c.status
        if c.status == "pending":
            left = c.deadline - now
            status_text = f"open, {_duration(left)} left" if left >= 0 else "closed: finalize it"
        try:
            artifact = store.status(CID.from_bytes(c.cid))
        except ValueError:
            artifact = "not a CID"
        contributions.add_row(
            str(c.id),
            c.author,
            str(c.effort),
            status_text,
            str(len(c.reviews)),
            f"{c.weight / POINT:,.2f} / {c.quorum_weight / POINT:,.2f}",
            median,
            f"{c.points / POINT:g}",
            artifact,
        )
    console.print(contributions)
    money = Table(title="Money (wei)")
    for column in ("token", "received", "claimed", "treasury", "undistributed", "dust"):
        money.add_column(column)
    for t in tokens:
        money.add_row(_label(t), str(model.received[t]), str(model.claimed[t]), str(model.treasury[t]),
                      str(model.undistributed[t]), str(model.dust(t)))  # fmt: skip
    console.print(money)
    bad = [check for check in checks if not check.ok]
    if bad:
        for check in bad:
            err.print(str(check))
        _fail(f"{len(bad)} of {len(checks)} checks differ from the reference model")
    console.print(f"[green]verified[/]: {len(checks)} checks equal the reference model")


@ipfs_app.command("add")
def ipfs_add(
    file: Path,
    cid_version: Annotated[int, typer.Option(min=0, max=1)] = 1,
    pin: Annotated[bool, typer.Option(help="pin it (default)")] = True,
    ipfs_api: IpfsOpt = None,
) -> None:
    """Add FILE; print its CID (CIDv1 raw leaves by default, as `ipfs add --cid-version 1`)."""
    from starfish_dao.ipfs import open_store

    console.print(str(open_store(ipfs_api).add_file(file, cid_version=cid_version, pin=pin)))


@ipfs_app.command("cat")
def ipfs_cat(
    cid: str,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="write here instead of stdout")] = None,
    ipfs_api: IpfsOpt = None,
) -> None:
    """Print (or save) the bytes of CID, verified against it."""
    from starfish_dao.domain.unixfs import CID
    from starfish_dao.ipfs import open_store

    data = open_store(ipfs_api).cat(_cid(cid, CID))
    if output:
        output.write_bytes(data)
    else:
        sys.stdout.buffer.write(data)


@ipfs_app.command("pin")
def ipfs_pin(cid: str, ipfs_api: IpfsOpt = None) -> None:
    """Pin CID (every block must be present)."""
    from starfish_dao.domain.unixfs import CID
    from starfish_dao.ipfs import open_store

    open_store(ipfs_api).pin(_cid(cid, CID))
    console.print(f"pinned {cid}")


@ipfs_app.command("unpin")
def ipfs_unpin(cid: str, ipfs_api: IpfsOpt = None) -> None:
    from starfish_dao.domain.unixfs import CID
    from starfish_dao.ipfs import open_store

    removed = open_store(ipfs_api).unpin(_cid(cid, CID))
    console.print(f"unpinned {cid}" if removed else f"{cid} was not pinned")


@ipfs_app.command("gc")
def ipfs_gc() -> None:
    """Remove blocks of the embedded store that no pin reaches."""
    from starfish_dao.ipfs.local import LocalStore

    console.print(f"removed {LocalStore().gc()} unpinned blocks")


@ipfs_app.command("export-car")
def ipfs_export_car(cids: list[str], output: Annotated[Path, typer.Option("-o", "--output")]) -> None:
    """Write the DAGs under CIDS from the embedded store to a CAR v1 file (for pinning services)."""
    from starfish_dao.domain.unixfs import CID
    from starfish_dao.ipfs.local import LocalStore

    tmp = output.with_name(output.name + ".part")
    with tmp.open("wb") as f:
        count = LocalStore().export_car([_cid(c, CID) for c in cids], f)
    tmp.replace(output)
    console.print(f"wrote {count} blocks to {output}")


@ipfs_app.command("import-car")
def ipfs_import_car(file: Path) -> None:
    """Import a CAR v1 into the embedded store (every block verified) and pin its roots."""
    from starfish_dao.ipfs.local import LocalStore

    if not file.is_file():
        _fail(f"no such file: {file}")
    with file.open("rb") as f:
        roots = LocalStore().import_car(f)
    console.print("imported and pinned: " + ", ".join(str(r) for r in roots))


@ipfs_app.command("push")
def ipfs_push(cids: list[str], ipfs_api: IpfsOpt = None) -> None:
    """Copy DAGs from the embedded store to the real node (block put + pin)."""
    from starfish_dao.domain.unixfs import CID
    from starfish_dao.ipfs.kubo import KuboStore
    from starfish_dao.ipfs.local import LocalStore

    if not ipfs_api:
        _fail("push needs a node: pass --ipfs-api /ip4/127.0.0.1/tcp/5001 or set STARFISH_IPFS_API")
    node, local = KuboStore(str(ipfs_api)), LocalStore()
    for text in cids:
        count = node.push(local, _cid(text, CID))
        console.print(f"pushed {text}: {count} blocks, pinned on {ipfs_api}")


def _cid(text: str, cls: Any) -> Any:
    try:
        return cls.parse(text)
    except ValueError as exc:
        _fail(str(exc))


def _duration(seconds: int) -> str:
    days, rest = divmod(max(seconds, 0), 86400)
    hours, rest = divmod(rest, 3600)
    return f"{days} d {hours} h" if days else f"{hours} h {rest // 60} min"


def _label(token: str) -> str:
    return "ETH" if token == ETH else token[:8] + "…"


@app.command("relay")
def relay_command(
    host: Annotated[str, typer.Option(help="bind address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8545 + 100,
) -> None:
    """Run the relay (settings from STARFISH_RELAY_* variables; it refuses to start without a key)."""
    import uvicorn

    from starfish_dao.relay.app import create_app

    app_ = create_app()
    console.print(f"relay for chain {app_.state.relay.sf.deployment.chain_id} on http://{host}:{port} "
                  f"(relayer {app_.state.relay.account.address}); OpenAPI at /docs")  # fmt: skip
    uvicorn.run(app_, host=host, port=port, log_level="warning")


@app.command()
def verify(
    rpc: RpcOpt = None,
    deployments: DeplOpt = None,
    manifest: Annotated[Path | None, typer.Option(help="a deployment manifest file to check against")] = None,
    splitter: Annotated[str | None, typer.Option(help="no manifest: start from the splitter's address")] = None,
    ipfs_api: IpfsOpt = None,
    local_ipfs: Annotated[bool, typer.Option("--local-ipfs", help="check work against the embedded store")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    html: Annotated[Path | None, typer.Option("--html", help="also write a self-contained HTML report")] = None,
    chunk: Annotated[int, typer.Option(help="blocks per eth_getLogs request")] = 5000,
) -> None:
    """Re-derive every number from the chain (and IPFS) and check code, wiring, state, money and work."""
    from starfish_dao.chain.backends import connect
    from starfish_dao.chain.client import Starfish
    from starfish_dao.chain.deployment import Deployment
    from starfish_dao.ipfs import ArtifactStore, open_store
    from starfish_dao.verify.discover import discover
    from starfish_dao.verify.report import print_summary, to_html, to_json
    from starfish_dao.verify.report import verify as run_verify

    backend = connect(rpc)
    w3 = backend.w3
    if splitter:
        deployment = discover(w3, splitter)
    elif manifest:
        try:
            deployment = Deployment.from_json(json.loads(manifest.read_text()))
        except (OSError, json.JSONDecodeError) as exc:
            _fail(f"cannot read the manifest {manifest}: {exc}")
    else:
        deployment = Deployment.load(int(w3.eth.chain_id), deployments)
    store: ArtifactStore | None = None
    if ipfs_api or local_ipfs:
        store = open_store(ipfs_api if not local_ipfs else None) if ipfs_api or local_ipfs else None
    report = run_verify(Starfish(w3, deployment), store, err, chunk)
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


@app.command()
def demo(
    keep_node: Annotated[bool, typer.Option(help="leave the managed anvil running afterwards")] = False,
    backend: Annotated[str, typer.Option(help="auto, anvil or py-evm")] = "auto",
    seed: Annotated[int | None, typer.Option(help="seed for the generated work files")] = None,
) -> None:
    """Run the whole lifecycle on the embedded defaults and verify it against the reference model."""
    from starfish_dao.chain.backends import AnvilNode, connect
    from starfish_dao.demo import run_demo

    was_running = AnvilNode.default().running()
    chain = connect(backend=backend)
    try:
        result = run_demo(chain, console, seed=seed)
    finally:
        node = getattr(chain, "node", None)
        if node is not None and not was_running and not keep_node:
            node.stop()
    console.print(f"data directory: {config.home()}")
    raise typer.Exit(0 if result.ok else 1)


def main() -> None:
    try:
        app()
    except StarfishError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        sys.exit(1)


if __name__ == "__main__":
    main()
