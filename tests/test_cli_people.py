"""The CLI speaks to people (issue 23, "and more"): plain sentences, short proposal ids, what an
interrupted action did, a node it started, names of local keys, a demo that keeps out of the way."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from starfish_dao.chain.governance import TEMPLATES, Governance
from starfish_dao.domain.charter import GovernanceSettings
from tests.conftest import Dao, founders_first_work

STARFISH = [sys.executable, "-m", "starfish_dao.cli"]
G = GovernanceSettings()


def _run(args: list[str], env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("STARFISH_")}
    return subprocess.run([*STARFISH, *args], capture_output=True, text=True, env={**environment, **env},
                          timeout=timeout)  # fmt: skip


@pytest.fixture()
def env(dao: Dao, tmp_path: Path) -> dict[str, str]:
    manifests = tmp_path / "deployments"
    dao.deployment.save(manifests)
    return {"STARFISH_HOME": str(tmp_path / "home"), "STARFISH_RPC_URL": dao.chain.url,
            "STARFISH_PRIVATE_KEY": dao["ada"].key.hex(), "DEPLOYMENTS": str(manifests)}  # fmt: skip


OwnDao = tuple[Dao, dict[str, str]]


@pytest.fixture()
def own_dao(tmp_path: Path) -> Iterator[OwnDao]:
    """A DAO on an anvil of its own: the Ctrl-C tests turn automine off and watch the node's pool,
    which on the shared chain other tests' transactions (and relays) may also use."""
    from starfish_dao.chain.backends import AnvilNode, RpcBackend
    from tests.conftest import deploy_dao

    node = AnvilNode(tmp_path / "anvil", persist=False).start()
    try:
        dao = deploy_dao(RpcBackend(node.url, name="anvil", node=node))
        manifests = tmp_path / "deployments"
        dao.deployment.save(manifests)
        yield dao, {"STARFISH_HOME": str(tmp_path / "home"), "STARFISH_RPC_URL": dao.chain.url,
                    "STARFISH_PRIVATE_KEY": dao["ada"].key.hex(), "DEPLOYMENTS": str(manifests)}  # fmt: skip
    finally:
        node.stop()


def _d(env: dict[str, str]) -> list[str]:
    return ["--deployments", env["DEPLOYMENTS"]]


def _short(pid: int) -> str:
    return f"{pid:064x}"[:8]


def _passed(dao: Dao, title: str) -> int:
    """A proposal voted for and queued, its timelock delay run: ready to execute."""
    gov = Governance(dao.sf)
    pid = gov.propose(dao["ada"], TEMPLATES["set-parameter"]("minReviewers", "3"), title)
    dao.chain.increase_time(G.voting_delay + 1)
    for name in ("ada", "bo"):
        gov.vote(dao[name], pid, "for")
    dao.chain.increase_time(G.voting_period + 1)
    gov.queue(dao["zed"], pid)
    dao.chain.increase_time(G.timelock_delay + 1)
    return pid


def test_execute_says_what_happened_in_a_sentence(dao: Dao, env: dict[str, str]) -> None:
    pid = _passed(dao, "Three reviewers")
    out = _run(["execute", str(pid), *_d(env)], env)
    assert out.returncode == 0, out.stderr
    assert "executed: executed" not in out.stdout
    assert f"proposal {_short(pid)} (Three reviewers) is executed" in out.stdout, out.stdout
    assert "setParameter" in out.stdout  # what its calls did


def test_a_duplicate_proposal_names_the_first(dao: Dao, env: dict[str, str]) -> None:
    args = ["propose", "set-parameter", "minReviewers", "3", "--title", "Three reviewers", *_d(env)]
    first = _run(args, env)
    assert first.returncode == 0, first.stderr
    short = re.search(r"proposal ([0-9a-f]{8})\b", first.stdout)
    assert short, first.stdout
    again = _run(args, env)
    assert again.returncode == 1 and "Traceback" not in again.stderr
    assert "that is not possible now" not in again.stderr
    assert f"a duplicate of proposal {short.group(1)}" in again.stderr, again.stderr
    assert "starfish proposals" in again.stderr


