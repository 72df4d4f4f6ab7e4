"""The UnixFS builder against known kubo CIDs and against its own structure rules."""

from __future__ import annotations

import hashlib
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from starfish_dao.domain.unixfs import (
    CHUNK_SIZE,
    CID,
    DAG_PB,
    MAX_LINKS,
    RAW,
    FileBuilder,
    add_bytes,
    add_stream,
    base32,
    base32_decode,
    base58btc,
    base58btc_decode,
    cid_of,
    parse_dag_pb,
)

# Well-known CIDs that every kubo gives for these bytes.
KNOWN = [
    (b"", 1, "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"),
    (b"", 0, "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"),
    (b"hello world\n", 0, "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"),
]


@pytest.mark.parametrize(("data", "version", "expected"), KNOWN)
def test_known_cids(data: bytes, version: int, expected: str) -> None:
    assert str(cid_of(data, version)) == expected


def test_single_chunk_v1_is_a_raw_block() -> None:
    data = b"x" * CHUNK_SIZE
    cid = cid_of(data)
    assert cid.codec == RAW
    assert cid.digest == hashlib.sha256(data).digest()


def test_one_chunk_plus_one_byte_makes_a_two_leaf_node() -> None:
    blocks: dict[str, bytes] = {}
    link = add_bytes(b"a" * (CHUNK_SIZE + 1), sink=lambda c, b: blocks.__setitem__(str(c), b))
    assert link.cid.codec == DAG_PB
    links, _ = parse_dag_pb(blocks[str(link.cid)])
    assert [str(x) for x in links] == [str(cid_of(b"a" * CHUNK_SIZE)), str(cid_of(b"a"))]
    assert link.filesize == CHUNK_SIZE + 1


def _node_shapes(n_chunks: int) -> list[int]:
    """Number of links of every interior node, for a file of n distinct chunks."""
    blocks: dict[str, bytes] = {}
    builder = FileBuilder(sink=lambda c, b: blocks.__setitem__(str(c), b))
    for i in range(n_chunks):
        builder.update(i.to_bytes(4, "big") * (CHUNK_SIZE // 4))
    root = builder.finish().cid
    shapes = []
    stack = [root]
    while stack:
        cid = stack.pop()
        if cid.codec == RAW:
            continue
        links, _ = parse_dag_pb(blocks[str(cid)])
        shapes.append(len(links))
        stack.extend(links)
    return shapes


def test_balanced_layout_caps_links_and_grows_a_level() -> None:
    assert _node_shapes(MAX_LINKS) == [MAX_LINKS]
    # one more chunk than a full node: a root over a full node and a one-leaf node
    assert sorted(_node_shapes(MAX_LINKS + 1)) == [1, 2, MAX_LINKS]


def test_streaming_equals_whole() -> None:
    data = bytes(range(256)) * 5000  # ~1.2 MiB, five chunks
    assert add_stream(io.BytesIO(data), read_size=12345).cid == add_bytes(data).cid


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=64))
def test_cid_text_roundtrip(data: bytes) -> None:
    for version in (0, 1):
        cid = cid_of(data, version)
        assert CID.parse(str(cid)) == cid
        assert CID.from_bytes(cid.bytes) == cid


@settings(max_examples=100)
@given(st.binary(max_size=40))
def test_base_codecs_roundtrip(data: bytes) -> None:
    assert base32_decode(base32(data)) == data
    assert base58btc_decode(base58btc(data)) == data


def test_bad_cids_are_named() -> None:
    with pytest.raises(ValueError, match="not a valid CID"):
        CID.parse("hello")
    with pytest.raises(ValueError, match="not a valid CID"):
        CID.parse("b!!!")


def test_v0_cannot_have_raw_leaves() -> None:
    with pytest.raises(ValueError, match="raw leaves"):
        FileBuilder(0, raw_leaves=True)
