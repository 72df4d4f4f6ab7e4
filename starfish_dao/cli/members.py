"""Membership and voice: join, leave, delegate."""

from __future__ import annotations

from typing import Annotated

import typer

from starfish_dao.cli import relayed
from starfish_dao.cli.common import DeplOpt, KeyOpt, RelayOpt, RpcOpt, address, client, console, load_key


def register(app: typer.Typer) -> None:
    app.command()(join)
    app.command()(leave)
    app.command()(delegate)


def join(rpc: RpcOpt = None, key_file: KeyOpt = None, deployments: DeplOpt = None, relay: RelayOpt = None) -> None:
    """Join: mint your soulbound membership (no approval; through a relay you need no ETH)."""
    account = load_key(key_file)
    if relay:
        relayed.send(relay, account, "Join")
        return
    token_id = client(rpc, deployments).join(account)
    console.print(f"joined: membership #{token_id}")


def leave(rpc: RpcOpt = None, key_file: KeyOpt = None, deployments: DeplOpt = None, relay: RelayOpt = None) -> None:
    """Leave: burn your membership. Your points and claims stay yours."""
    account = load_key(key_file)
    if relay:
        relayed.send(relay, account, "Leave")
        return
    client(rpc, deployments).leave(account)
    console.print("left; points and claims are kept")


def delegate(
    to: Annotated[str, typer.Argument(metavar="MEMBER", help="the member who votes with your points (yourself: undo)")],
    rpc: RpcOpt = None,
    key_file: KeyOpt = None,
    deployments: DeplOpt = None,
) -> None:
    """Lend your voice: your points vote through another member until you take them back."""
    from starfish_dao.chain.governance import Governance

    account = load_key(key_file)
    target = address(to, "the delegate")
    sf = client(rpc, deployments)
    Governance(sf).delegate(account, target)
    console.print("your points vote for yourself again" if target == account.address
                  else f"your points now vote through {target}")  # fmt: skip
