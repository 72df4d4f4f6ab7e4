"""Every number a person reads is in their units (issue 23): the payout report in ETH and tokens with
their symbols, `node advance` in days and hours with the chain's new date, balances by key name,
charter values with their units, one rounding rule for points and money; raw values stay in --json."""

# ruff: noqa: F811 - `env` is the fixture of tests/test_cli_people.py, imported
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from tests.conftest import ETHER, Dao, founders_first_work
from tests.test_cli_people import _run, env  # noqa: F401 - the same runner and fixture


def _d(env: dict[str, str]) -> list[str]:
    return ["--deployments", env["DEPLOYMENTS"]]


def test_the_payout_report_is_in_eth_and_token_units(dao: Dao, env: dict[str, str]) -> None:
    founders_first_work(dao)  # genesis standing earns no pay: the founders' first work does
    from starfish_dao.chain import artifacts

    sf, zed = dao.sf, dao["zed"]
    token = sf.w3.eth.contract(address=dao.token, abi=artifacts.abi("TestToken"))
    sf._send(zed, token.functions.mint(zed.address, 100 * ETHER))
    sf.pay_eth(zed, 1562663333333333330)
    sf.pay_token(zed, dao.token, 25 * ETHER)
    sf.claim(dao["ada"])
    owed = sf.claimable(dao["bo"].address, dao.token)
    sf.claim(dao["bo"], token=dao.token)
    out = _run(["report", "--csv", "-", *_d(env)], env)
    assert out.returncode == 0, out.stderr
    rows = list(csv.reader(io.StringIO(out.stdout)))
    header, body = rows[0], rows[1:]
    assert not any(h[-4:] == "wei)" for h in header), header  # no column of wei presented as the amount
    amount = next(i for i, h in enumerate(header) if h.startswith("amount ("))
    raw = next(i for i, h in enumerate(header) if "base units" in h)
    symbol = header.index("token")
    assert "ETH" in header[amount] and "CWC" in header[amount], header[amount]  # the header names the units
    assert "integer" in header[raw] and "wei" in header[raw], header[raw]
    revenue = [r for r in body if r[header.index("kind")] == "revenue"]
    assert [(r[symbol], r[amount], r[raw]) for r in revenue] == [
        ("ETH", "1.56266333333333333", "1562663333333333330"),
        ("CWC", "25", str(25 * ETHER)),
    ]
    paid = [r for r in body if r[header.index("kind")] == "payout" and r[symbol] == "CWC"]
    assert paid and paid[0][raw] == str(owed)
    assert "e+" not in out.stdout.lower() and "E-" not in out.stdout  # no scientific notation
    table = _run(["report", *_d(env)], env)
    assert table.returncode == 0 and "CWC" in table.stdout and "0.468798 ETH" in table.stdout, table.stdout
    data = json.loads(_run(["report", "--json", *_d(env)], env).stdout)
    assert {e["amount"] for e in data["events"] if e["kind"] == "revenue"} == {"1562663333333333330", str(25 * ETHER)}


def test_node_advance_says_days_and_hours_and_the_new_local_date(dao: Dao, env: dict[str, str]) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    out = _run(["node", "advance", "3d1h"], {**env, "TZ": "Asia/Kolkata"})
    assert out.returncode == 0, out.stderr
    now = int(dao.sf.w3.eth.get_block("latest")["timestamp"])
    local = datetime.fromtimestamp(now, ZoneInfo("Asia/Kolkata")).strftime("%Y-%m-%d %H:%M")
    assert "3 d 1 h" in out.stdout and "262,800" not in out.stdout and " s;" not in out.stdout, out.stdout
    assert f"{local} IST" in out.stdout, out.stdout
    odd = _run(["node", "advance", "90min", "--json"], env)
    assert odd.returncode == 0, odd.stderr
    data = json.loads(odd.stdout)
    assert data["seconds"] == 5400 and data["timestamp"] == int(dao.sf.w3.eth.get_block("latest")["timestamp"])
    said = _run(["node", "advance", "1d 30s"], env).stdout
    assert "1 d 0 h 0 min 30 s" in said or "1 d 30 s" in said, said  # nothing dropped


