"""Every ordinary mistake gets one line that says what was wrong and what to do: no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from eth_account import Account

from starfish_dao.chain.backends import AnvilNode, RpcBackend
from tests.conftest import ETHER, PARAMS, Dao, artifact_cid, founders_first_work

STARFISH = [sys.executable, "-m", "starfish_dao.cli"]


def _run(args: list[str], env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("STARFISH_")}
    return subprocess.run([*STARFISH, *args], capture_output=True, text=True, env={**environment, **env},
                          timeout=timeout)  # fmt: skip


def _one_line(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    said = " ".join(result.stderr.split())  # one message, wrapped at the terminal's width
    for needle in needles:
        assert " ".join(needle.split()) in said, result.stderr


@pytest.fixture()
def env(dao: Dao, tmp_path: Path) -> dict[str, str]:
    manifests = tmp_path / "deployments"
    dao.deployment.save(manifests)
    return {"STARFISH_HOME": str(tmp_path / "home"), "STARFISH_RPC_URL": dao.chain.url,
            "STARFISH_PRIVATE_KEY": dao["dee"].key.hex(), "DEPLOYMENTS": str(manifests)}  # fmt: skip


def test_version_and_help(tmp_path: Path) -> None:
    env = {"STARFISH_HOME": str(tmp_path)}
    assert _run(["--version"], env).stdout.startswith("starfish ")
    for command in (["-h"], ["claim", "-h"], ["propose", "-h"], ["node", "fund", "-h"], ["charter", "show", "-h"]):
        out = _run(command, env)
        assert out.returncode == 0 and "Usage" in out.stdout and "<bool>" not in out.stdout, out.stdout


def test_a_new_account_without_eth_is_told_how_to_get_some(dao: Dao, env: dict[str, str]) -> None:
    broke = Account.create()
    out = _run(["join", "--deployments", env["DEPLOYMENTS"]], {**env, "STARFISH_PRIVATE_KEY": broke.key.hex()})
    _one_line(out, "not enough for the gas", "starfish node fund", "--relay")
    funded = _run(["node", "fund", broke.address, "2"], env)
    assert funded.returncode == 0 and "2 ETH" in funded.stdout, funded.stderr
    assert (
        _run(["join", "--deployments", env["DEPLOYMENTS"]], {**env, "STARFISH_PRIVATE_KEY": broke.key.hex()}).returncode
        == 0
    )


def test_paying_more_than_the_balance(env: dict[str, str]) -> None:
    _one_line(_run(["pay", "100000", "--deployments", env["DEPLOYMENTS"]], env), "not enough")


def test_addresses_in_any_case_and_bad_ones(dao: Dao, env: dict[str, str]) -> None:
    ada = dao["ada"].address
    founders_first_work(dao)  # so that ada is owed pay (genesis standing earns none)
    dao.sf.pay_eth(dao["zed"], ETHER)
    lower = _run(["claim", "--member", ada.lower(), "--deployments", env["DEPLOYMENTS"]], env)
    assert lower.returncode == 0 and "ETH to" in lower.stdout, lower.stderr
    wrong = ada[:-1] + ("A" if ada[-1] != "A" else "B")
    mixed = "0x" + "".join(c.upper() if i % 2 else c.lower() for i, c in enumerate(ada[2:]))
    if mixed != ada:
        _one_line(_run(["claim", "--member", mixed, "--deployments", env["DEPLOYMENTS"]], env), "wrong checksum")
    _one_line(_run(["claim", "--member", ada[:-3], "--deployments", env["DEPLOYMENTS"]], env), "is not an address")
    assert wrong  # a typo in the last digit of a lowercase address is a different (valid) address: nothing to check


def test_claiming_nothing_sends_no_transaction(dao: Dao, env: dict[str, str]) -> None:
    before = dao.sf.w3.eth.get_transaction_count(dao["dee"].address)
    out = _run(["claim", "--deployments", env["DEPLOYMENTS"]], env)
    assert out.returncode == 0 and "nothing to claim" in out.stdout, out.stderr
    assert dao.sf.w3.eth.get_transaction_count(dao["dee"].address) == before


def test_contribute_mistakes(env: dict[str, str], tmp_path: Path) -> None:
    d = ["--deployments", env["DEPLOYMENTS"]]
    work = tmp_path / "w.txt"
    work.write_text("work")
    _one_line(_run(["contribute", str(work), "--effort", "-5", *d], env), "--effort")
    _one_line(_run(["contribute", str(tmp_path), "--effort", "5", *d], env), "is a directory")
    _one_line(_run(["contribute", str(tmp_path / "nope"), "--effort", "5", *d], env), "no such file")
    _one_line(_run(["contribute", str(work), "--effort", str(PARAMS.max_effort + 1), *d], env), "maxEffort")


def test_contract_refusals_are_told_in_words(dao: Dao, env: dict[str, str]) -> None:
    cid_id = dao.sf.submit(dao["eli"], artifact_cid("early"), 60)
    out = _run(["finalize", str(cid_id), "--deployments", env["DEPLOYMENTS"]], env)
    _one_line(out, f"the review window of #{cid_id} closes in ", " d ", "finalize after that")
    _one_line(_run(["review", str(cid_id), "--stars", "4", "--deployments", env["DEPLOYMENTS"]], env),
              "your standing on this work is 0 points")  # fmt: skip
    _one_line(_run(["review", "999", "--stars", "4", "--deployments", env["DEPLOYMENTS"]], env),
              "there is no contribution #999")  # fmt: skip


def test_deploy_mistakes(dao: Dao, env: dict[str, str], tmp_path: Path) -> None:
    d = ["--deployments", env["DEPLOYMENTS"]]
    _one_line(_run(["deploy", *d], env), "no founders")
    _one_line(_run(["deploy", "--founder", dao["ada"].address, *d], env), "needs points")
    _one_line(
        _run(["deploy", "--founder", f"{dao['ada'].address}:5000", *d], env), "already describes a DAO", "--force"
    )
    charter = tmp_path / "charter.toml"
    made = _run(["init", "--founder", f"{dao['ada'].address}:5000", "-o", str(charter)], env)
    assert made.returncode == 0 and "bounds" in charter.read_text() and "reviewBudgetBps" in charter.read_text()
    _one_line(_run(["init", "-o", str(charter)], env), "exists")
    charter.write_text(charter.read_text().replace("minReviewers = 2", "minReviewers = 0"))
    _one_line(_run(["deploy", "--charter", str(charter), "--force", *d], env), "parameters.minReviewers = 0 is outside")


def test_relays_that_are_down_are_named(env: dict[str, str]) -> None:
    out = _run(["join", "--relay", "http://127.0.0.1:9", "--relay", "http://127.0.0.1:10"], env)
    _one_line(out, "no relay carried the action out", "127.0.0.1:9", "127.0.0.1:10")


def test_json_output(dao: Dao, env: dict[str, str]) -> None:
    import json

    d = ["--deployments", env["DEPLOYMENTS"]]
    for command in (["status", "--json"], ["charter", "show", "--json"], ["todo", "--json"], ["proposals", "--json"],
                    ["report", "--json"], ["account", "list", "--json"], ["node", "status", "--json"]):  # fmt: skip
        extra = d if command[0] not in ("account", "node") else []
        out = _run([*command, *extra], env)
        assert out.returncode == 0, (command, out.stderr)
        json.loads(out.stdout)


def test_node_stop_and_start_never_moves_the_clock_back(tmp_path: Path) -> None:
    env = {"STARFISH_HOME": str(tmp_path)}
    assert _run(["node", "start"], env).returncode == 0
    try:
        assert _run(["node", "advance", "30d"], env).returncode == 0
        node = AnvilNode(tmp_path / "anvil")
        assert node.running()
        before = int(RpcBackend(node.url).w3.eth.get_block("latest")["timestamp"])
        import time

        time.sleep(6)  # the state is saved every 5 s and on stop
        assert _run(["node", "stop"], env).returncode == 0
        assert _run(["node", "start"], env).returncode == 0
        node = AnvilNode(tmp_path / "anvil")
        assert node.running()
        backend = RpcBackend(node.url)
        backend.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        assert int(backend.w3.eth.get_block("latest")["timestamp"]) > before
    finally:
        _run(["node", "stop"], env)


def test_a_rating_the_budget_could_not_open_is_refused_before_it_is_sealed(dao: Dao, env: dict[str, str]) -> None:
    """The approval budget is spent when ratings open, after the window: a diligent reviewer who
    sealed more stars than it holds would find the last rating refused then, counted as no review,
    and (left sealed) forfeiting that epoch's review pay. `starfish review` adds up what this
    machine holds sealed and refuses such a rating before anything is sent."""
    ada = {**env, "STARFISH_PRIVATE_KEY": dao["ada"].key.hex()}
    d = ["--deployments", env["DEPLOYMENTS"]]
    first, second = (dao.sf.submit(dao["eli"], artifact_cid(f"eli's {n}"), 500) for n in ("first", "second"))
    # ada's budget: 600 points of standing x 200 % x 3 star-minutes a point = 3,600 star-minutes
    assert _run(["review", str(first), "--stars", "5", *d], ada).returncode == 0  # 2,500 of them
    refused = _run(["review", str(second), "--stars", "5", *d], ada)
    _one_line(refused, "to 5,000 star-minutes of 3,600 when it opens", "rate fewer stars")
    assert dao.sf.registry.functions.sealedRating(second, dao["ada"].address).call() == bytes(32)  # nothing sent
    assert _run(["review", str(second), "--stars", "2", *d], ada).returncode == 0  # 3,500: it fits
    dao.chain.increase_time(PARAMS.review_window + 1)
    opened = _run(["reveal", *d], ada)
    assert opened.returncode == 0, opened.stderr
    for contribution in (first, second):  # both opened: neither left to forfeit review pay
        word = int.from_bytes(dao.sf.registry.functions.sealedRating(contribution, dao["ada"].address).call(), "big")
        assert word >> 112 == 0 and word & (1 << 111), hex(word)
