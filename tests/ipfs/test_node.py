"""Against a real IPFS node (Kubo RPC API) started by the test suite."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

from starfish_dao.domain.errors import CIDMismatch, IPFSError
from starfish_dao.domain.unixfs import CHUNK_SIZE, cid_of
from starfish_dao.ipfs import open_store
from starfish_dao.ipfs.kubo import KuboStore
from starfish_dao.ipfs.local import LocalStore
from tests.ipfs.jsipfs import IpfsDaemon

BLOB = random.Random(3).randbytes(2 * CHUNK_SIZE + 99)


def test_add_gives_the_locally_computed_cid(ipfs_node: IpfsDaemon, tmp_path: Path) -> None:
    node = KuboStore(ipfs_node.multiaddr)
    path = tmp_path / "work.bin"
    path.write_bytes(BLOB)
    for version in (1, 0):
        cid = node.add_file(path, cid_version=version)
        assert cid == cid_of(BLOB, version)
        assert node.cat(cid) == BLOB
        assert str(cid) in node.pins()
    embedded = LocalStore(tmp_path / "embedded").add_file(path)
    assert embedded == node.add_file(path)


def test_pin_unpin_and_status(ipfs_node: IpfsDaemon) -> None:
    node = KuboStore(ipfs_node.multiaddr)
    cid = node.add_bytes(b"pin me")
    assert str(cid) in node.pins()
    assert node.unpin(cid) is True
    assert str(cid) not in node.pins()
    node.pin(cid)
    assert str(cid) in node.pins()
    assert node.status(cid) == "ok"


def test_push_an_embedded_store_and_read_it_back(ipfs_node: IpfsDaemon, tmp_path: Path) -> None:
    local = LocalStore(tmp_path / "offline")
    data = random.Random(4).randbytes(3 * CHUNK_SIZE + 5)
    cid = local.add_bytes(data)
    v0 = local.add_bytes(b"offline v0", cid_version=0)
    node = KuboStore(ipfs_node.multiaddr)
    assert node.push(local, cid) == 5
    assert node.push(local, v0) == 1
    assert node.cat(cid) == data and node.cat(v0) == b"offline v0"
    assert str(cid) in node.pins()


def test_a_car_export_imports_on_the_node_side_identically(ipfs_node: IpfsDaemon, tmp_path: Path) -> None:
    local = LocalStore(tmp_path / "car")
    cid = local.add_bytes(BLOB)
    out = io.BytesIO()
    local.export_car([cid], out)
    again = LocalStore(tmp_path / "again")
    assert again.import_car(io.BytesIO(out.getvalue())) == [cid]
    assert KuboStore(ipfs_node.multiaddr).add_bytes(again.cat(cid)) == cid


def test_a_node_that_answers_a_different_cid_is_an_error(
    ipfs_node: IpfsDaemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    node = KuboStore(ipfs_node.multiaddr)
    real_add = node.client.add

    def lying_add(*args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs["chunker"] = "size-1024"  # the node chunks differently: another CID for the same bytes
        return real_add(*args, **kwargs)

    monkeypatch.setattr(node.client, "add", lying_add)
    blob = random.Random(5).randbytes(CHUNK_SIZE // 2)
    pins_before = node.pins()
    with pytest.raises(CIDMismatch, match="gave"):
        node.add_bytes(blob)
    assert node.pins() == pins_before  # the node's wrong CID was unpinned: nothing half-written


def test_node_down_and_unknown_cids_are_named(tmp_path: Path) -> None:
    down = KuboStore("/ip4/127.0.0.1/tcp/9/http", timeout=2)
    with pytest.raises(IPFSError, match="down or unreachable"):
        down.add_bytes(b"x")
    with pytest.raises(IPFSError):
        KuboStore("not a multiaddr")


def test_store_is_chosen_by_the_environment(ipfs_node: IpfsDaemon, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STARFISH_IPFS_API", ipfs_node.multiaddr)
    assert isinstance(open_store(), KuboStore)
    monkeypatch.delenv("STARFISH_IPFS_API")
    assert isinstance(open_store(), LocalStore)
