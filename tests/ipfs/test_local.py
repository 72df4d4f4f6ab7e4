"""The embedded store: add, cat (verified), pins, garbage collection, CAR export and import."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

from starfish_dao.domain import car
from starfish_dao.domain.errors import CIDMismatch, IPFSError
from starfish_dao.domain.unixfs import CHUNK_SIZE, CID, cid_of
from starfish_dao.ipfs.local import LocalStore

BIG = random.Random(1).randbytes(3 * CHUNK_SIZE + 4)  # four distinct chunks: a real tree


@pytest.fixture()
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "ipfs")


def test_add_file_and_cat(store: LocalStore, tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(BIG)
    cid = store.add_file(path)
    assert cid == cid_of(BIG)
    assert store.cat(cid) == BIG
    assert str(cid) in store.pins()
    assert store.status(cid) == "ok"
    v0 = store.add_file(path, cid_version=0)
    assert str(v0).startswith("Qm") and store.cat(v0) == BIG


def test_missing_file_and_missing_cid_are_named(store: LocalStore, tmp_path: Path) -> None:
    with pytest.raises(IPFSError, match="no such file"):
        store.add_file(tmp_path / "nope")
    unknown = cid_of(b"never added")
    with pytest.raises(IPFSError, match="not in the local store"):
        store.cat(unknown)
    assert store.status(unknown) == "missing"


def test_corruption_is_detected(store: LocalStore) -> None:
    cid = store.add_bytes(BIG)
    victim = next(p for p in store.blocks.iterdir() if p.stat().st_size == CHUNK_SIZE)
    victim.write_bytes(b"x" * CHUNK_SIZE)
    with pytest.raises(CIDMismatch):
        store.cat(cid)
    assert store.status(cid) == "corrupt"


def test_put_block_refuses_wrong_bytes(store: LocalStore) -> None:
    with pytest.raises(CIDMismatch):
        store.put_block(cid_of(b"a"), b"b")


def test_gc_keeps_pinned_and_removes_the_rest(store: LocalStore) -> None:
    kept = store.add_bytes(BIG)
    dropped = store.add_bytes(b"temporary", pin=False)
    assert store.gc() == 1
    assert store.status(kept) == "ok" and store.status(dropped) == "missing"
    assert store.unpin(kept) is True and store.unpin(kept) is False
    assert store.gc() == 5  # root + four leaves
    assert list(store.blocks.iterdir()) == []


def test_car_roundtrip_between_stores(store: LocalStore, tmp_path: Path) -> None:
    a = store.add_bytes(BIG)
    b = store.add_bytes(b"small", cid_version=0)
    out = io.BytesIO()
    assert store.export_car([a, b], out) == 6
    other = LocalStore(tmp_path / "other")
    roots = other.import_car(io.BytesIO(out.getvalue()))
    assert roots == [a, b]
    assert other.cat(a) == BIG and other.cat(b) == b"small"
    assert {str(a), str(b)} <= other.pins()


def test_car_header_is_canonical_dag_cbor() -> None:
    root = CID.parse("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku")
    head = car.header([root])
    # a2 (map of 2) 65 "roots" 81 (array of 1) d82a (tag 42) 5825 (bytes, 37) 00 <cid> 67 "version" 01
    assert head[1:9] == bytes.fromhex("a265726f6f747381") and head[9:13] == bytes.fromhex("d82a5825")
    assert head.endswith(bytes.fromhex("6776657273696f6e01"))


def test_a_tampered_car_imports_nothing(store: LocalStore, tmp_path: Path) -> None:
    cid = store.add_bytes(BIG)
    out = io.BytesIO()
    store.export_car([cid], out)
    data = bytearray(out.getvalue())
    data[-10] ^= 0xFF
    other = LocalStore(tmp_path / "other")
    with pytest.raises(CIDMismatch):
        other.import_car(io.BytesIO(bytes(data)))
    assert other.pins() == set()
    with pytest.raises(IPFSError, match="empty CAR"):
        other.import_car(io.BytesIO(b""))


def test_drop_removes_an_undone_add_but_keeps_what_other_pins_need(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An interrupted `contribute` undoes its pin and leaves no stray blocks; shared blocks stay."""
    import os

    from starfish_dao.ipfs.local import LocalStore

    store = LocalStore(tmp_path)
    shared = os.urandom(256 * 1024)  # one whole chunk: the same leaf block in both files
    kept = store.add_bytes(shared + b"kept")
    undone = store.add_bytes(shared + b"undone")
    before = len(list(store.blocks.iterdir()))
    assert store.drop(undone) == 2  # its root and its own last leaf; the shared leaf stays
    assert len(list(store.blocks.iterdir())) == before - 2
    assert store.status(kept) == "ok" and store.status(undone) == "missing"


def test_the_same_bytes_added_from_many_threads_at_once_are_stored_and_pinned(tmp_path: Path) -> None:
    """A page opening a sealed rating uploaded its comment twice at once (its own reveal and the
    one it runs on every load): the two writers shared one temporary file name, and the second
    upload failed. Every writer now has its own, and every pin from any thread is kept."""
    import threading

    store = LocalStore(tmp_path / "store")
    same, errors = b"Clear and useful.", []
    distinct = [f"comment {i}".encode() for i in range(8)]

    def add(data: bytes) -> None:
        try:
            store.add_bytes(data)
        except Exception as exc:  # noqa: BLE001 - collected, asserted below
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(d,)) for d in [same] * 8 + distinct]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    pinned = store.pins()
    assert {str(store.add_bytes(d)) for d in [same, *distinct]} <= pinned
    assert not [p for p in (tmp_path / "store" / "blocks").iterdir() if ".tmp" in p.name]
