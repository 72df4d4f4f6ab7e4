"""`starfish verify`: every check, with progress, as text, JSON or a self-contained HTML page."""

from __future__ import annotations

import gc
import html
import json
import time
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from starfish_dao.chain.client import Starfish
from starfish_dao.domain.model import ETH, Model
from starfish_dao.domain.units import amount, local_time
from starfish_dao.domain.unixfs import CID
from starfish_dao.ipfs import ArtifactStore
from starfish_dao.verify.code import check_code, check_wiring
from starfish_dao.verify.governance import check_governance
from starfish_dao.verify.state import Check, compare
from starfish_dao.verify.work import check_work


@dataclass
class Report:
    chain_id: int
    block: int
    timestamp: int
    deploy_block: int
    addresses: dict[str, str]
    checks: list[Check]
    model: Model
    seconds: float
    members: list[dict[str, Any]] = field(default_factory=list)
    money: list[dict[str, Any]] = field(default_factory=list)
    #: each token's symbol and decimals, as its contract states them (ETH: "ETH", 18)
    units: dict[str, tuple[str, int]] = field(default_factory=dict)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    @property
    def ok(self) -> bool:
        return not self.failures


def verify(
    sf: Starfish, store: ArtifactStore | None = None, console: Console | None = None, chunk: int = 5000
) -> Report:
    started = time.monotonic()
    console = console or Console(stderr=True)
    head = int(sf.w3.eth.block_number)
    blocks = max(1, head - sf.deployment.deploy_block + 1)
    checks: list[Check] = []
    model = Model()
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), console=console, transient=True,
    ) as progress:  # fmt: skip
        task = progress.add_task("code and wiring", total=2)
        checks += check_code(sf)
        progress.advance(task)
        checks += check_wiring(sf)
        progress.advance(task)
        task = progress.add_task("events", total=blocks)
        # the replay builds millions of long-lived objects and frees little: the cycle collector's
        # repeated passes over them cost a third of it (100,000 ratings: 11.5 -> 8.3 s for the logs),
        # and found nothing to free; reference counting still frees everything the replay drops
        collecting = gc.isenabled()
        gc.disable()
        try:
            events = sf.logs(sf.deployment.deploy_block, head, lambda n: progress.advance(task, n), chunk, ahead=True)
            model.apply_all(events)
        finally:
            if collecting:
                gc.enable()
        task = progress.add_task("state and money", total=2)
        checks += compare(sf, model, head)
        progress.advance(task)
        checks += check_governance(sf, model, int(sf.w3.eth.get_block(head)["timestamp"]))
        progress.advance(task)
        if store is not None:
            task = progress.add_task("work on IPFS", total=len(model.contributions))
            checks += check_work(store, model, lambda n: progress.advance(task, n))
    now = sf.now()
    report = Report(
        chain_id=sf.deployment.chain_id, block=head, timestamp=now, deploy_block=sf.deployment.deploy_block,
        addresses=dict(sf.deployment.addresses),
        checks=checks, model=model, seconds=time.monotonic() - started,
    )  # fmt: skip
    tokens = model.all_tokens()
    from starfish_dao.chain.tokens import token_units

    report.units = {t: token_units(sf.w3, t) for t in tokens}
    for address in model.accounts_seen():
        record = model.members.get(address)
        report.members.append({
            "address": address,
            "member": bool(record and record.token_id),
            "suspended": bool(record and record.suspended),
            "points": model.points_of(address, now),
            "standing": model.standing_of(address, now),
            "claimed": {t: model.claimed_by[(address, t)] for t in tokens},
            "claimable": {t: model.claimable(address, t) for t in tokens},
        })  # fmt: skip
    for t in tokens:
        report.money.append({
            "token": t, "received": model.received[t], "claimed": model.claimed[t],
            "claimable": model.total_claimable(t), "treasury": model.treasury[t], "spent": model.spent[t],
            "undistributed": model.undistributed[t],
            "dust": model.dust(t), "dustBound": model.dust_bound(t),
        })  # fmt: skip
    return report


def to_json(report: Report) -> str:
    """The report as JSON: amounts (wei, points) always as decimal strings, counts and times as numbers."""
    from starfish_dao.jsonout import jsonable

    return json.dumps(
        jsonable(
            {
                "ok": report.ok,
                "chainId": report.chain_id,
                "block": report.block,
                "timestamp": report.timestamp,
                "contracts": report.addresses,
                "seconds": round(report.seconds, 3),
                "events": report.model.events_applied,
                "eventsByKind": dict(sorted(report.model.events_by_kind.items())),
                "checks": {"total": len(report.checks), "failed": len(report.failures)},
                "failures": [_check_dict(c) for c in report.failures],
                "members": report.members,
                "money": report.money,
                "allChecks": [_check_dict(c) for c in report.checks],
            }
        ),
        indent=2,
    )


def _check_dict(c: Check) -> dict[str, Any]:
    return {
        "category": c.category, "subject": c.subject, "what": c.what, "ok": c.ok,
        "chain": c.chain, "model": c.model, "note": c.note,
    }  # fmt: skip


def _token_label(report: Report, token: str) -> str:
    """ETH, or a token's symbol with its address (anyone can call a token "USDC")."""
    if token == ETH:
        return "ETH"
    symbol = report.units.get(token, (token, 18))[0]
    return token if symbol == token else f"{symbol} ({token})"