def test_account_balance_takes_a_key_name_or_an_address(dao: Dao, env: dict[str, str]) -> None:
    from eth_account import Account

    from starfish_dao.cli.common import money

    home = Path(env["STARFISH_HOME"])
    (home / "keystores").mkdir(parents=True)
    keystore = Account.encrypt(dao["bo"].key, "pw", kdf="pbkdf2", iterations=1000)
    (home / "keystores" / "bo.json").write_text(json.dumps(keystore))
    bo = dao["bo"].address
    held = money(int(dao.sf.w3.eth.get_balance(bo)))
    by_name = _run(["account", "balance", "bo"], env)
    assert by_name.returncode == 0, by_name.stderr
    assert f"bo ({bo}): {held}" in by_name.stdout, by_name.stdout  # no password asked: the address is public
    assert json.loads(_run(["account", "balance", "bo", "--json"], env).stdout)["address"] == bo
    assert held in _run(["account", "balance", bo.lower()], env).stdout  # all lower case: no checksum to check
    letter = next(i for i, c in enumerate(bo) if i > 1 and c.isalpha())
    wrong = bo[:letter] + bo[letter].swapcase() + bo[letter + 1 :]  # one letter's case changed: a bad checksum
    refused = _run(["account", "balance", wrong], env)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
    assert "checksum" in refused.stderr and bo not in refused.stderr  # no corrected form offered
    nobody = _run(["account", "balance", "nobody"], env)
    said = " ".join(nobody.stderr.split())
    assert nobody.returncode == 1 and "Traceback" not in nobody.stderr, nobody.stderr
    assert "neither an address nor a key" in said and "starfish account list" in said, said


def test_governor_settings_are_proposed_in_peoples_units(dao: Dao, env: dict[str, str]) -> None:
    from starfish_dao.chain.governance import Governance

    out = _run(["propose", "governor-setting", "quorumPercent", "25 %", "--title", "A quarter", *_d(env)], env)
    assert out.returncode == 0, out.stderr
    threshold = _run(["propose", "governor-setting", "proposalThreshold", "2", "--title", "Two points", *_d(env)], env)
    assert threshold.returncode == 0, threshold.stderr
    listed = _run(["proposals", *_d(env)], env)
    assert "set the governor's quorumPercent to 25 %" in listed.stdout, listed.stdout
    assert "set the governor's proposalThreshold to 2 points" in listed.stdout, listed.stdout  # not 2 wei
    created = Governance(dao.sf).governor.events.ProposalCreated().get_logs(from_block=0)
    assert int.from_bytes(bytes(created[-1]["args"]["calldatas"][0])[4:], "big") == 2 * 10**18


def test_points_and_money_read_the_same_everywhere_rounded_down(dao: Dao, env: dict[str, str]) -> None:
    """One rule (domain/units.amount): at most six decimals, rounded down, thousands separated. The
    CLI printed the same points with 3 significant digits (finalize, show, status: `:g`), 4 decimals
    (status, vote), or 2 (show, proposals), some rounded up."""
    founders_first_work(dao)  # genesis standing earns no pay: the founders' first work does
    from starfish_dao.chain.governance import TEMPLATES, Governance
    from starfish_dao.domain.charter import GovernanceSettings
    from starfish_dao.domain.units import amount
    from tests.conftest import PARAMS, artifact_cid

    sf = dao.sf
    work = sf.submit(dao["eli"], artifact_cid("eli's long plan"), 100)
    sf.review(dao["ada"], work, 4)
    sf.review(dao["bo"], work, 4)
    dao.chain.increase_time(PARAMS.review_window + 1)
    assert sf.reveal_due(dao["zed"], work) == 2  # the reviewers' own clients open their sealed ratings
    done = _run(["finalize", str(work), *_d(env)], env)
    shown = amount(100 * 4 * 10**18 // 3)  # effort x median / 3
    assert shown == "133.333333"
    assert f"{shown} points" in done.stdout, done.stdout  # was 133.333
    show = _run(["show", str(work), *_d(env)], env)
    assert f"{shown} points" in show.stdout and "133.333 " not in show.stdout, show.stdout
    status = _run(["status", *_d(env)], env)
    assert shown in status.stdout and "133.3333 " not in status.stdout, status.stdout
    assert "600 " in status.stdout or "600\n" in status.stdout or "600 │" in status.stdout, status.stdout
    gov = Governance(sf)
    pid = gov.propose(dao["ada"], TEMPLATES["set-parameter"]("minReviewers", "3"), "Three reviewers")
    dao.chain.increase_time(GovernanceSettings().voting_delay + 1)
    voted = _run(["vote", f"{pid:064x}"[:8], "for", *_d(env)], env)
    assert voted.returncode == 0, voted.stderr
    weight = amount(int(gov.governor.functions.getVotes(dao["ada"].address, sf.now() - 1).call()))
    assert f"with {weight} points" in voted.stdout, voted.stdout
    listed = _run(["proposals", *_d(env)], env)
    assert f"for {weight}, against 0, abstain 0 points" in listed.stdout, listed.stdout


def test_init_keeps_fractional_genesis_points(tmp_path: Path) -> None:
    import tomllib

    from starfish_dao.cli.setup import read_charter

    path = tmp_path / "charter.toml"
    made = _run(["init", "--founder", "0x000000000000000000000000000000000000dEaD:2.5", "-o", str(path)],
                {"STARFISH_HOME": str(tmp_path / "home")})  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert tomllib.loads(path.read_text())["founders"][0]["points"] == 2.5  # was written 2
    assert read_charter(path)[0].founders[0].genesis_points == 25 * 10**17
