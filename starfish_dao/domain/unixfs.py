"""Content addressing as kubo's `ipfs add` does it, in pure Python and constant memory.

UnixFS files: fixed 256 KiB chunks, balanced layout, at most 174 links per node, sha2-256.
CIDv1 with raw leaves (base32, `bafk...`/`bafy...`) by default; CIDv0 (`Qm...`, dag-pb leaves) on
request. Blocks are handed to an optional sink as they are made, so a store can keep them.
"""

from __future__ import annotations

import builtins
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import BinaryIO

CHUNK_SIZE = 256 * 1024
MAX_LINKS = 174

RAW = 0x55
DAG_PB = 0x70
SHA2_256 = 0x12

_B32_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

BlockSink = Callable[["CID", bytes], None]


# ----------------------------------------------------------------- varints and protobuf


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def _field_bytes(number: int, payload: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def _field_varint(number: int, value: int) -> bytes:
    return varint(number << 3) + varint(value)


# ----------------------------------------------------------------- CIDs


@dataclass(frozen=True)
class CID:
    """A CID: version, codec and the sha2-256 digest of the block."""

    version: int
    codec: int
    digest: builtins.bytes

    @property
    def multihash(self) -> builtins.bytes:
        return bytes([SHA2_256, len(self.digest)]) + self.digest

    @property
    def bytes(self) -> builtins.bytes:
        """The binary form (what the contracts receive). CIDv0 is the bare multihash."""
        if self.version == 0:
            return self.multihash
        return varint(1) + varint(self.codec) + self.multihash

    def __str__(self) -> str:
        if self.version == 0:
            return base58btc(self.multihash)
        return "b" + base32(self.bytes)

    @classmethod
    def of(cls, block: builtins.bytes, codec: int, version: int = 1) -> CID:
        if version == 0 and codec != DAG_PB:
            raise ValueError("CIDv0 is dag-pb only")
        return cls(version, codec, hashlib.sha256(block).digest())

    @classmethod
    def from_bytes(cls, data: builtins.bytes) -> CID:
        if len(data) == 34 and data[0] == SHA2_256 and data[1] == 32:
            return cls(0, DAG_PB, data[2:])
        version, pos = read_varint(data, 0)
        if version != 1:
            raise ValueError(f"unsupported CID version {version}")
        codec, pos = read_varint(data, pos)
        code, pos = read_varint(data, pos)
        length, pos = read_varint(data, pos)
        if code != SHA2_256 or length != 32 or len(data) != pos + 32:
            raise ValueError("only sha2-256 CIDs are supported")
        return cls(1, codec, data[pos:])

    @classmethod
    def parse(cls, text: str) -> CID:
        """Reads `Qm...` (v0), base32 `b...` or base58btc `z...` (v1)."""
        text = text.strip()
        try:
            if text.startswith("Qm") and len(text) == 46:
                return cls.from_bytes(base58btc_decode(text))
            if text.startswith("b"):
                return cls.from_bytes(base32_decode(text[1:]))
            if text.startswith("z"):  # base58btc multibase, as older nodes (js-ipfs) print CIDv1
                return cls.from_bytes(base58btc_decode(text[1:]))
        except ValueError as exc:
            raise ValueError(f"not a valid CID: {text!r} ({exc})") from exc
        raise ValueError(f"not a valid CID: {text!r} (expected Qm..., base32 b... or base58btc z...)")

    def verify(self, block: builtins.bytes) -> bool:
        return hashlib.sha256(block).digest() == self.digest


def base32(data: bytes) -> str:
    bits = int.from_bytes(data, "big")
    nbits = len(data) * 8
    pad = (5 - nbits % 5) % 5
    bits <<= pad
    n = (nbits + pad) // 5
    return "".join(_B32_ALPHABET[(bits >> (5 * (n - 1 - i))) & 31] for i in range(n))


def base32_decode(text: str) -> bytes:
    bits = 0
    for ch in text:
        idx = _B32_ALPHABET.find(ch)
        if idx < 0:
            raise ValueError(f"bad base32 character {ch!r}")
        bits = bits << 5 | idx
    nbits = len(text) * 5
    nbytes = nbits // 8
    return (bits >> (nbits - nbytes * 8)).to_bytes(nbytes, "big")


def base58btc(data: bytes) -> str:
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = _B58_ALPHABET[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def base58btc_decode(text: str) -> bytes:
    n = 0
    for ch in text:
        idx = _B58_ALPHABET.find(ch)
        if idx < 0:
            raise ValueError(f"bad base58 character {ch!r}")
        n = n * 58 + idx
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


# ----------------------------------------------------------------- UnixFS and dag-pb


def unixfs_file(data: bytes = b"", filesize: int = 0, blocksizes: Iterable[int] = ()) -> bytes:
    """UnixFS `Data` message of type File (2)."""
    out = _field_varint(1, 2)
    if data:
        out += _field_bytes(2, data)
    out += _field_varint(3, filesize)
    for size in blocksizes:
        out += _field_varint(4, size)
    return out


@dataclass(frozen=True)
class Link:
    cid: CID
    tsize: int  # bytes of the child block and everything under it
    filesize: int  # file bytes under the child


def dag_pb(links: Iterable[Link], data: bytes) -> bytes:
    """A dag-pb node: links first (field 2), then data (field 1), as go-merkledag writes it."""
    out = b""
    for link in links:
        out += _field_bytes(2, _field_bytes(1, link.cid.bytes) + _field_bytes(2, b"") + _field_varint(3, link.tsize))
    return out + _field_bytes(1, data)


def parse_dag_pb(block: bytes) -> tuple[list[CID], bytes]:
    """The link CIDs and the data of a dag-pb node."""
    links: list[CID] = []
    data = b""
    pos = 0
    while pos < len(block):
        key, pos = read_varint(block, pos)
        length, pos = read_varint(block, pos)
        payload = block[pos : pos + length]
        pos += length
        if key == (2 << 3 | 2):
            inner = 0
            while inner < len(payload):
                k, inner = read_varint(payload, inner)
                if k & 7 == 2:
                    n, inner = read_varint(payload, inner)
                    if k >> 3 == 1:
                        links.append(CID.from_bytes(payload[inner : inner + n]))
                    inner += n
                else:
                    _, inner = read_varint(payload, inner)
        elif key == (1 << 3 | 2):
            data = payload
    return links, data


def unixfs_data(data: bytes) -> bytes:
    """The file bytes a UnixFS leaf node carries (field 2 of its Data)."""
    pos = 0
    while pos < len(data):
        key, pos = read_varint(data, pos)
        if key & 7 == 2:
            n, pos = read_varint(data, pos)
            if key >> 3 == 2:
                return data[pos : pos + n]
            pos += n
        else:
            _, pos = read_varint(data, pos)
    return b""


def file_size(cid: CID, root_block: bytes) -> int:
    """The bytes of the file whose root block is `root_block`: a raw leaf's length, or a dag-pb
    node's UnixFS `filesize` (field 3 of its Data; else the sum of its `blocksizes`, else its data)."""
    if cid.codec == RAW:
        return len(root_block)
    _, data = parse_dag_pb(root_block)
    pos, filesize, blocksizes, inline = 0, None, 0, 0
    while pos < len(data):
        key, pos = read_varint(data, pos)
        if key & 7 == 2:
            n, pos = read_varint(data, pos)
            if key >> 3 == 2:
                inline = n
            pos += n
        else:
            value, pos = read_varint(data, pos)
            if key >> 3 == 3:
                filesize = value
            elif key >> 3 == 4:
                blocksizes += value
    return filesize if filesize is not None else (blocksizes or inline)


# ----------------------------------------------------------------- the builder


class FileBuilder:
    """Feeds bytes in, yields the root CID; memory is O(depth * 174 links) whatever the size."""

    def __init__(
        self,
        cid_version: int = 1,
        raw_leaves: bool | None = None,
        sink: BlockSink | None = None,
        content_hash: bool = False,
    ) -> None:
        if cid_version not in (0, 1):
            raise ValueError("cid_version must be 0 or 1")
        self.version = cid_version
        self.raw_leaves = (cid_version == 1) if raw_leaves is None else raw_leaves
        if self.version == 0 and self.raw_leaves:
            raise ValueError("CIDv0 cannot have raw leaves")
        self.sink = sink
        self._levels: list[list[Link]] = [[]]
        self._buffer = bytearray()
        self.size = 0
        # the sha256 of the bytes themselves: the artifact's identity whatever the CID's encoding
        self._content = hashlib.sha256() if content_hash else None

    @property
    def content_hash(self) -> bytes:
        """sha256 of every byte fed so far (only with `content_hash=True`)."""
        if self._content is None:
            raise ValueError("this builder was made without content_hash=True")
        return self._content.digest()

    def _emit(self, cid: CID, block: bytes) -> None:
        if self.sink is not None:
            self.sink(cid, block)

    def _leaf(self, chunk: bytes | memoryview) -> Link:
        # Hash the pieces in place rather than building the block, unless a sink wants the block:
        # this keeps the builder close to raw sha256 speed.
        size = len(chunk)
        if self.raw_leaves:
            cid = CID(1, RAW, hashlib.sha256(chunk).digest())
            if self.sink is not None:
                self.sink(cid, bytes(chunk))
            return Link(cid, size, size)
        # dag-pb leaf: PBNode{Data: UnixFS{Type: File, Data: chunk, filesize}}
        inner_head = _field_varint(1, 2) + (varint(2 << 3 | 2) + varint(size) if size else b"")
        inner_tail = _field_varint(3, size)
        inner_len = len(inner_head) + (size if size else 0) + len(inner_tail)
        head = varint(1 << 3 | 2) + varint(inner_len) + inner_head
        h = hashlib.sha256(head)
        h.update(chunk)
        h.update(inner_tail)
        cid = CID(self.version, DAG_PB, h.digest())
        block_len = len(head) + size + len(inner_tail)
        if self.sink is not None:
            self.sink(cid, head + bytes(chunk) + inner_tail)
        return Link(cid, block_len, size)

    def _node(self, links: list[Link]) -> Link:
        filesize = sum(link.filesize for link in links)
        block = dag_pb(links, unixfs_file(b"", filesize, (link.filesize for link in links)))
        cid = CID.of(block, DAG_PB, self.version)
        self._emit(cid, block)
        return Link(cid, len(block) + sum(link.tsize for link in links), filesize)

    def _push(self, level: int, link: Link) -> None:
        if level == len(self._levels):
            self._levels.append([])
        self._levels[level].append(link)
        if len(self._levels[level]) == MAX_LINKS:
            node = self._node(self._levels[level])
            self._levels[level] = []
            self._push(level + 1, node)

    def update(self, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data)
        self.size += len(view)
        if self._content is not None:
            self._content.update(view)
        if self._buffer:
            need = CHUNK_SIZE - len(self._buffer)
            self._buffer += view[:need]
            view = view[need:]
            if len(self._buffer) < CHUNK_SIZE:
                return
            self._push(0, self._leaf(bytes(self._buffer)))
            self._buffer = bytearray()
        while len(view) >= CHUNK_SIZE:
            self._push(0, self._leaf(view[:CHUNK_SIZE]))
            view = view[CHUNK_SIZE:]
        self._buffer += view

    def finish(self) -> Link:
        if self._buffer or self.size == 0:
            self._push(0, self._leaf(bytes(self._buffer)))
            self._buffer.clear()
        level = 0
        while True:
            top = len(self._levels) - 1
            links = self._levels[level]
            if level == top and len(links) == 1:
                return links[0]
            if links:
                self._levels[level] = []
                self._push(level + 1, self._node(links))
            level += 1


def add_stream(
    stream: BinaryIO, cid_version: int = 1, sink: BlockSink | None = None, read_size: int = 4 * CHUNK_SIZE
) -> Link:
    builder = FileBuilder(cid_version, sink=sink)
    while chunk := stream.read(read_size):
        builder.update(chunk)
    return builder.finish()


def add_bytes(data: bytes, cid_version: int = 1, sink: BlockSink | None = None) -> Link:
    builder = FileBuilder(cid_version, sink=sink)
    builder.update(data)
    return builder.finish()


def cid_text(raw: bytes, otherwise: str = "") -> str:
    """A CID's bytes as its text (`b...`, `Qm...`), or `otherwise` when the bytes are not a CID."""
    try:
        return str(CID.from_bytes(raw))
    except (ValueError, IndexError):
        return otherwise


def cid_of(data: bytes, cid_version: int = 1) -> CID:
    return add_bytes(data, cid_version).cid


def content_hash(data: bytes) -> bytes:
    """An artifact's identity on-chain: the sha256 of its bytes (the same for CIDv0 and CIDv1)."""
    return hashlib.sha256(data).digest()
