"""The embedded IPFS store: blocks in the data directory, a pin set, kubo's CIDs.

Blocks live at `<root>/blocks/<base32 CIDv1>`, written atomically; reading a block checks it
against its CID, so a corrupted file is an error, never silently wrong bytes.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from starfish_dao import config
from starfish_dao.domain import car
from starfish_dao.domain.errors import CIDMismatch, IPFSError
from starfish_dao.domain.unixfs import CID, DAG_PB, RAW, FileBuilder, parse_dag_pb, unixfs_data
from starfish_dao.ipfs import build_file


def _key(cid: CID) -> str:
    # one file per block whatever the CID version: v0 and v1 of a dag-pb block share it
    return str(CID(1, cid.codec, cid.digest))


_PINS_LOCK = threading.Lock()  # one pin set per store directory; a relay pins from several threads


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
        # a name of its own per writer: two threads adding the same bytes at once (a relay's uploads)
        # once shared one temporary file, and the second rename failed
        tmp = path.with_name(f"{path.name}.tmp{os.getpid()}-{threading.get_ident()}-{secrets.token_hex(4)}")
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
        cid = build_file(path, cid_version, sink=self.put_block)
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

    def _write_pins(self, pins: set[str]) -> None:
        tmp = self._pins_file.with_name(f"{self._pins_file.name}.tmp{os.getpid()}-{threading.get_ident()}")
        tmp.write_text(json.dumps(sorted(pins)))
        tmp.replace(self._pins_file)

    def pin(self, cid: CID) -> None:
        """Pins `cid`; every block under it must be present. Pins from several threads at once are
        all kept (the read, add and write of the pin set is one step)."""
        for _ in self.walk(cid):
            pass
        with _PINS_LOCK:
            self._write_pins(self.pins() | {str(cid)})

    def unpin(self, cid: CID) -> bool:
        pins = self.pins()
        if str(cid) not in pins:
            return False
        self._write_pins(pins - {str(cid)})
        return True

    def walk(self, root: CID) -> Iterator[tuple[CID, bytes]]:
        """Every block of the DAG under `root` (root first, depth first), each verified."""
        stack = [root]
        while stack:
            cid = stack.pop()
            block = self.get_block(cid)
            yield cid, block
            if cid.codec == DAG_PB:
                links, _ = parse_dag_pb(block)
                stack.extend(reversed(links))

    def gc(self) -> int:
        """Removes every block that no pin reaches; returns how many were removed."""
        keep: set[str] = set()
        for text in self.pins():
            keep.update(_key(cid) for cid, _ in self.walk(CID.parse(text)))
        removed = 0
        for path in self.blocks.iterdir():
            if path.name not in keep:
                path.unlink()
                removed += 1
        return removed

    def drop(self, root: CID) -> int:
        """Unpins `root` and removes its blocks that no other pin reaches (an add that was undone)."""
        self.unpin(root)
        keep: set[str] = set()
        for text in self.pins():
            keep.update(_key(cid) for cid, _ in self.walk(CID.parse(text)))
        removed = 0
        stack = [root]
        while stack:
            cid = stack.pop()
            path = self.blocks / _key(cid)
            if not path.exists():
                continue
            if cid.codec == DAG_PB:
                stack.extend(parse_dag_pb(path.read_bytes())[0])
            if path.name not in keep:
                path.unlink()
                removed += 1
        return removed

    def status(self, cid: CID) -> str:
        """ "ok" (every block present and intact), "missing" or "corrupt"."""
        try:
            for _ in self.walk(cid):
                pass
        except CIDMismatch:
            return "corrupt"
        except IPFSError:
            return "missing"
        return "ok"

    # CAR ------------------------------------------------------------------

    def export_car(self, roots: Iterable[CID], out: BinaryIO) -> int:
        """Writes a CAR v1 with every block under `roots`; returns the number of blocks."""
        roots = list(roots)
        out.write(car.header(roots))
        seen: set[str] = set()
        count = 0
        for root in roots:
            for cid, block in self.walk(root):
                if _key(cid) in seen:
                    continue
                seen.add(_key(cid))
                out.write(car.section(cid, block))
                count += 1
        return count

    def import_car(self, stream: BinaryIO, pin: bool = True) -> list[CID]:
        """Reads a CAR v1, verifying every block; pins its roots. Nothing is pinned if a block is bad."""
        roots, blocks = car.read(stream)
        for cid, block in blocks:
            self.put_block(cid, block)
        if pin:
            for root in roots:
                self.pin(root)
        return roots
