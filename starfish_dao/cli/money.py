"""Money: pay revenue in, claim pay out, and a payout report for the books."""

from __future__ import annotations

import csv
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from starfish_dao.cli import relayed
from starfish_dao.cli.common import (
    DeplOpt,
    JsonOpt,
    KeyOpt,
    RelayOpt,
    RpcOpt,
    WeiOpt,
    address,
    client,
    console,
    emit,
    fail,
    load_key,
    money,
    to_wei,
    token_symbol,
)  # fmt: skip
from starfish_dao.domain.model import ETH


def register(app: typer.Typer) -> None:
    app.command()(pay)
    app.command()(claim)
    app.command()(report)


def pay(
    amount: Annotated[str, typer.Argument(help="in ETH, or in whole token units with --token")],
    token: Annotated[str | None, typer.Option(metavar="TOKEN", help="ERC-20 address (default: ETH)")] = None,
    decimals: Annotated[int, typer.Option(help="the token's decimals")] = 18,
    rpc: RpcOpt = None,
    key_file: KeyOpt = None,
    deployments: DeplOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Pay revenue into the splitter (a customer's payment): AMOUNT ETH, or AMOUNT of TOKEN."""
    account = load_key(key_file)
    sf = client(rpc, deployments)
    wei = to_wei(amount, decimals)
    if token:
        token = address(token, "--token")
        sf.pay_token(account, token, wei)
    else:
        sf.pay_eth(account, wei)
    symbol = token_symbol(token) if token else "ETH"
    emit({"paid": wei, "token": token or ETH}, as_json,
         lambda: console.print(f"paid {money(wei, symbol, decimals=decimals)} into the splitter"))  # fmt: skip


def claim(
    member: Annotated[
        str | None, typer.Option(metavar="ADDRESS", help="whom to pay (default: yourself); anyone may claim for anyone")
    ] = None,
    token: Annotated[str, typer.Option(metavar="TOKEN", help="token address, or eth (the default)")] = ETH,
    to: Annotated[
        str | None,
        typer.Option(metavar="ADDRESS", help="send your own pay to this address (a wallet that cannot receive)"),
    ] = None,
    rpc: RpcOpt = None,
    key_file: KeyOpt = None,
    deployments: DeplOpt = None,
    relay: RelayOpt = None,
    incarnation: Annotated[
        int | None, typer.Option(help="a token's earlier listing (after it was delisted and listed again)")
    ] = None,
    wei: WeiOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Claim what a member is owed (the member is paid, whoever claims), or with --to direct your pay elsewhere."""
    token = ETH if token.lower() in ("eth", ETH) else address(token, "--token")
    symbol = token_symbol(token)
    if to is not None:
        if member is not None:
            fail("--to directs your own pay; it cannot be combined with --member")
        to = address(to, "--to")
        account = load_key(key_file)
        if relay:
            state = relayed.send(relay, account, "ClaimTo", quiet=as_json, token=token, to=to)
            paid = _relayed_claim(state, rpc, deployments, account.address, token, to)
            emit({"paid": paid, "to": to, "token": token, "tx": state.get("txHash")}, as_json,
                 lambda: console.print(_claimed(paid, symbol, wei, f"of your pay to {to}")))  # fmt: skip
            return
        amount = client(rpc, deployments).claim_to(account, to, token)
        emit({"paid": amount, "to": to, "token": token}, as_json,
             lambda: console.print(f"paid {money(amount, symbol, wei)} of your pay to {to}"))  # fmt: skip
        return
    who = address(member, "--member") if member else load_key(key_file).address
    if relay:
        state = relayed.send(relay, None, "Claim", quiet=as_json, member=who, token=token)
        paid = _relayed_claim(state, rpc, deployments, who, token)
        emit({"paid": paid, "member": who, "token": token, "tx": state.get("txHash")}, as_json,
             lambda: console.print(_claimed(paid, symbol, wei, f"to {who}")))  # fmt: skip
        return
    account = load_key(key_file)
    sf = client(rpc, deployments)
    if incarnation is not None:
        owed = int(sf.splitter.functions.claimableIncarnation(who, token, incarnation).call())
        if owed == 0:
            console.print(f"nothing to claim for {who} in {symbol} (listing {incarnation}): no transaction sent")
            return
        fn = sf.splitter.functions.claimIncarnation(who, token, incarnation)
        amount = sf._claimed_amount(sf._send(account, fn))
        emit({"paid": amount, "member": who, "token": token, "incarnation": incarnation}, as_json,
             lambda: console.print(f"paid {money(amount, symbol, wei)} to {who}"))  # fmt: skip
        return
    owed = sf.claimable(who, token)
    waiting = token == ETH and int(sf.w3.eth.get_balance(sf.splitter.address)) > int(
        sf.splitter.functions.tracked(ETH).call()
    )
    if owed == 0 and not waiting:
        emit({"paid": 0, "member": who, "token": token}, as_json,
             lambda: console.print(f"nothing to claim for {who} in {symbol}: no transaction sent"))  # fmt: skip
        return
    amount = sf.claim(account, who, token)
    emit({"paid": amount, "member": who, "token": token}, as_json,
         lambda: console.print(f"paid {money(amount, symbol, wei)} to {who}"))  # fmt: skip


def _relayed_claim(
    state: dict[str, Any], rpc: str | None, deployments: Path | None, member: str, token: str, to: str | None = None
) -> int | None:
    """What a relayed claim paid: the Claimed event of its mined receipt, else what the relay read
    from that receipt; None when neither can tell."""
    match = {"member": member, "token": token, **({"to": to} if to else {})}
    found = relayed.mined_event(state, "splitter", "Claimed", rpc, deployments, **match)
    if found is None and token == ETH and to in (None, member):  # the short event of an ETH claim paid to the member
        found = relayed.mined_event(state, "splitter", "EthClaimed", rpc, deployments, member=member)
    if found is not None:
        return int(found["amount"])
    result = state.get("result")
    return int(result["amount"]) if isinstance(result, dict) and "amount" in result else None


def _claimed(amount: int | None, symbol: str, wei: bool, whom: str) -> str:
    if amount is None:
        return f"claimed: paid {whom} (`starfish status` shows how much)"
    return f"paid {money(amount, symbol, wei)} {whom}"


def report(
    csv_out: Annotated[Path | None, typer.Option("--csv", help="write the payouts as CSV here ('-': stdout)")] = None,
    rpc: RpcOpt = None,
    deployments: DeplOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Payouts per member and token, with dates: every receipt, claim and treasury spend, for the books."""
    from starfish_dao.verify.state import replay

    sf = client(rpc, deployments)
    rows = []
    for event in sf.logs():
        name, a = event["event"], event["args"]
        when = datetime.fromtimestamp(int(event["timestamp"]), UTC).isoformat(timespec="seconds")
        if event["contract"] != "splitter":
            continue
        if name == "Claimed":
            rows.append([when, "payout", a["member"], a["to"], a["token"], int(a["amount"]), event["block"]])
        elif name == "RevenueReceived":
            rows.append([when, "revenue", a["from"], sf.splitter.address, a["token"], int(a["amount"]), event["block"]])
        elif name == "TreasurySpent":
            rows.append([when, "treasury spend", "treasury", a["to"], a["token"], int(a["amount"]), event["block"]])
        elif name == "Rescued":
            rows.append([when, "rescue", "splitter", a["to"], a["token"], int(a["amount"]), event["block"]])
    header = ["date (UTC)", "kind", "member or payer", "paid to", "token", "amount (wei)", "block"]
    if csv_out is not None:
        out = sys.stdout if str(csv_out) == "-" else csv_out.open("w", newline="")
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
        if out is not sys.stdout:
            out.close()
            console.print(f"wrote {len(rows)} rows to {csv_out}")
        return
    model = replay(sf)
    totals = {m: {t: model.claimed_by[(m, t)] for t in model.all_tokens()} for m in model.accounts_seen()}

    def human() -> None:
        from rich.table import Table

        table = Table(title="Paid out per member (all time)")
        table.add_column("member")
        for t in model.all_tokens():
            table.add_column(token_symbol(t), justify="right")
        for m, by_token in totals.items():
            table.add_row(m, *(money(v, token_symbol(t)) for t, v in by_token.items()))
        console.print(table)
        console.print(f"{len(rows)} money events; `starfish report --csv payouts.csv` for every one with its date")

    emit({"events": [dict(zip(header, r, strict=True)) for r in rows], "paid": totals}, as_json, human)
