"""Gate on Slither's JSON report: every High or Medium finding must be triaged in docs/security.md.

A finding is named `check@Contract.function[.variable]` (e.g. `arbitrary-send-eth@PayoutSplitter._transfer`);
the triage document must contain that name in backticks, with the reason it is fixed or accepted.
Usage: python scripts/slither_triage.py build/slither.json docs/security.md
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

GATED = ("High", "Medium")


def location(element: dict[str, Any]) -> str:
    """Contract.function[.variable] for a Slither result element."""
    parts = [element.get("name", "?")]
    parent = element.get("type_specific_fields", {}).get("parent")
    while parent:
        parts.append(parent.get("name", "?"))
        parent = parent.get("type_specific_fields", {}).get("parent")
    if element.get("type") == "node":
        parts = parts[1:]  # a node (a line) is named by its function
    return ".".join(reversed(parts))


def finding_id(result: dict[str, Any]) -> str:
    elements = result.get("elements") or [{}]
    return f"{result['check']}@{location(elements[0])}"


def untriaged(report: dict[str, Any], triage: str) -> tuple[list[str], Counter[str]]:
    """(High/Medium findings missing from the triage text, count of findings per impact)."""
    if not report.get("success"):
        raise SystemExit(f"slither failed: {report.get('error') or 'no error given'}")
    results = report.get("results", {}).get("detectors", [])
    counts = Counter(r["impact"] for r in results)
    missing = sorted({finding_id(r) for r in results if r["impact"] in GATED} - _named_in(triage))
    return missing, counts


def _named_in(text: str) -> set[str]:
    names = set()
    for chunk in text.split("`")[1::2]:
        if "@" in chunk:
            names.add(chunk.strip())
    return names


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    report_path, triage_path = Path(argv[1]), Path(argv[2])
    if not report_path.exists():
        print(f"slither wrote no report at {report_path} (see build/slither.txt)", file=sys.stderr)
        return 1
    report = json.loads(report_path.read_text())
    missing, counts = untriaged(report, triage_path.read_text())
    summary = ", ".join(f"{counts[k]} {k}" for k in ("High", "Medium", "Low", "Informational", "Optimization"))
    print(f"slither: {summary}")
    for r in report["results"]["detectors"]:
        if r["impact"] in GATED:
            mark = "UNTRIAGED" if finding_id(r) in missing else "triaged"
            print(f"  {r['impact']:<7} {finding_id(r):<60} {mark}")
    if missing:
        print(f"{len(missing)} High/Medium finding(s) not triaged in {triage_path}:", file=sys.stderr)
        for name in missing:
            print(f"  `{name}`", file=sys.stderr)
        return 1
    print(f"every High/Medium finding is triaged in {triage_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
