"""Setting a community up: `init` (a charter file), `charter show`, `deploy`, `demo`, `build`."""

from __future__ import annotations

import json
import time
import tomllib
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer

from starfish_dao import config
from starfish_dao.cli.common import (
    DeplOpt,
    JsonOpt,
    KeyOpt,
    RpcOpt,
    address,
    client,
    console,
    emit,
    fail,
    load_key,
)  # fmt: skip
from starfish_dao.domain.charter import (
    BOUNDS,
    GOVERNOR_BOUNDS,
    PARAMETER_KEYS,
    POINT,
    CharterConfig,
    Founder,
    GovernanceSettings,
    Params,
)
from starfish_dao.domain.charter_units import KINDS, describe, to_raw, toml_value
from starfish_dao.domain.errors import ConfigError

charter_app = typer.Typer(help="The charter: its parameters, bounds and document.", no_args_is_help=True)

#: What each parameter means, for the charter file and `charter show`.
MEANING = {
    "epochLength": "how long an epoch lasts: the period of effort caps and review budgets",
    "reviewWindow": "how long a contribution stays open to review",
    "minReviewers": "distinct reviewers a contribution needs",
    "halfLife": "epochs after which points count half (0 = no decay; at least 30 days in all)",
    "reserveBps": "share of every receipt kept by the treasury",
    "maxEffort": "the most effort (time) one contribution may claim",
    "maxEffortPerEpoch": "the most effort (time) one member may submit per epoch",
    "minReviewerStanding": "points a reviewer must have held when the work was submitted",
    "quorumBps": "share of the community's standing that must review a contribution",
    "reviewBudgetBps": "points a reviewer may approve per epoch, as a share of their own standing (200 % = 2x)",
    "panelSize": "reviewers drawn at random by standing for each contribution (everyone, in a smaller community)",
    "reviewerBps": "share of every receipt paid to the reviewers, by how accurately they reviewed",
    "hostReplicas": "member hosts each file the community depends on is assigned to",
    "ttfbCeilingMs": "milliseconds a host may take to the first byte of a challenged block",
    "hostingBps": "share of every receipt paid to the hosts, by the files their checkers found them holding",
    "hostMinStanding": "points a member must have held as the epoch began to host the community's files",
}

#: What each governance setting means, for `charter show`.
GOVERNOR_MEANING = {
    "votingDelay": "between a proposal and the snapshot of votes: members see it, may delegate first",
    "votingPeriod": "how long members may vote",
    "proposalThreshold": "points needed to propose",
    "quorumPercent": "share of all standing that must vote (for or abstain)",
    "timelockDelay": "between passing and running: who disagrees can claim their pay or leave first",
}

DEFAULT_DOCUMENT = Path(__file__).resolve().parents[1] / "demo_files" / "charter.md"


def register(app: typer.Typer) -> None:
    app.command()(build)
    app.command()(init)
    app.add_typer(charter_app, name="charter")
    app.command()(deploy)
    app.command()(demo)


def build() -> None:
    """Compile contracts/ with the pinned solc-js into starfish_dao/artifacts/."""
    from starfish_dao.chain.build import build as do_build

    result = do_build()
    console.print(f"compiled with solc {result.compiler}: {', '.join(result.contracts)}")


def parse_founder(text: str) -> Founder:
    who, sep, points = text.partition(":")
    if not sep or not points.strip():
        fail(f"--founder {text!r} needs points: ADDRESS:POINTS (for example {who or '0x…'}:5000)",
             "founders need genesis points to review the first work; a few thousand each is typical")  # fmt: skip
    try:
        amount = Decimal(points)
    except InvalidOperation:
        fail(f"--founder {text!r}: {points!r} is not a number of points")
    if amount <= 0:
        fail(f"--founder {text!r}: genesis points must be positive")
    return Founder(address(who, "the founder"), int(amount * POINT))