def _amount(report: Report, token: str, wei: int) -> str:
    """In the token's own decimals: the CLI's and the page's rounding, down, at most 6 decimals."""
    return amount(wei, report.units.get(token, ("", 18))[1])


def _value(value: Any) -> str:
    """A check's value for people: a CID or 0x hex for bytes, never a Python repr."""
    if isinstance(value, bytes | bytearray):
        try:
            return str(CID.from_bytes(bytes(value)))
        except ValueError:
            return "0x" + bytes(value).hex()
    if isinstance(value, list | tuple):
        return ", ".join(_value(v) for v in value)
    return str(value)


MONEY_COLUMNS = ("received", "claimed", "claimable", "treasury", "spent", "undistributed")


def to_html(report: Report) -> str:
    e = html.escape
    verdict = "All checks pass" if report.ok else f"{len(report.failures)} of {len(report.checks)} checks FAIL"
    rows_members = "".join(
        f"<tr><td><code>{e(m['address'])}</code></td><td>{'member' if m['member'] else 'former'}"
        f"{' (suspended)' if m['suspended'] else ''}</td><td class=n>{amount(m['points'])}</td>"
        f"<td class=n>{amount(m['standing'])}</td>"
        + "".join(
            f"<td class=n>{_amount(report, t, m['claimed'][t])}</td>"
            f"<td class=n>{_amount(report, t, m['claimable'][t])}</td>"
            for t in m["claimable"]
        )
        + "</tr>"
        for m in report.members
    )
    tokens = [m["token"] for m in report.money]
    head_members = "".join(
        f"<th>{e(_token_label(report, t))} claimed</th><th>{e(_token_label(report, t))} claimable</th>" for t in tokens
    )
    rows_money = "".join(
        f"<tr><td>{e(_token_label(report, m['token']))}</td>"
        + "".join(f"<td class=n>{_amount(report, m['token'], m[k])}</td>" for k in MONEY_COLUMNS)
        + f"<td class=n>{m['dust']} / {m['dustBound']}</td></tr>"
        for m in report.money
    )
    rows_checks = "".join(
        f"<tr class={'ok' if c.ok else 'bad'}><td>{'✓' if c.ok else '✗'}</td><td>{e(c.category)}</td>"
        f"<td>{e(c.subject)}</td><td>{e(c.what)}</td><td><code>{e(_value(c.chain))}</code></td>"
        f"<td><code>{e(_value(c.model))}</code></td><td>{e(c.note)}</td></tr>"
        for c in sorted(report.checks, key=lambda c: c.ok)
    )
    contracts = "".join(f"<li>{e(role)}: <code>{e(a)}</code></li>" for role, a in report.addresses.items())
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Starfish DAO verification — chain {report.chain_id}</title>
<style>
body{{font-family:system-ui,sans-serif;margin:2rem;color:#1d2330}} h1{{margin-bottom:.2rem}}
.verdict{{font-size:1.3rem;padding:.6rem 1rem;border-radius:6px;display:inline-block;
  background:{"#e3f6e8" if report.ok else "#fde4e4"};color:{"#14632c" if report.ok else "#8a1111"}}}
table{{border-collapse:collapse;margin:1rem 0;font-size:.9rem}} th,td{{border:1px solid #d6dae3;padding:.3rem .6rem}}
th{{background:#f2f4f8;text-align:left}} td.n{{text-align:right;font-variant-numeric:tabular-nums}}
tr.bad td{{background:#fff0f0}} code{{font-size:.85rem}}
</style></head><body>
<h1>Starfish DAO — verification report</h1>
<p>Chain {report.chain_id}, block {report.block} of {e(local_time(report.timestamp))};
{report.model.events_applied} events replayed in {report.seconds:.1f} s.</p>
<p class=verdict>{e(verdict)}</p>
<h2>Contracts</h2><ul>{contracts}</ul>
<h2>Members</h2>
<table><tr><th>address</th><th>status</th><th>points</th><th>standing</th>{head_members}</tr>{rows_members}</table>
<h2>Money</h2>
<table><tr><th>token</th><th>received</th><th>claimed</th><th>claimable</th><th>treasury</th><th>spent</th>
<th>undistributed</th><th>dust / bound (wei)</th></tr>{rows_money}</table>
<h2>Checks ({len(report.checks)})</h2>
<table><tr><th></th><th>category</th><th>subject</th><th>check</th><th>on-chain</th><th>expected</th><th>note</th></tr>
{rows_checks}</table>
</body></html>
"""


def print_summary(report: Report, console: Console) -> None:
    by_category: dict[str, list[Check]] = {}
    for c in report.checks:
        by_category.setdefault(c.category, []).append(c)
    for category, checks in by_category.items():
        bad = [c for c in checks if not c.ok]
        mark = "[green]✓[/]" if not bad else "[red]✗[/]"
        console.print(f"{mark} {category:<8} {len(checks) - len(bad)}/{len(checks)} checks pass")
    for c in report.failures:
        console.print(f"  [red]FAIL[/] {c}")
    for c in report.checks:
        if c.ok and c.note and c.category == "money" and "sync" in c.note:
            console.print(f"  [yellow]note[/] {c.subject}: {c.note}")
    verdict = "[bold green]verified[/]" if report.ok else "[bold red]NOT verified[/]"
    console.print(
        f"{verdict}: {len(report.checks)} checks, {len(report.failures)} failed; {report.model.events_applied} events "
        f"replayed from block {report.deploy_block} to {report.block} in {report.seconds:.1f} s"
    )
