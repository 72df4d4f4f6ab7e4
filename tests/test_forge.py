"""The contracts' promises, machine-checked: forge's invariant suites and halmos's symbolic proofs pass.

`bash scripts/forge.sh` runs both (contracts/test/forge); its budget is bounded in foundry.toml so
that this stays within a few minutes on two cores.
"""

from __future__ import annotations

import re
import subprocess

from starfish_dao.chain.build import PROJECT_ROOT

#: every invariant the fuzzer must check, by suite
INVARIANTS = {
    "SplitterInvariantsTest": [
        "invariant_conservation",
        "invariant_claimsNeverExceedOwed",
        "invariant_dustBounded",
        "invariant_booksMatchLedger",
        "invariant_noViolationInCalls",
    ],
    "SplitterSettlesBeforePointsChangeTest": ["invariant_tokenRevenueSettledBeforePointsChange"],
    "RegistryInvariantsTest": [
        "invariant_contributions",
        "invariant_noViolationInCalls",
        "invariant_pointsAreAcceptedStandingIsGenesisPlusAccepted",
    ],
    "CharterInvariantsTest": [
        "invariant_historyIsFixed",
        "invariant_noViolationInCalls",
        "invariant_parametersWithinBounds",
        "invariant_revenueTokens",
    ],
}

#: every symbolic proof halmos must pass
PROOFS = [
    "check_medianIsTheDefinition",
    "check_totalIsTheSum",
    "check_addTouchesOneBucket",
    "check_shiftDefinition",
    "check_shiftComposes",
    "check_decayIsHalving",
    "check_conservation1",
    "check_claimPaysWhatIsOwed1",
    "check_claimPaysWhatIsOwedAnyAmount",
]


def _run(step: str) -> str:
    run = subprocess.run(
        ["bash", "scripts/forge.sh", step], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=1200
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-8000:]
    return output


def test_forge_invariants_hold() -> None:
    output = _run("forge")
    for suite, names in INVARIANTS.items():
        assert f":{suite}" in output, f"suite {suite} did not run"
        for name in names:
            assert re.search(rf"\[PASS\] {name}\(\) \(runs: \d+, calls: \d+, reverts: 0\)", output), (
                f"{suite}.{name} did not pass every run without a revert"
            )
    # every ordering of three moves of the splitter's menu (SplitterExhaustive.t.sol)
    assert re.search(r"\[PASS\] test_everySequenceOfThreeMoves\(\)", output), "the enumeration did not pass"
    assert re.search(r"\d+ tests passed, 0 failed", output), output[-4000:]


def test_halmos_proofs_hold() -> None:
    output = _run("halmos")
    for name in PROOFS:
        assert re.search(rf"\[PASS\].*\b{name}\(", output), f"{name} was not proved"
    assert not re.search(r"\[(FAIL|TIMEOUT|ERROR)\].*check_(?!reachable)", output), output[-4000:]
    assert "reachability guards: all refuted" in output
