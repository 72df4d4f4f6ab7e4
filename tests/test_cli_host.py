"""`starfish host` as a member uses it (issue 22): register, the epoch's seed, status, unregister,
and the mistakes a person makes, each answered in one sentence."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import Dao

STARFISH = [sys.executable, "-m", "starfish_dao.cli"]


def _run(args: list[str], env: dict[str, str], key: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("STARFISH_")}
    full = {**environment, "STARFISH_HOME": env["home"], "STARFISH_RPC_URL": env["rpc"], "STARFISH_PRIVATE_KEY": key}
    return subprocess.run([*STARFISH, *args, "--deployments", env["deployments"]], capture_output=True, text=True,
                          env=full, timeout=300)  # fmt: skip


def test_a_member_registers_fixes_the_seed_and_sees_their_files(earning_dao: Dao, tmp_path: Path) -> None:
    dao = earning_dao
    manifests = tmp_path / "deployments"
    dao.deployment.save(manifests)
    env = {"home": str(tmp_path / "home"), "rpc": dao.chain.url, "deployments": str(manifests)}
    ada, dee = dao["ada"].key.hex(), dao["dee"].key.hex()

    bad = _run(["host", "register", "--gateway", "ftp://nope"], env, ada)
    said = " ".join(bad.stderr.split())
    assert bad.returncode != 0 and "neither an http(s) gateway URL, a multiaddr" in said, bad.stderr
    bad = _run(["host", "register", "--gateway", "http://127.0.0.1:8081", "--relay-url", "ftp://nope"], env, ada)
    assert bad.returncode != 0 and "relay=URL" in " ".join(bad.stderr.split()), bad.stderr
    none = _run(["host", "register", "--gateway", "http://127.0.0.1:8081"], env, dee)
    said = " ".join(none.stderr.split())
    assert none.returncode != 0 and "held 0 points as this epoch began; hosting needs 10" in said, none.stderr

    done = _run(["host", "register", "--gateway", "http://127.0.0.1:8081", "--json"], env, ada)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["endpoint"] == "http://127.0.0.1:8081"

    waiting = _run(["host", "status"], env, ada)
    assert waiting.returncode == 0, waiting.stderr
    assert "hosts at http://127.0.0.1:8081" in waiting.stdout and "seed is not fixed" in waiting.stdout

    # the next epoch: the seed of this one fixes who holds what in it
    sf = dao.sf
    length = int(sf.charter.functions.params().call()[0])
    start = int(sf.charter.functions.currentEpochStart().call())
    dao.chain.increase_time(start + length - sf.now() + 1)
    seeded = _run(["host", "seed", "--wait", "0", "--json"], env, dee)  # anyone may: dee has no standing
    assert seeded.returncode == 0, seeded.stderr
    assert json.loads(seeded.stdout)["fixed"] is False  # its block is the next one
    dao.chain.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    seeded = _run(["host", "seed", "--wait", "0", "--json"], env, dee)
    assert seeded.returncode == 0 and json.loads(seeded.stdout)["fixed"] is True, seeded.stderr

    status = _run(["host", "status", "--json"], env, ada)
    data = json.loads(status.stdout)
    assert data["eligible"] is True and data["hosts"] == 1
    assert len(data["files"]) >= 4 and all(cid.startswith("b") for cid in data["files"])  # CIDv1, base32
    # one round of `host serve`: the files come from another gateway (here: a store with them), verified
    from starfish_dao.ipfs.gateway import Gateway
    from starfish_dao.ipfs.local import LocalStore
    from tests.test_hosting import _community_files

    elsewhere = LocalStore(tmp_path / "elsewhere")
    _community_files(elsewhere)
    source = Gateway(elsewhere).start()
    try:
        served = _run(["host", "serve", "--once", "--from", source.url, "--json"], env, ada)
    finally:
        source.stop()
    round_ = json.loads(served.stdout)
    assert served.returncode == 0 and sorted(round_["held"]) == sorted(data["files"]), served.stdout + served.stderr
    assert (tmp_path / "home" / "ipfs" / "pins.json").is_file()
    other = _run(["host", "status", "--member", dao["bo"].address], env, ada)
    assert "is not a host" in other.stdout

    # the epoch ends: its own seed draws the challenges; ada's registered gateway is not listening
    dao.chain.increase_time(length + 1)
    for _ in range(2):
        _run(["host", "seed", "--wait", "0"], env, dee)
        dao.chain.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    checked = _run(["host", "check", "--all", "--json"], env, dee)
    assert checked.returncode == 0, checked.stderr
    (result,) = json.loads(checked.stdout)["hosts"]
    assert result["host"] == dao["ada"].address and result["passes"] == 0 and result["challenges"] == 10
    assert all("unreachable" in f["reason"] for f in result["failures"]), result
    flagged = _run(["verify", "--hosting"], env, dee)
    assert flagged.returncode == 1 and "hosting" in flagged.stdout and "unreachable" in flagged.stdout, flagged.stdout

    # a host's serve round runs its committee duties for the epoch that ended: ada checks no one but
    # herself, and nobody checks themselves
    duties = _run(["host", "serve", "--once", "--json"], env, ada)
    assert json.loads(duties.stdout)["duties"]["sealed"] == [], duties.stdout + duties.stderr

    gone = _run(["host", "unregister"], env, ada)
    assert gone.returncode == 0 and "no longer hosts" in gone.stdout, gone.stderr
    again = _run(["host", "unregister"], env, ada)
    assert again.returncode != 0 and "not a host" in again.stderr.lower(), again.stderr
