"""Artifact stores: the embedded block store (default) and a real node through the Kubo RPC API."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from starfish_dao.domain.errors import IPFSError
from starfish_dao.domain.unixfs import CID, BlockSink, FileBuilder

IPFS_API_ENV = "STARFISH_IPFS_API"


class ArtifactStore(Protocol):
    """What the toolkit needs from IPFS."""

    def add_file(self, path: Path, cid_version: int = 1, pin: bool = True) -> CID: ...

    def add_bytes(self, data: bytes, cid_version: int = 1, pin: bool = True) -> CID: ...

    def cat(self, cid: CID) -> bytes: ...

    def pin(self, cid: CID) -> None: ...

    def unpin(self, cid: CID) -> bool: ...

    def status(self, cid: CID) -> str: ...


def build_file(path: Path, cid_version: int = 1, sink: BlockSink | None = None) -> CID:
    """Streams the file at `path` through the UnixFS builder (1 MiB reads); its root CID."""
    return build_artifact(path, cid_version, sink)[0]


def build_artifact(
    path: Path,
    cid_version: int = 1,
    sink: BlockSink | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[CID, bytes]:
    """Streams the file at `path` through the UnixFS builder (1 MiB reads): its root CID and the
    sha256 of its bytes (its content hash). `progress` is called with each read's size."""
    path = Path(path)
    if path.is_dir():
        raise IPFSError(f"{path} is a directory: give a file (pack a folder with tar or zip first)")
    if not path.is_file():
        raise IPFSError(f"no such file: {path}")
    builder = FileBuilder(cid_version, sink=sink, content_hash=True)
    try:
        with path.open("rb") as f:
            while chunk := f.read(1 << 20):
                builder.update(chunk)
                if progress is not None:
                    progress(len(chunk))
    except OSError as exc:
        raise IPFSError(f"cannot read {path}: {exc.strerror}") from exc
    return builder.finish().cid, builder.content_hash


def open_store(api: str | None = None) -> ArtifactStore:
    """The real node at `api` (a multiaddr) or $STARFISH_IPFS_API; otherwise the embedded store."""
    addr = api or os.environ.get(IPFS_API_ENV)
    if addr:
        from starfish_dao.ipfs.kubo import KuboStore

        return KuboStore(addr)
    from starfish_dao.ipfs.local import LocalStore

    return LocalStore()
