"""Slither runs on the contracts and every High/Medium finding is triaged in docs/security.md."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from scripts import slither_triage
from starfish_dao.chain.build import PROJECT_ROOT

SECURITY = PROJECT_ROOT / "docs" / "security.md"


def test_slither_finds_nothing_untriaged(tmp_path: Path) -> None:
    run = subprocess.run(["bash", "scripts/slither.sh"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "every High/Medium finding is triaged" in run.stdout
    report = json.loads((PROJECT_ROOT / "build" / "slither.json").read_text())
    assert report["success"]
    # Slither really analysed our contracts (not an empty target): it names functions in them
    located = {slither_triage.finding_id(r) for r in report["results"]["detectors"]}
    assert any("@PayoutSplitter." in name for name in located), located

    # the gate fails on a finding the document does not name, and says which
    gated = [r for r in report["results"]["detectors"] if r["impact"] in slither_triage.GATED]
    assert gated, "expected the triaged High/Medium findings in the report"
    dropped = slither_triage.finding_id(gated[0])
    doc = tmp_path / "security.md"
    doc.write_text(SECURITY.read_text().replace(f"`{dropped}`", "(removed)"))
    missing, _ = slither_triage.untriaged(report, doc.read_text())
    assert missing == [dropped]
    assert slither_triage.main(["triage", str(PROJECT_ROOT / "build" / "slither.json"), str(doc)]) == 1


def test_finding_names() -> None:
    function = {"type": "function", "name": "_transfer", "type_specific_fields": {"parent": {"name": "PayoutSplitter"}}}
    variable = {
        "type": "variable",
        "name": "seen",
        "type_specific_fields": {
            "parent": {"name": "medianTimesTwo", "type_specific_fields": {"parent": {"name": "Tally"}}}
        },
    }
    node = {
        "type": "node",
        "name": "i < _tokens.length",
        "type_specific_fields": {
            "parent": {"name": "_listed", "type_specific_fields": {"parent": {"name": "Charter"}}}
        },
    }
    assert slither_triage.finding_id({"check": "x", "elements": [function]}) == "x@PayoutSplitter._transfer"
    assert slither_triage.finding_id({"check": "y", "elements": [variable]}) == "y@Tally.medianTimesTwo.seen"
    assert slither_triage.finding_id({"check": "z", "elements": [node]}) == "z@Charter._listed"
