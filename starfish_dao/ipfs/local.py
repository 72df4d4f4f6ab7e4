"""The embedded IPFS store: blocks in the data directory, a pin set, kubo's CIDs.

Blocks live at `<root>/blocks/<base32 CIDv1>`, written atomically; reading a block checks it
against its CID, so a corrupted file is an error, never silently wrong bytes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

from starfish_dao import config
from starfish_dao.domain.errors import CIDMismatch, IPFSError
from starfish_dao.domain.unixfs import CID, DAG_PB, RAW, FileBuilder, parse_dag_pb, unixfs_data


def _key(cid: CID) -> str:
    # one file per block whatever the CID version: v0 and v1 of a dag-pb block share it
    return str(CID(1, cid.codec, cid.digest))


class LocalStore:
    """A content-addressed block store with pins."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or config.subdir("ipfs")
        self.blocks = self.root / "blocks"
        self.blocks.mkdir(parents=True, exist_ok=True)
        self._pins_file = self.root / "pins.json"

    # blocks ---------------------------------------------------------------

    def put_block(self, cid: CID, block: bytes) -> None:
        if not cid.verify(block):
            raise CIDMismatch(f"block does not hash to {cid}")
        path = self.blocks / _key(cid)
        if path.exists():
            return
        tmp = path.with_name(path.name + f".tmp{os.getpid()}")
        tmp.write_bytes(block)
        tmp.replace(path)

    def has(self, cid: CID) -> bool:
        return (self.blocks / _key(cid)).exists()

    def get_block(self, cid: CID) -> bytes:
        path = self.blocks / _key(cid)
        try:
            block = path.read_bytes()
        except FileNotFoundError:
            raise IPFSError(f"block {cid} is not in the local store") from None
        if not cid.verify(block):
            raise CIDMismatch(f"stored block {cid} is corrupted: its bytes hash to something else")
        return block

    # files ----------------------------------------------------------------

    def add_file(self, path: Path, cid_version: int = 1, pin: bool = True) -> CID:
        """Adds a file as `ipfs add` would (streaming); returns its root CID."""
        path = Path(path)
        if not path.is_file():
            raise IPFSError(f"no such file: {path}")
        builder = FileBuilder(cid_version, sink=self.put_block)
        try:
            with path.open("rb") as f:
                while chunk := f.read(1 << 20):
                    builder.update(chunk)
        except OSError as exc:
            raise IPFSError(f"cannot read {path}: {exc.strerror}") from exc
        cid = builder.finish().cid
        if pin:
            self.pin(cid)
        return cid

    def add_bytes(self, data: bytes, cid_version: int = 1, pin: bool = True) -> CID:
        builder = FileBuilder(cid_version, sink=self.put_block)
        builder.update(data)
        cid = builder.finish().cid
        if pin:
            self.pin(cid)
        return cid

    def cat_iter(self, cid: CID) -> Iterator[bytes]:
        block = self.get_block(cid)
        if cid.codec == RAW:
            yield block
            return
        if cid.codec != DAG_PB:
            raise IPFSError(f"{cid}: codec {cid.codec:#x} is not a UnixFS file")
        links, data = parse_dag_pb(block)
        if not links:
            yield unixfs_data(data)
            return
        for link in links:
            yield from self.cat_iter(link)

    def cat(self, cid: CID) -> bytes:
        return b"".join(self.cat_iter(cid))

    # pins -----------------------------------------------------------------

    def pins(self) -> set[str]:
        if not self._pins_file.exists():
            return set()
        return set(json.loads(self._pins_file.read_text()))

    def pin(self, cid: CID) -> None:
        pins = self.pins() | {str(cid)}
        tmp = self._pins_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(sorted(pins)))
        tmp.replace(self._pins_file)
