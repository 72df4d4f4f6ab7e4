"""The managed local anvil: start, stop, status, advance its clock, fund an account."""

from __future__ import annotations

import re
from typing import Annotated

import typer

from starfish_dao.cli.common import JsonOpt, RpcOpt, address, console, emit, fail, money, to_wei

node_app = typer.Typer(help="The managed local anvil node (state kept in the data directory).", no_args_is_help=True)

_UNITS = {"s": 1, "min": 60, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def register(app: typer.Typer) -> None:
    app.add_typer(node_app, name="node")


def parse_duration(text: str) -> int:
    """`259200`, `3d`, `72h`, `1w 2d`, `90min`: seconds."""
    text = text.strip().lower()
    if text.isdigit():
        return int(text)
    parts = re.findall(r"(\d+)\s*(min|s|m|h|d|w)", text)
    if not parts or re.sub(r"(\d+)\s*(min|s|m|h|d|w)|\s+", "", text):
        fail(f"{text!r} is not a duration: give seconds, or e.g. 3d, 72h, 1w 2d, 90min")
    return sum(int(n) * _UNITS[unit] for n, unit in parts)


@node_app.command("start")
def node_start() -> None:
    """Start the managed anvil (or report the one running); its state and clock resume."""
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
def node_status(as_json: JsonOpt = False) -> None:
    """Whether the managed anvil runs, where, and its chain time."""
    from starfish_dao.chain.backends import AnvilNode

    node = AnvilNode.default()
    running = node.running()
    data = {"running": running, "url": node.url if running else None, "pid": node.pid if running else None}
    emit(data, as_json, lambda: console.print(f"running at {node.url} (pid {node.pid})" if running else "not running"))


@node_app.command("advance")
def node_advance(
    duration: Annotated[str, typer.Argument(help="seconds, or 3d, 72h, 1w, 90min")], as_json: JsonOpt = False
) -> None:
    """Move a dev chain's clock forward (evm_increaseTime) and mine a block."""
    from starfish_dao.cli.common import chain
    from starfish_dao.cli.common import duration as span
    from starfish_dao.domain.units import local_time

    seconds = parse_duration(duration)
    backend = chain()
    backend.increase_time(seconds)
    block = backend.w3.eth.get_block("latest")
    number, timestamp = int(block["number"]), int(block["timestamp"])
    emit({"seconds": seconds, "block": number, "timestamp": timestamp}, as_json, lambda: console.print(
        f"advanced {span(seconds, exact=True)}: the chain's clock now reads {local_time(timestamp)} "
        f"(block {number})", highlight=False))  # fmt: skip


@node_app.command("fund")
def node_fund(
    who: Annotated[str, typer.Argument(metavar="ADDRESS", help="the account to fund")],
    amount: Annotated[str, typer.Argument(help="ETH")] = "10",
    rpc: RpcOpt = None,
) -> None:
    """Give an account test ETH on a dev chain (anvil_setBalance: it sets the balance)."""
    from starfish_dao.cli.common import chain

    target = address(who, "the account")
    wei = to_wei(amount, what="the amount")
    backend = chain(rpc)
    try:
        backend.fund(target, wei)
    except Exception as exc:  # noqa: BLE001 - a real chain refuses
        fail(f"this node cannot fund accounts ({exc}): on a real chain, send ETH from a funded wallet")
    console.print(f"{target} now holds {money(int(backend.w3.eth.get_balance(target)))}")  # type: ignore[arg-type]
