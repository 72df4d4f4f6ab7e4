"""Membership and voice: join, leave, delegate."""

from __future__ import annotations

from typing import Annotated

import typer

from starfish_dao.cli import relayed
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
    load_key,
)  # fmt: skip


def register(app: typer.Typer) -> None:
    app.command()(join)
    app.command()(leave)
    app.command()(delegate)


def join(
    rpc: RpcOpt = None, key_file: KeyOpt = None, deployments: DeplOpt = None, relay: RelayOpt = None,
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Join: mint your soulbound membership (no approval; through a relay you need no ETH)."""
    account = load_key(key_file)
    if relay:
        state = relayed.send(relay, account, "Join", quiet=as_json)
        found = relayed.mined_event(state, "membership", "Joined", rpc, deployments, member=account.address)
        number = int(found["tokenId"]) if found else None
        if number is None:  # this machine does not reach the chain: the relay's view, once it read the block
            seen = relayed.relay_view(state["relay"], state.get("block"), lambda r: r.member(account.address))
            number = int(seen["tokenId"]) if seen and seen.get("tokenId") else None
        emit({"member": account.address, "membership": number, "tx": state.get("txHash")}, as_json,
             lambda: console.print(f"joined: membership #{number}" if number else "joined"))  # fmt: skip
        return
    token_id = client(rpc, deployments).join(account)
    emit({"member": account.address, "membership": token_id}, as_json,
         lambda: console.print(f"joined: membership #{token_id}"))  # fmt: skip


def leave(
    rpc: RpcOpt = None, key_file: KeyOpt = None, deployments: DeplOpt = None, relay: RelayOpt = None,
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Leave: burn your membership. Your points and claims stay yours."""
    account = load_key(key_file)
    if relay:
        state = relayed.send(relay, account, "Leave", quiet=as_json)
        emit({"member": account.address, "tx": state.get("txHash")}, as_json,
             lambda: console.print("left; points and claims are kept"))  # fmt: skip
        return
    receipt = client(rpc, deployments).leave(account)
    emit({"member": account.address, "tx": receipt["transactionHash"]}, as_json,
         lambda: console.print("left; points and claims are kept"))  # fmt: skip


def delegate(
    to: Annotated[str, typer.Argument(metavar="MEMBER", help="the member who votes with your points (yourself: undo)")],
    rpc: RpcOpt = None,
    key_file: KeyOpt = None,
    deployments: DeplOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Lend your voice: your points vote through another member until you take them back."""
    from starfish_dao.chain.governance import Governance

    account = load_key(key_file)
    target = address(to, "the delegate")
    sf = client(rpc, deployments)
    Governance(sf).delegate(account, target)
    emit({"member": account.address, "delegate": target}, as_json, lambda: console.print(
        "your points vote for yourself again" if target == account.address
        else f"your points now vote through {target}"))  # fmt: skip
