"""CAR v1 (content-addressed archives), the format pinning services accept. Pure: bytes in, bytes out.

A CAR v1 file is a varint-prefixed DAG-CBOR header `{"roots": [CID], "version": 1}` followed by
varint-prefixed sections, each a binary CID and its block.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import BinaryIO

from starfish_dao.domain.errors import CIDMismatch, IPFSError
from starfish_dao.domain.unixfs import CID, read_varint, varint


def _cbor_head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | info]) + n.to_bytes(size, "big")
    raise ValueError("CBOR length too large")


def header(roots: Iterable[CID]) -> bytes:
    """DAG-CBOR of {"roots": [...], "version": 1} (keys in canonical order: shorter first)."""
    roots = list(roots)
    body = _cbor_head(5, 2)
    body += _cbor_head(3, 5) + b"roots" + _cbor_head(4, len(roots))
    for root in roots:
        link = b"\x00" + root.bytes  # tag 42: a CID, with the multibase identity prefix
        body += b"\xd8\x2a" + _cbor_head(2, len(link)) + link
    body += _cbor_head(3, 7) + b"version" + _cbor_head(0, 1)
    return varint(len(body)) + body


def section(cid: CID, block: bytes) -> bytes:
    data = cid.bytes + block
    return varint(len(data)) + data


def _read_varint_stream(stream: BinaryIO) -> int | None:
    value = shift = 0
    while True:
        b = stream.read(1)
        if not b:
            if shift == 0:
                return None
            raise IPFSError("truncated CAR file: a length prefix is cut off")
        value |= (b[0] & 0x7F) << shift
        if not b[0] & 0x80:
            return value
        shift += 7


def _parse_header(data: bytes) -> list[CID]:
    """Reads the roots from a CAR v1 header (the subset of DAG-CBOR a header uses)."""
    pos = 0

    def head() -> tuple[int, int]:
        nonlocal pos
        first = data[pos]
        pos += 1
        major, info = first >> 5, first & 31
        if info < 24:
            return major, info
        size = {24: 1, 25: 2, 26: 4, 27: 8}.get(info)
        if size is None:
            raise IPFSError("CAR header: unsupported CBOR item")
        n = int.from_bytes(data[pos : pos + size], "big")
        pos += size
        return major, n

    major, entries = head()
    if major != 5:
        raise IPFSError("CAR header is not a map")
    roots: list[CID] = []
    version = None
    for _ in range(entries):
        major, n = head()
        key = data[pos : pos + n].decode()
        pos += n
        if key == "roots":
            major, count = head()
            for _ in range(count):
                major, tag = head()
                major, n = head()
                if tag != 42 or major != 2 or data[pos] != 0:
                    raise IPFSError("CAR header: a root is not a CID")
                roots.append(CID.from_bytes(data[pos + 1 : pos + n]))
                pos += n
        elif key == "version":
            major, version = head()
        else:
            raise IPFSError(f"CAR header: unexpected key {key!r}")
    if version != 1:
        raise IPFSError(f"only CAR v1 is supported (this one says version {version})")
    return roots


def _split_cid(data: bytes) -> tuple[CID, bytes]:
    if data[:2] == b"\x12\x20":  # CIDv0: a bare sha2-256 multihash
        return CID.from_bytes(data[:34]), data[34:]
    pos = 0
    for _ in range(3):  # version, codec, hash code
        _, pos = read_varint(data, pos)
    length, pos = read_varint(data, pos)
    end = pos + length
    return CID.from_bytes(data[:end]), data[end:]


def read(stream: BinaryIO) -> tuple[list[CID], Iterator[tuple[CID, bytes]]]:
    """The roots, and an iterator of verified (CID, block) pairs; a block that does not match raises."""
    n = _read_varint_stream(stream)
    if n is None:
        raise IPFSError("empty CAR file")
    roots = _parse_header(stream.read(n))

    def blocks() -> Iterator[tuple[CID, bytes]]:
        while (length := _read_varint_stream(stream)) is not None:
            data = stream.read(length)
            if len(data) != length:
                raise IPFSError("truncated CAR file: a block is cut off")
            cid, block = _split_cid(data)
            if not cid.verify(block):
                raise CIDMismatch(f"CAR block {cid} does not hash to its CID")
            yield cid, block

    return roots, blocks()
