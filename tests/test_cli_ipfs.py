"""`starfish contribute` and `starfish ipfs ...` as a user runs them, embedded and against a real node."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from starfish_dao.domain.unixfs import cid_of, content_hash
from tests.conftest import Dao
from tests.ipfs.jsipfs import IpfsDaemon


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "starfish_dao.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=300,
    )


def test_contribute_pins_on_the_node_and_submits(dao: Dao, ipfs_node: IpfsDaemon, tmp_path: Path) -> None:
    manifests = tmp_path / "deployments"
    dao.deployment.save(manifests)
    env = {
        "STARFISH_HOME": str(tmp_path / "home"),
        "STARFISH_RPC_URL": dao.chain.url,
        "STARFISH_PRIVATE_KEY": dao["dee"].key.hex(),
        "STARFISH_IPFS_API": ipfs_node.multiaddr,
    }
    work = tmp_path / "design.txt"
    work.write_bytes(b"a floor plan, version 2\n" * 30000)
    out = _run(["contribute", str(work), "--effort", "90", "--deployments", str(manifests)], env)
    assert out.returncode == 0, out.stderr
    cid = cid_of(work.read_bytes())
    assert str(cid) in out.stdout
    digest = content_hash(work.read_bytes())
    assert dao.sf.registry.functions.contributionOf(digest).call() != 0
    # the same content again: refused before anything is sent or pinned
    again = _run(["contribute", str(work), "--effort", "90", "--deployments", str(manifests)], env)
    assert again.returncode == 1 and "already contribution" in again.stderr
    missing = _run(["contribute", str(tmp_path / "nope"), "--effort", "9", "--deployments", str(manifests)], env)
    assert missing.returncode == 1 and "no such file" in missing.stderr
    status = _run(["status", "--deployments", str(manifests)], env)
    assert status.returncode == 0, status.stderr
    assert "ok" in status.stdout


def test_ipfs_commands_embedded(tmp_path: Path) -> None:
    env = {"STARFISH_HOME": str(tmp_path / "home")}
    env.pop("STARFISH_IPFS_API", None)
    os.environ.pop("STARFISH_IPFS_API", None)
    work = tmp_path / "w.bin"
    work.write_bytes(os.urandom(300_000))
    added = _run(["ipfs", "add", str(work)], env)
    assert added.returncode == 0, added.stderr
    cid = added.stdout.strip()
    assert cid == str(cid_of(work.read_bytes()))
    copy = tmp_path / "copy.bin"
    assert _run(["ipfs", "cat", cid, "-o", str(copy)], env).returncode == 0
    assert copy.read_bytes() == work.read_bytes()
    car = tmp_path / "w.car"
    assert _run(["ipfs", "export-car", cid, "-o", str(car)], env).returncode == 0
    other = {"STARFISH_HOME": str(tmp_path / "other")}
    imported = _run(["ipfs", "import-car", str(car)], other)
    assert imported.returncode == 0 and cid in imported.stdout
    bad = _run(["ipfs", "cat", "not-a-cid"], env)
    assert bad.returncode == 1 and "not a valid CID" in bad.stderr
    assert _run(["ipfs", "unpin", cid], env).returncode == 0
    gc = _run(["ipfs", "gc"], env)
    assert "removed 3 unpinned blocks" in gc.stdout