def init(
    output: Annotated[Path, typer.Option("-o", "--output", help="where to write the charter file")] = Path(
        "charter.toml"
    ),
    founder: Annotated[
        list[str] | None, typer.Option("--founder", help="ADDRESS:POINTS of genesis points (repeat it)")
    ] = None,
    document: Annotated[Path | None, typer.Option(help="the charter text to pin at deploy")] = None,
    force: Annotated[bool, typer.Option("--force", help="overwrite an existing file")] = False,
) -> None:
    """Write a commented charter file with the defaults and their bounds; edit it, then `deploy --charter`."""
    if output.exists() and not force:
        fail(f"{output} exists: pass --force to overwrite it, or -o another file")
    founders = [parse_founder(f) for f in founder or []]
    output.parent.mkdir(parents=True, exist_ok=True)
    if document is None:  # the community's own text, beside the file: a copy of the sample to edit
        text = output.parent / "charter.md"
        if not text.exists():
            text.write_text(DEFAULT_DOCUMENT.read_text())
            console.print(f"wrote {text}: the charter text (mission, norms), pinned at deploy: make it yours")
        document = text
    elif not document.is_file():
        fail(f"no such file: {document}", "--document is the charter text (Markdown) to pin at deploy")
    output.write_text(render_charter(founders, _relative(document, output.parent)))
    console.print(f"wrote {output}: edit it, then `starfish deploy --charter {output} --key-file ...`")
    if len(founders) < 2:
        console.print("note: with fewer than two founders nobody can review the first work (minReviewers is 2)")


def _relative(path: Path, base: Path) -> Path:
    """`path` as the charter file names it: relative to the file's folder (so that the folder can
    move), or absolute when it lies on another drive."""
    import os

    try:
        return Path(os.path.relpath(path.resolve(), base.resolve()))
    except ValueError:
        return path.resolve()


def render_charter(founders: list[Founder], document: Path | None) -> str:
    p, g = Params(), GovernanceSettings()
    lines = [
        "# Starfish charter: the rules your community starts with.",
        "# Every value has bounds that the contracts check. After deployment only the members' governance",
        "# changes them (`starfish propose set-parameter NAME VALUE`).",
        "",
        f'document = "{document or "charter.md"}"  # the charter text (mission, norms), from this file\'s folder: '
        "pinned at deploy",
        "revenueTokens = []  # ERC-20 addresses accepted as revenue besides ETH (at most 8)",
        "",
        "[parameters]",
    ]
    for key, parameter in PARAMETER_KEYS.items():
        low, high = (describe(KINDS[key], b) for b in BOUNDS[parameter])
        lines.append(f"# {MEANING[key]}; bounds {low} .. {high}")
        lines.append(f"{key} = {toml_value(KINDS[key], p.value(parameter))}")
    lines += [
        "",
        "[governor]",
        "# between proposing and the snapshot of votes: members see it, may delegate first; bounds 1 hour .. 14 days",
        f"votingDelay = {toml_value('seconds', g.voting_delay)}",
        "# how long members may vote: a whole working week; bounds 1 day .. 30 days",
        f"votingPeriod = {toml_value('seconds', g.voting_period)}",
        "# points needed to propose: one point, so any member whose work was accepted",
        f"proposalThreshold = {toml_value('points', g.proposal_threshold)}",
        "# share of all standing that must vote (for or abstain); bounds 5 % .. 80 %",
        f"quorumPercent = {toml_value('percent', g.quorum_percent)}",
        "# between passing and running: who disagrees can claim their pay or leave first; bounds 1 hour .. 30 days",
        f"timelockDelay = {toml_value('seconds', g.timelock_delay)}",
        "# an optional guardian that may only cancel proposals, until guardianExpiry (a date such as",
        '# "2027-06-30", UTC; at most a year after deployment; 0 = none)',
        'guardian = ""',
        "guardianExpiry = 0",
        "",
        '# Durations are written like "7 days", "36 hours" or "90 minutes", points as numbers (2.5),',
        '# shares as "10 %". Older files\' raw forms (seconds, 18-decimal strings, basis points) still work.',
        "",
        "# Founders: genesis points, so that the first work can be reviewed. With the default budget a",
        "# founder with G points approves up to 2G points' worth of work a week; a few thousand each is typical.",
    ]
    for f in founders:
        lines += ["[[founders]]", f'address = "{f.address}"', f"points = {_plain_points(f.genesis_points)}", ""]
    if not founders:
        lines += ["# [[founders]]", '# address = "0x..."', "# points = 5000", ""]
    return "\n".join(lines) + "\n"


