"""Token amounts in the token's own units (issue 23): a 6-decimal ERC-20 (as USDC has) is paid,
proposed, shown, claimed and reminded of with its `decimals()` and `symbol()`, never scaled by 10^18.
Before: `pay 12.5 --token` asked for 12.5 x 10^18 base units, `propose spend TOKEN 1.25` proposed
1.25 x 10^18, and `status`, `claim`, `todo` and the proposals' sentences showed a 6-decimal amount as
if it had 18 decimals (3.75 TUSD read as 0.000000000003 of "0xAbCd…")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from starfish_dao.chain import artifacts
from starfish_dao.chain.deployment import _deploy_one
from starfish_dao.domain.units import amount
from tests.conftest import Dao, founders_first_work

STARFISH = [sys.executable, "-m", "starfish_dao.cli"]
DOLLAR = 10**6  # one TUSD in base units


def _run(args: list[str], env: dict[str, str], key: str | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("STARFISH_")}
    environment.update(env)
    if key:
        environment["STARFISH_PRIVATE_KEY"] = key
    out = subprocess.run([*STARFISH, *args, "--deployments", env["DEPLOYMENTS"]], capture_output=True, text=True,
                         env=environment, timeout=300)  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    return out


@pytest.fixture()
def env(dao: Dao, tmp_path: Path) -> dict[str, str]:
    manifests = tmp_path / "deployments"
    dao.deployment.save(manifests)
    return {"STARFISH_HOME": str(tmp_path / "home"), "STARFISH_RPC_URL": dao.chain.url, "DEPLOYMENTS": str(manifests)}


@pytest.fixture()
def dollar(dao: Dao) -> str:
    """A 6-decimal revenue token (TUSD), listed by governance; zed holds 1,000 of it."""
    token, _ = _deploy_one(dao.sf.w3, dao["ada"], "DollarToken")
    dao.govern(dao.sf.charter.functions.setRevenueToken(token, True))
    erc20 = dao.sf.w3.eth.contract(address=token, abi=artifacts.abi("DollarToken"))
    dao.sf._send(dao["zed"], erc20.functions.mint(dao["zed"].address, 1000 * DOLLAR))
    assert erc20.functions.decimals().call() == 6
    return token


def _said(out: subprocess.CompletedProcess[str]) -> str:
    return " ".join(out.stdout.split())


def test_pay_status_todo_and_claim_use_the_tokens_decimals_and_symbol(
    dao: Dao, env: dict[str, str], dollar: str
) -> None:
    founders_first_work(dao)  # genesis standing earns no pay: the founders' first work does
    paid = _run(["pay", "12.5", "--token", dollar], env, dao["zed"].key.hex())
    assert "paid 12.5 TUSD into the splitter" in _said(paid), paid.stdout
    assert dao.model().received[dollar] == 12_500_000  # was 12.5 x 10^18: refused, or 10^12 times too much
    ada = dao["ada"].address
    owed = dao.sf.claimable(ada, dollar)
    assert 3_749_990 <= owed <= 3_750_000  # 90 % to the three founders' equal points, rounded down
    shown = f"{amount(owed, 6)} TUSD"  # 3.749999 TUSD
    status = _run(["status"], env)
    assert "claimable TUSD" in status.stdout and shown in status.stdout, status.stdout
    assert "12.5 TUSD" in status.stdout, status.stdout  # received, in the money table
    todo = _run(["todo", "--member", ada], env)
    assert f"{shown} to claim" in _said(todo), todo.stdout
    assert f"You may claim {shown}." in _said(todo) and f"`starfish claim --token {dollar}`" in _said(todo), todo.stdout
    raw = json.loads(_run(["todo", "--member", ada, "--json"], env).stdout)
    assert raw["claimable"][dollar] == str(owed)  # raw base units stay in --json
    claimed = _run(["claim", "--token", dollar], env, dao["ada"].key.hex())
    assert f"paid {shown} to {ada}" in _said(claimed), claimed.stdout
    nothing = _run(["claim", "--token", dollar], env, dao["ada"].key.hex())
    assert "in TUSD" in _said(nothing), nothing.stdout


def test_a_spend_is_proposed_and_described_in_the_tokens_units(dao: Dao, env: dict[str, str], dollar: str) -> None:
    from starfish_dao.chain.governance import Governance

    dao.sf.pay_token(dao["zed"], dollar, 12_500_000)
    assert dao.sf.splitter.functions.treasury(dollar).call() == 1_250_000
    to = dao["zed"].address
    made = _run(["propose", "spend", dollar, "1.25", to, "--title", "Cleaning"], env, dao["ada"].key.hex())
    assert "1.25 TUSD" in _said(made), made.stdout  # says what it would pay
    created = Governance(dao.sf).governor.events.ProposalCreated().get_logs(from_block=0)
    data = bytes(created[-1]["args"]["calldatas"][0])
    assert int.from_bytes(data[68:100], "big") == 1_250_000  # was 1.25 x 10^18: 10^12 times the treasury
    listed = _run(["proposals"], env)
    assert f"pay 1.25 TUSD ({dollar}) from the treasury to {to}" in _said(listed), listed.stdout
    dust = ["propose", "spend", dollar, "0.0000001", to, "--title", "Dust", "--deployments", env["DEPLOYMENTS"]]
    too_fine = subprocess.run(
        [*STARFISH, *dust], capture_output=True, text=True, timeout=300,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("STARFISH_")}, **env,
             "STARFISH_PRIVATE_KEY": dao["ada"].key.hex()},
    )  # fmt: skip
    assert too_fine.returncode == 1 and "at most 6 decimals" in too_fine.stderr, too_fine.stderr


def test_reminders_say_a_token_amount_with_its_decimals() -> None:
    from starfish_dao.domain import reminders as r

    class Model:
        def __init__(self) -> None:
            self.members: dict[str, object] = {}
            self.contributions: dict[int, object] = {}
            self.proposals: dict[int, object] = {}

        def all_tokens(self) -> list[str]:
            return ["0x" + "ab" * 20]

        def claimable(self, member: str, token: str) -> int:
            return 3_750_000

        def review_pay_due(self, now: int, member: str) -> list[tuple[str, int, str, int]]:
            return [(member, 4, "0x" + "ab" * 20, 1_250_000)]

    items = r.reminders(Model(), "0x" + "cd" * 20, 0, units=lambda t: ("TUSD", 6))  # type: ignore[arg-type]
    assert [i.title for i in items] == ["3.75 TUSD to claim", "1.25 TUSD of review pay to claim"]


def test_the_html_verify_report_shows_a_token_in_its_units(dao: Dao, dollar: str) -> None:
    from starfish_dao.verify.report import to_html, verify

    dao.sf.pay_token(dao["zed"], dollar, 12_500_000)
    page = to_html(verify(dao.sf))
    assert f"TUSD ({dollar}) claimed" in page and "<td class=n>12.5</td>" in page, page[-3000:]
