"""The inputs of the UnixFS vectors: deterministic bytes any implementation can regenerate.

`data(name)` returns the bytes of one vector: the concatenation of sha256(b"starfish:" + i as 8
big-endian bytes) for i = 0, 1, 2, ..., cut to the vector's size.
"""

from __future__ import annotations

import hashlib

CHUNK = 256 * 1024

SIZES = {
    "empty": 0,
    "small": 11,
    "one-chunk": CHUNK,
    "one-chunk-plus-one": CHUNK + 1,
    "several-chunks": 5 * CHUNK + 1000,
    "two-level-tree": 175 * CHUNK + 17,  # more than 174 chunks: a root over two interior nodes
}


def data(name: str) -> bytes:
    size = SIZES[name]
    out = bytearray()
    i = 0
    while len(out) < size:
        out += hashlib.sha256(b"starfish:" + i.to_bytes(8, "big")).digest()
        i += 1
    return bytes(out[:size])