def test_proposals_are_named_by_a_short_prefix(dao: Dao, env: dict[str, str]) -> None:
    gov = Governance(dao.sf)
    pid = gov.propose(dao["ada"], TEMPLATES["set-parameter"]("minReviewers", "3"), "Three reviewers")
    other = gov.propose(dao["ada"], TEMPLATES["set-parameter"]("minReviewers", "4"), "Four reviewers")
    listed = _run(["proposals", *_d(env)], env)
    assert listed.returncode == 0, listed.stderr
    assert _short(pid) in listed.stdout and str(pid) not in listed.stdout  # the short form, not 77 digits
    assert "-> set the charter's minReviewers to 3" in listed.stdout, listed.stdout  # what it does, in words
    dao.chain.increase_time(G.voting_delay + 1)
    voted = _run(["vote", _short(pid), "for", *_d(env)], env)
    assert voted.returncode == 0, voted.stderr
    assert gov.governor.functions.hasVoted(pid, dao["ada"].address).call()
    assert not gov.governor.functions.hasVoted(other, dao["ada"].address).call()
    assert _run(["vote", "0x" + _short(other)[:6], "against", *_d(env)], env).returncode == 0  # any unique prefix
    assert gov.governor.functions.hasVoted(other, dao["ada"].address).call()
    unknown = "0" * 8 if not (_short(pid).startswith("0") or _short(other).startswith("0")) else "f" * 8
    out = _run(["vote", unknown, "for", *_d(env)], env)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert f"no proposal starts with {unknown}" in out.stderr and "starfish proposals" in out.stderr, out.stderr


def test_a_prefix_matches_one_proposal_or_says_why_not() -> None:
    from starfish_dao.cli.common import CliError, match_proposal

    a, b = int("3f2a91c0" + "1" * 56, 16), int("3f2a7700" + "2" * 56, 16)
    assert match_proposal("3f2a91", [a, b]) == a
    assert match_proposal("0x3F2A77", [a, b]) == b
    assert match_proposal(str(a), [a, b]) == a  # the full decimal id still works
    assert match_proposal(str(b)[:12], [a, b]) == b  # and the start of it
    with pytest.raises(CliError, match=r"ambiguous.*3f2a91c0.*3f2a7700"):
        match_proposal("3f2a", [a, b])
    with pytest.raises(CliError, match="no proposal starts with 77"):
        match_proposal("77", [a, b])
    with pytest.raises(CliError, match="not a proposal id"):
        match_proposal("hosting", [a, b])


def _interrupt_when(proc: subprocess.Popen[str], ready: Callable[[], bool]) -> tuple[str, str]:
    deadline = time.monotonic() + 60
    while not ready():
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    return proc.communicate(timeout=60)


def _pool_size(dao: Dao) -> int:
    return int(dao.chain._dev("txpool_status", [])["pending"], 16)


