"""A real IPFS node through the Kubo RPC API (kubo, or anything speaking its API such as js-ipfs).

Uses `ipfshttpclient.Client(addr)` directly: its `connect()` refuses every modern daemon version.
Every add is checked: the CID the node reports must equal the one computed here from the same
bytes, or the add is undone and `CIDMismatch` raised. Every cat is verified against its CID.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from starfish_dao.domain.errors import CIDMismatch, IPFSError
from starfish_dao.domain.unixfs import CHUNK_SIZE, CID, RAW, add_bytes
from starfish_dao.ipfs import build_file
from starfish_dao.ipfs.local import LocalStore

DEFAULT_TIMEOUT = 60


def _client(addr: str, timeout: float) -> Any:
    import ipfshttpclient  # type: ignore[import-untyped]

    try:
        return ipfshttpclient.Client(addr, timeout=timeout)
    except Exception as exc:
        raise IPFSError(f"cannot reach an IPFS node at {addr}: {exc}") from exc


class KuboStore:
    """Artifacts on a real node. Same interface as `LocalStore` for add, cat, pin, unpin."""

    def __init__(self, addr: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.addr = addr
        self.client = _client(addr, timeout)

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            text = str(exc) or type(exc).__name__
            if "ConnectionError" in type(exc).__name__ or "connect" in text.lower():
                raise IPFSError(f"IPFS node at {self.addr} is down or unreachable ({what}): {text}") from exc
            raise IPFSError(f"IPFS {what} failed at {self.addr}: {text}") from exc

    def version(self) -> dict[str, Any]:
        return dict(self._call("version", self.client.version))

    def _add_options(self, cid_version: int) -> dict[str, Any]:
        return {
            "cid_version": cid_version,
            "raw_leaves": cid_version == 1,
            "chunker": f"size-{CHUNK_SIZE}",
            "pin": True,
        }

    def _check(self, reported: str, expected: CID) -> CID:
        got = CID.parse(reported)
        if got != expected:
            self._call("unpin after a mismatch", self.client.pin.rm, reported)
            raise CIDMismatch(f"the node at {self.addr} gave {got} for bytes whose CID is {expected}")
        return got

    def add_file(self, path: Path, cid_version: int = 1, pin: bool = True) -> CID:
        expected = build_file(path, cid_version)
        with path.open("rb") as f:
            out = self._call("add", self.client.add, f, **self._add_options(cid_version))
        return self._check(out["Hash"], expected)

    def add_bytes(self, data: bytes, cid_version: int = 1, pin: bool = True) -> CID:
        expected = add_bytes(data, cid_version).cid
        out = self._call("add", self.client.add, io.BytesIO(data), **self._add_options(cid_version))
        return self._check(out["Hash"], expected)

    def cat(self, cid: CID) -> bytes:
        data: bytes = self._call("cat", self.client.cat, str(cid))
        if add_bytes(data, cid.version).cid != cid:
            raise CIDMismatch(f"the node at {self.addr} returned bytes for {cid} that hash to something else")
        return data

    def get_block(self, cid: CID) -> bytes:
        """One block (`block/get`), verified against its CID."""
        block: bytes = self._call("block get", self.client.block.get, str(cid))
        if not cid.verify(block):
            raise CIDMismatch(f"the node at {self.addr} returned a block for {cid} that hashes to something else")
        return block

    def has(self, cid: CID) -> bool:
        try:
            self._call("block stat", self.client.block.stat, str(cid), timeout=5)
        except IPFSError:
            return False
        return True

    def pin(self, cid: CID) -> None:
        self._call("pin", self.client.pin.add, str(cid))

    def unpin(self, cid: CID) -> bool:
        try:
            self._call("unpin", self.client.pin.rm, str(cid))
        except IPFSError:
            return False
        return True

    def pins(self) -> set[str]:
        out = self._call("pin ls", self.client.pin.ls, type="recursive")
        return {str(CID.parse(k)) for k in out.get("Keys", {})}

    def status(self, cid: CID) -> str:
        try:
            self.cat(cid)
        except CIDMismatch:
            return "corrupt"
        except IPFSError:
            return "missing"
        return "ok"

    def push(self, local: LocalStore, root: CID) -> int:
        """Copies the DAG under `root` from the embedded store to the node (block put), then pins it."""
        count = 0
        for cid, block in local.walk(root):
            opts = {"format": "raw" if cid.codec == RAW else "dag-pb", "mhtype": "sha2-256", "version": cid.version}
            out = self._call("block put", self.client.block.put, io.BytesIO(block), opts=opts)
            if CID.parse(out["Key"]).digest != cid.digest:
                raise CIDMismatch(f"the node stored block {cid} as {out['Key']}")
            count += 1
        self.pin(root)
        return count