def _plain_points(raw: int) -> str:
    """Genesis points as a TOML number, exact (2.5 stays 2.5)."""
    text = f"{Decimal(raw) / POINT:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def read_charter(path: Path) -> tuple[CharterConfig, Path | None]:
    """A charter file (TOML as `init` writes it, or the JSON of a manifest's `charter`)."""
    from starfish_dao.chain.deployment import charter_from_json

    try:
        text = path.read_text()
    except OSError as exc:
        fail(f"cannot read the charter file {path}: {exc.strerror}")
    if path.suffix == ".json":
        try:
            return charter_from_json(json.loads(text)), None
        except json.JSONDecodeError as exc:
            fail(f"{path} is not valid JSON: {exc}")
        except ConfigError as exc:
            fail(f"{path}: {exc}")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        fail(f"{path} is not valid TOML: {exc}")
    founders = []
    for entry in data.get("founders", []):
        founders.append(parse_founder(f"{entry.get('address', '')}:{entry.get('points', '')}"))
    try:  # people's units ("7 days", 1.5 points, "10 %") or the raw forms of older files
        params = to_raw("parameters", data.get("parameters", {}))
        governor = to_raw("governor", data.get("governor", {}))
    except ConfigError as exc:
        fail(f"{path}: {str(exc).removeprefix('charter file: ')}")
    as_json: dict[str, Any] = {
        "params": params,
        "governor": governor,
        "revenueTokens": data.get("revenueTokens", []),
        "founders": [{"address": f.address, "genesisPoints": f.genesis_points} for f in founders],
    }
    doc = data.get("document")
    document = (path.parent / doc).resolve() if doc else None
    try:
        return charter_from_json(as_json), document
    except ConfigError as exc:  # an address that fails the one rule, named with the file
        fail(f"{path}: {exc}")


@charter_app.command("show")
def charter_show(rpc: RpcOpt = None, deployments: DeplOpt = None, as_json: JsonOpt = False) -> None:
    """The charter in force: every parameter with its bounds and meaning, and who governs."""
    from starfish_dao.domain.unixfs import CID

    sf = client(rpc, deployments)
    c = sf.charter.functions
    values = {key: int(c.parameter(int(p)).call()) for key, p in PARAMETER_KEYS.items()}
    document = bytes(c.documentCid().call())
    data = {
        "parameters": values,
        "bounds": {key: list(BOUNDS[p]) for key, p in PARAMETER_KEYS.items()},
        "document": str(CID.from_bytes(document)),
        "governance": c.governance().call(),
        "revenueTokens": list(c.revenueTokens().call()),
        "epoch": int(c.currentEpoch().call()),
        "halvings": int(c.currentHalvings().call()),
        "governor": _governor_settings(sf),
    }

    def human() -> None:
        from rich.table import Table

        table = Table(title="Charter parameters (on-chain)")
        for column in ("parameter", "value", "bounds", "meaning"):
            table.add_column(column)
        for key, p in PARAMETER_KEYS.items():
            value = values[key]
            low, high = (describe(KINDS[key], b) for b in BOUNDS[p])
            table.add_row(key, describe(KINDS[key], value), f"{low} .. {high}", MEANING[key])
        console.print(table)
        if data["governor"]:
            table = Table(title="Governance settings (on-chain)")
            for column in ("setting", "value", "bounds", "meaning"):
                table.add_column(column)
            for key, value in data["governor"].items():
                low, high = (describe(KINDS[key], b) for b in GOVERNOR_BOUNDS[key])
                table.add_row(key, describe(KINDS[key], value), f"{low} .. {high}", GOVERNOR_MEANING[key])
            console.print(table)
        governs = str(data["governance"])
        if governs.lower() == str(sf.deployment.addresses.get("timelock", "")).lower():
            governs = f"the members, through their governor and timelock ({governs})"
        console.print(f"charter text {data['document']} (`starfish ipfs cat` it); governed by {governs}; "
                      f"epoch {data['epoch']}, {data['halvings']} halvings so far", highlight=False)  # fmt: skip

    emit(data, as_json, human)


def _governor_settings(sf: Any) -> dict[str, int]:
    """The members' governor's and timelock's settings, read on-chain (none when another address governs)."""
    if "governor" not in sf.contracts or "timelock" not in sf.contracts:
        return {}
    g, t = sf.contracts["governor"].functions, sf.contracts["timelock"].functions
    return {"votingDelay": int(g.votingDelay().call()), "votingPeriod": int(g.votingPeriod().call()),
            "proposalThreshold": int(g.proposalThreshold().call()), "quorumPercent": int(g.quorumNumerator().call()),
            "timelockDelay": int(t.getMinDelay().call())}  # fmt: skip