def test_ctrl_c_says_whether_the_transaction_was_sent_and_how_to_check(own_dao: OwnDao) -> None:
    dao, env = own_dao
    environment = {**{k: v for k, v in os.environ.items() if not k.startswith("STARFISH_")}, **env}
    dao.chain._dev("evm_mine", [])  # nothing left waiting from earlier tests on this chain
    dao.chain._dev("evm_setAutomine", [False])
    before = _pool_size(dao)
    try:
        proc = subprocess.Popen([*STARFISH, "pay", "1", *_d(env)], env=environment, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        out, err = _interrupt_when(proc, lambda: _pool_size(dao) > before)
        assert proc.returncode == 130, out + err
        assert "Traceback" not in err and "Aborted" not in err, err
        tx = re.search(r"0x[0-9a-f]{64}", err)
        assert tx, err
        assert "sent" in err and "not mined yet" in err and f"check with `starfish tx {tx.group(0)}`" in err, err
        waiting = _run(["tx", tx.group(0)], env)
        assert waiting.returncode == 0 and "waiting to be mined" in waiting.stdout, waiting.stdout + waiting.stderr
        dao.chain._dev("evm_mine", [])
    finally:
        dao.chain._dev("evm_setAutomine", [True])
    shown = _run(["tx", tx.group(0)], env)
    assert shown.returncode == 0 and "mined in block" in shown.stdout and "succeeded" in shown.stdout, shown.stdout


def test_ctrl_c_before_anything_is_sent_says_nothing_happened() -> None:
    from starfish_dao.cli.common import SENT, interrupted_report

    SENT.clear()
    assert interrupted_report() == ["nothing was sent: nothing happened on chain"]


def test_a_chain_command_that_starts_a_node_says_so(tmp_path: Path) -> None:
    env = {"STARFISH_HOME": str(tmp_path)}
    try:
        first = _run(["account", "balance", "0x000000000000000000000000000000000000dEaD"], env)
        assert first.returncode == 0, first.stderr
        lines = [line for line in first.stderr.splitlines() if "anvil" in line]
        assert len(lines) == 1, first.stderr
        assert "started a local anvil node at http://127.0.0.1:" in lines[0] and "starfish node stop" in lines[0]
        assert str(tmp_path) in lines[0]
        again = _run(["account", "balance", "0x000000000000000000000000000000000000dEaD"], env)
        assert again.returncode == 0 and "started" not in again.stderr, again.stderr  # already running: silent
        assert _run(["node", "stop"], env).returncode == 0
        relay = _run(["relay", "--port", "9"], {**env, "STARFISH_RELAY_RELAYER_KEY": "0x" + "11" * 32}, timeout=60)
        assert relay.returncode == 1, relay.stderr  # no DAO on this new chain: it refuses to start...
        assert "started a local anvil node at" in relay.stderr and "starfish node stop" in relay.stderr  # ...and says
    finally:
        _run(["node", "stop"], env)


def test_ctrl_c_during_a_relayed_action_says_how_to_follow_it(own_dao: OwnDao, tmp_path: Path) -> None:
    dao, env = own_dao
    from eth_account import Account

    from starfish_dao.chain.backends import free_port
    from tests.relay.test_crash import _start

    relayer, newcomer = Account.create(), Account.create()
    dao.chain.fund(relayer.address, 10 * 10**18)
    port = free_port()
    base = {**{k: v for k, v in os.environ.items() if not k.startswith("STARFISH_")}, **env}
    relay = _start({**base, "STARFISH_RELAY_DEPLOYMENT": str(Path(env["DEPLOYMENTS"]) / "31337.json"),
                    "STARFISH_RELAY_RELAYER_KEY": relayer.key.hex(), "STARFISH_RELAY_DB_PATH": str(tmp_path / "q.db"),
                    "STARFISH_RELAY_POLL_INTERVAL": "0.05", "STARFISH_RELAY_CONFIRMATIONS": "1",
                    # the finalize keeper (on by default) would send for work earlier tests left due
                    "STARFISH_RELAY_KEEPER_FINALIZE": "false"},
                   port, tmp_path / "relay.log")  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        dao.chain._dev("evm_mine", [])  # nothing left waiting from earlier tests on this chain
        dao.chain._dev("evm_setAutomine", [False])
        before = _pool_size(dao)
        try:
            member = {**base, "STARFISH_PRIVATE_KEY": newcomer.key.hex()}
            proc = subprocess.Popen([*STARFISH, "join", "--relay", url], text=True, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, env=member)  # fmt: skip
            out, err = _interrupt_when(proc, lambda: _pool_size(dao) > before)
            assert proc.returncode == 130 and "Traceback" not in err, out + err
            found = re.search(r"accepted the Join as action (\S+) \(sent, tx 0x[0-9a-f]{64}\)", err)
            assert found, err
            follow = f"starfish action {found.group(1)} --relay {url}"
            assert "may be mined later" in err and follow in err, err
            waiting = _run(["action", found.group(1), "--relay", url], env)
            assert waiting.returncode == 0 and "not mined yet" in waiting.stdout, waiting.stdout + waiting.stderr
            dao.chain._dev("evm_mine", [])
        finally:
            dao.chain._dev("evm_setAutomine", [True])
        deadline = time.monotonic() + 30
        while "was mined" not in (shown := _run(["action", found.group(1), "--relay", url], env)).stdout:
            assert time.monotonic() < deadline, shown.stdout + shown.stderr
            time.sleep(0.5)
        assert dao.sf.is_active(newcomer.address)
    finally:
        relay.kill()
        relay.wait()


def test_init_points_the_charter_at_its_own_text_beside_it(tmp_path: Path) -> None:
    import shutil
    import tomllib

    from starfish_dao.cli.setup import read_charter

    env = {"STARFISH_HOME": str(tmp_path / "home")}
    founder = "0x000000000000000000000000000000000000dEaD:5000"
    made = _run(["init", "--founder", founder, "-o", str(tmp_path / "ours" / "charter.toml")], env)
    assert made.returncode == 0, made.stderr
    text = (tmp_path / "ours" / "charter.toml").read_text()
    assert "demo_files" not in text and str(Path(__file__).parents[1]) not in text, text
    assert tomllib.loads(text)["document"] == "charter.md"
    assert "## Mission" in (tmp_path / "ours" / "charter.md").read_text()
    assert "charter.md" in made.stdout  # the user is told to edit it
    shutil.move(tmp_path / "ours", tmp_path / "moved")  # the folder goes to another machine: still whole
    assert read_charter(tmp_path / "moved" / "charter.toml")[1] == (tmp_path / "moved" / "charter.md").resolve()
    (tmp_path / "moved" / "mission.md").write_text("# ours\n")
    again = _run(["init", "--document", str(tmp_path / "moved" / "mission.md"), "--force",
                  "-o", str(tmp_path / "moved" / "charter.toml")], env)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert tomllib.loads((tmp_path / "moved" / "charter.toml").read_text())["document"] == "mission.md"


def test_todo_show_and_status_name_the_local_keys(dao: Dao, env: dict[str, str]) -> None:
    import json

    from eth_account import Account

    from tests.conftest import artifact_cid

    keystores = Path(env["STARFISH_HOME"]) / "keystores"
    keystores.mkdir(parents=True)
    for name in ("ada", "bo", "eli"):
        keystore = Account.encrypt(dao[name].key, "pw", kdf="pbkdf2", iterations=1000)
        (keystores / f"{name}.json").write_text(json.dumps(keystore))
    ada, bo, eli = (dao[n].address for n in ("ada", "bo", "eli"))
    plan = Path(env["STARFISH_HOME"]) / "plan.txt"
    plan.write_bytes(b"eli's shelf plan")  # in this machine's store: the work is named by its first line
    assert _run(["ipfs", "add", str(plan)], env).returncode == 0
    number = dao.sf.submit(dao["eli"], artifact_cid("eli's shelf plan"), 60)
    dao.sf.review(dao["bo"], number, 4)
    todo = _run(["todo", "--member", ada, *_d(env)], env)
    assert todo.returncode == 0, todo.stderr
    assert f"for ada ({ada})" in todo.stdout and f"by eli ({eli})" in todo.stdout, todo.stdout
    assert "“eli's shelf plan”" in todo.stdout, todo.stdout
    show = _run(["show", str(number), *_d(env)], env)
    assert show.returncode == 0, show.stderr
    assert f"by eli ({eli})" in show.stdout and f"from bo ({bo})" in show.stdout, show.stdout
    assert f"#{number} “eli's shelf plan” by eli" in show.stdout, show.stdout
    status = _run(["status", *_d(env)], env)
    assert status.returncode == 0, status.stderr
    rows = [line for line in status.stdout.splitlines() if ada in line]
    assert rows and all(re.search(r"\bada\b", line) for line in rows), status.stdout
    assert any(re.search(r"\beli\b", line) and eli in line for line in status.stdout.splitlines()), status.stdout
    assert json.loads(_run(["status", "--json", *_d(env)], env).stdout)["names"][ada] == "ada"


def _keystore(home: Path, name: str, key: bytes, password: str = "pw") -> None:
    import json

    from eth_account import Account

    (home / "keystores").mkdir(parents=True, exist_ok=True)
    keystore = Account.encrypt(key, password, kdf="pbkdf2", iterations=1000)
    (home / "keystores" / f"{name}.json").write_text(json.dumps(keystore))


def test_key_file_me_json_finds_the_keystore_made_by_name(dao: Dao, env: dict[str, str], tmp_path: Path) -> None:
    _keystore(Path(env["STARFISH_HOME"]), "me", dao["eli"].key)
    named = {**env, "STARFISH_KEY_PASSWORD": "pw"}
    for form in ("me", "me.json"):  # as `account new me` made it, and as the README's relay section writes it
        out = _run(["todo", "--key-file", form, *_d(env)], named)
        assert out.returncode == 0 and dao["eli"].address in out.stdout, (form, out.stderr)
        assert _run(["account", "address", form], named).stdout.strip() == dao["eli"].address
    missing = _run(["todo", "--key-file", "nobody.json", *_d(env)], named)
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    said = " ".join(missing.stderr.split())  # the message wraps at the terminal's width
    assert "no keystore" in said and "starfish account new nobody" in said, missing.stderr


def test_the_relay_takes_a_bare_keystore_name(dao: Dao, env: dict[str, str], tmp_path: Path) -> None:
    import requests
    from eth_account import Account

    from starfish_dao.chain.backends import free_port
    from tests.relay.test_crash import _start

    home = Path(env["STARFISH_HOME"])
    relayer = Account.create()
    _keystore(home, "relayer", relayer.key, "relay pw")
    dao.chain.fund(relayer.address, 10**18)
    (home / "deployments").mkdir(parents=True)
    dao.deployment.save(home / "deployments")
    base = {**{k: v for k, v in os.environ.items() if not k.startswith("STARFISH_")}, **env}
    base.pop("STARFISH_PRIVATE_KEY")
    nobody = {**base, "STARFISH_RELAY_RELAYER_KEYSTORE": "nobody", "STARFISH_RELAY_RELAYER_PASSWORD": "x"}
    gone = _run(["relay", "--port", str(free_port())], nobody, timeout=60)
    assert gone.returncode == 1 and "Traceback" not in gone.stderr and "Errno" not in gone.stderr, gone.stderr
    said = " ".join(gone.stderr.split())  # the message wraps at the terminal's width
    assert "no relayer keystore" in said and "starfish account new nobody" in said, gone.stderr
    port = free_port()
    relay = _start({**base, "STARFISH_RELAY_RELAYER_KEYSTORE": "relayer", "STARFISH_RELAY_RELAYER_PASSWORD": "relay pw",
                    "STARFISH_RELAY_DB_PATH": str(tmp_path / "q.db")}, port, tmp_path / "relay.log")  # fmt: skip
    try:
        info = requests.get(f"http://127.0.0.1:{port}/v1/info", timeout=10).json()
        assert info["relayer"] == relayer.address
        # and its address comes from the CLI, as the README says
        assert _run(["account", "address", "relayer"], base).stdout.strip() == relayer.address
    finally:
        relay.kill()
        relay.wait()


def test_the_html_report_reads_like_the_cli(dao: Dao, env: dict[str, str], tmp_path: Path) -> None:
    founders_first_work(dao)  # genesis standing earns no pay: the founders' first work does
    import html
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from starfish_dao.cli.common import money
    from tests.conftest import artifact_cid

    number = dao.sf.submit(dao["eli"], artifact_cid("eli's shelf plan"), 60)
    dao.sf.review(dao["bo"], number, 4)
    dao.sf.pay_eth(dao["zed"], 1562663333333333330)  # 0.3 of it is 0.468798999... ETH for each founder
    owed = dao.sf.claimable(dao["ada"].address)
    assert money(owed) == "0.468798 ETH"
    now = int(dao.sf.w3.eth.get_block("latest")["timestamp"])
    report = tmp_path / "report.html"
    out = _run(["verify", "--html", str(report), *_d(env)], {**env, "TZ": "Asia/Kolkata"})
    assert out.returncode == 0, out.stdout + out.stderr
    page = html.unescape(report.read_text())
    assert "b'" not in page and 'b"' not in page, re.findall(r".{60}b['\"].{60}", page)
    assert str(now) not in page  # no unix time
    local = datetime.fromtimestamp(now, ZoneInfo("Asia/Kolkata")).strftime("%Y-%m-%d %H:%M")
    assert local in page and "IST" in page, page[:2000]
    assert "0.468798" in page and "0.468799" not in page  # rounded down, as the CLI and the page do
