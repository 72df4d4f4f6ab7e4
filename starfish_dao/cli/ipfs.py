"""Artifacts: the embedded block store, or a real node when $STARFISH_IPFS_API is set."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from starfish_dao.cli.common import IpfsOpt, console, fail

ipfs_app = typer.Typer(help="Artifacts: the embedded store, or a real node when $STARFISH_IPFS_API is set.",
                       no_args_is_help=True)  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(ipfs_app, name="ipfs")


@ipfs_app.command("add")
def ipfs_add(
    file: Path,
    cid_version: Annotated[int, typer.Option(min=0, max=1, help="0 (Qm...) or 1 (bafy..., raw leaves)")] = 1,
    pin: Annotated[bool, typer.Option("--pin/--no-pin", help="pin it (default)")] = True,
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
        fail(f"no such file: {file}")
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
        fail("push needs a node: pass --ipfs-api /ip4/127.0.0.1/tcp/5001 or set STARFISH_IPFS_API")
    node, local = KuboStore(str(ipfs_api)), LocalStore()
    for text in cids:
        count = node.push(local, _cid(text, CID))
        console.print(f"pushed {text}: {count} blocks, pinned on {ipfs_api}")


def _cid(text: str, cls: Any) -> Any:
    try:
        return cls.parse(text)
    except ValueError as exc:
        fail(str(exc))