def deploy(
    rpc: RpcOpt = None,
    key_file: KeyOpt = None,
    deployments: DeplOpt = None,
    charter: Annotated[Path | None, typer.Option(help="charter file from `starfish init` (or JSON)")] = None,
    document: Annotated[
        Path | None, typer.Option(help="charter text to pin (default: the file's, or a sample)")
    ] = None,
    founder: Annotated[list[str] | None, typer.Option(help="ADDRESS:POINTS genesis points (repeat it)")] = None,
    force: Annotated[bool, typer.Option("--force", help="replace this chain's manifest (the old one is kept)")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Deploy a new DAO governed by its members, and write deployments/<chainId>.json."""
    from starfish_dao.chain.deployment import deploy as do_deploy
    from starfish_dao.cli.common import chain
    from starfish_dao.ipfs.local import LocalStore

    account = load_key(key_file)
    cfg, doc_from_file = read_charter(charter) if charter is not None else (CharterConfig(params=Params()), None)
    founders = [*cfg.founders, *(parse_founder(f) for f in founder or [])]
    if not founders:
        fail("no founders: nobody would have the standing to review the first work",
             "give founders genesis points: --founder ADDRESS:5000 (repeat it), or in the charter file")  # fmt: skip
    backend = chain(rpc)
    chain_id = int(backend.w3.eth.chain_id)
    manifest = (deployments or config.home() / "deployments") / f"{chain_id}.json"
    if manifest.exists() and not force:
        fail(f"{manifest} already describes a DAO on chain {chain_id}",
             "pass --force to deploy another (the old manifest is kept as a backup), or --deployments DIR")  # fmt: skip
    doc = document or doc_from_file or DEFAULT_DOCUMENT
    if not doc.is_file():
        fail(f"no charter document at {doc}")
    cid = LocalStore().add_file(doc)
    cfg = CharterConfig(cfg.params, cid.bytes, cfg.revenue_tokens, tuple(founders), cfg.governance, cfg.settings)
    deployment = do_deploy(backend.w3, account, cfg)
    if manifest.exists():
        backup = manifest.with_name(f"{chain_id}.{int(time.time())}.json.bak")
        manifest.replace(backup)
        console.print(f"the previous manifest is kept as {backup}")
    path = deployment.save(deployments)

    def human() -> None:
        for role, where in deployment.addresses.items():
            console.print(f"{role:<10} {where}")
        console.print(f"manifest: {path}")
        if deployment.governed_by_members:
            console.print("governance: the members' timelock; the deployer holds no role")

    emit({"manifest": str(path), "contracts": deployment.addresses}, as_json, human)


def demo(
    keep_node: Annotated[bool, typer.Option("--keep-node", help="leave the demo's anvil running afterwards")] = False,
    backend: Annotated[str, typer.Option(envvar="STARFISH_BACKEND", help="auto, anvil or py-evm")] = "auto",
    seed: Annotated[int | None, typer.Option(help="seed for the generated work files")] = None,
) -> None:
    """Run the whole lifecycle on the embedded defaults and verify it against the reference model.

    The demo keeps out of your community's way: it runs in a data directory of its own (demo/ in
    yours), with its own anvil and IPFS store, and never reads or writes your manifests."""
    import os

    from starfish_dao.chain.backends import AnvilNode, connect
    from starfish_dao.demo import run_demo

    own = config.home() / "demo"
    os.environ["STARFISH_HOME"] = str(own)  # its own chain state, manifests, keys and blocks
    for setting in ("STARFISH_RPC_URL", "STARFISH_IPFS_API"):  # never the community's node or IPFS
        os.environ.pop(setting, None)
    was_running = AnvilNode.default().running()
    chain = connect(backend=backend)
    try:
        result = run_demo(chain, console, seed=seed)
    finally:
        node = getattr(chain, "node", None)
        if node is not None and not was_running and not keep_node:
            node.stop()
    console.print(f"the demo's data directory: {own} (yours is untouched); its DAO: "
                  f"`STARFISH_HOME={own} starfish status`", soft_wrap=True, highlight=False)  # fmt: skip
    node = getattr(chain, "node", None)
    if node is not None and node.running():
        console.print(f"its anvil keeps running at {node.url}: `STARFISH_HOME={own} starfish node stop` stops it",
                      soft_wrap=True, highlight=False)  # fmt: skip
    raise typer.Exit(0 if result.ok else 1)
