"""A managed anvil keeps nothing outside its data directory, and removes what it wrote of old
block states when it stops (anvil itself leaves them in `$HOME/.foundry/anvil/tmp` for ever: 60 GB
of them once filled this machine's disk and failed a CI run)."""

from __future__ import annotations

from pathlib import Path

from starfish_dao.chain.backends import AnvilNode, RpcBackend


def _files(root: Path) -> int:
    return sum(1 for p in root.rglob("*") if p.is_file())


def _spill_old_states(node: AnvilNode) -> None:
    """anvil keeps about 500 blocks' states in memory and writes older ones to disk."""
    w3 = RpcBackend(node.url, node=node).w3
    sender, receiver = w3.eth.accounts[0], "0x" + "11" * 20
    for _ in range(600):
        w3.eth.send_transaction({"from": sender, "to": receiver, "value": 1})


def test_old_block_states_live_in_the_data_directory_and_go_with_the_node(tmp_path: Path) -> None:
    node = AnvilNode(tmp_path / "anvil", persist=False).start()
    try:
        environ = Path(f"/proc/{node.pid}/environ").read_bytes().split(b"\0")
        assert f"HOME={tmp_path / 'anvil' / 'home'}".encode() in environ
        _spill_old_states(node)
        assert _files(tmp_path / "anvil" / "home") > 0, "anvil wrote no old state: the test proves nothing"
    finally:
        node.stop()
    assert not (tmp_path / "anvil" / "home").exists()
    assert (tmp_path / "anvil" / "anvil.log").exists(), "the rest of the data directory stays"


def test_a_scratch_node_removes_its_whole_directory() -> None:
    node = AnvilNode.scratch("anvil-test-").start()
    directory = node.data_dir
    assert directory.is_dir()
    node.stop()
    assert not directory.exists()
    assert not node.stop(), "stopping twice is harmless"
