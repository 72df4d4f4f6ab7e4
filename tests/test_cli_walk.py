"""What a new user's walk of the README found in the CLI's words (issue 23): a contribution is told
by its file, effort and review deadline (not its sha256), and pay to a key kept here by its name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from eth_account import Account

from starfish_dao.domain.units import local_time
from tests.conftest import ETHER, Dao, founders_first_work

STARFISH = [sys.executable, "-m", "starfish_dao.cli"]


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("STARFISH_")}
    out = subprocess.run([*STARFISH, *args], capture_output=True, text=True, env={**environment, **env}, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    return out


def test_a_contribution_and_a_claim_read_as_people_say_them(dao: Dao, tmp_path: Path) -> None:
    founders_first_work(dao)  # genesis standing earns no pay: the founders' first work does
    manifests = tmp_path / "deployments"
    dao.deployment.save(manifests)
    home = tmp_path / "home"
    (home / "keystores").mkdir(parents=True)
    keystore = Account.encrypt(dao["eli"].key, "pw", kdf="pbkdf2", iterations=1000)
    (home / "keystores" / "eli.json").write_text(json.dumps(keystore))
    env = {"STARFISH_HOME": str(home), "STARFISH_RPC_URL": dao.chain.url, "STARFISH_KEY_PASSWORD": "pw"}
    work = tmp_path / "shelf-plan.txt"
    work.write_text("shelves for the library corner\n")
    out = _run(["contribute", str(work), "--effort", "90", "--key-file", "eli", "--deployments", str(manifests)], env)
    said = " ".join(out.stdout.split())
    number = int(dao.sf.registry.functions.contributionCount().call())
    deadline = dao.sf.contribution(number)["reviewDeadline"]
    assert f"contribution #{number} submitted: shelf-plan.txt, 90 min" in said, said
    assert f"until {local_time(deadline)}" in said and "sha256" not in said, said
    dao.sf.pay_eth(dao["zed"], ETHER)
    claimed = _run(["claim", "--member", dao["ada"].address, "--key-file", "eli", "--deployments", str(manifests)],
                   env)  # fmt: skip
    assert f"to {dao['ada'].address}" in claimed.stdout  # not a key kept here: the address alone
    (home / "keystores" / "ada.json").write_text(json.dumps(Account.encrypt(dao["ada"].key, "pw", kdf="pbkdf2",
                                                                            iterations=1000)))  # fmt: skip
    dao.sf.pay_eth(dao["zed"], ETHER)
    again = _run(["claim", "--key-file", "ada", "--deployments", str(manifests)], env)
    assert f"to ada ({dao['ada'].address})" in again.stdout, again.stdout
