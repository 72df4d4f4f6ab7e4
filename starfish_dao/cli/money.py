"""Money: pay revenue in, claim pay out, and a payout report for the books."""

from __future__ import annotations

import csv
import sys
from datetime import datetime
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
    token_units,
    typed_units,
)  # fmt: skip
from starfish_dao.domain.model import ETH


def register(app: typer.Typer) -> None:
    app.command()(pay)
    app.command()(claim)
    app.command()(report)


def pay(
    amount: Annotated[str, typer.Argument(help="in ETH, or in whole token units with --token")],
    token: Annotated[str | None, typer.Option(metavar="TOKEN", help="ERC-20 address (default: ETH)")] = None,
    decimals: Annotated[
        int | None,
        typer.Option(help="the token's decimals, only for a token that does not state them (read from the token)"),
    ] = None,
    rpc: RpcOpt = None,
    key_file: KeyOpt = None,
    deployments: DeplOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Pay revenue into the splitter (a customer's payment): AMOUNT ETH, or AMOUNT of TOKEN (in its own units)."""
    account = load_key(key_file)
    if token:
        token = address(token, "--token")
    elif decimals not in (None, 18):
        fail("--decimals is for a token (--token); ETH has 18")
    sf = client(rpc, deployments)
    symbol, places = typed_units(sf.w3, token, decimals) if token else ("ETH", 18)
    wei = to_wei(amount, places)
    if token:
        sf.pay_token(account, token, wei)
    else:
        sf.pay_eth(account, wei)
    emit({"paid": wei, "token": token or ETH}, as_json,
         lambda: console.print(f"paid {money(wei, symbol, decimals=places)} into the splitter"))  # fmt: skip


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
    if to is not None:
        if member is not None:
            fail("--to directs your own pay; it cannot be combined with --member")
        to = address(to, "--to")
        account = load_key(key_file)
        if relay:
            state = relayed.send(relay, account, "ClaimTo", quiet=as_json, token=token, to=to)
            paid = _relayed_claim(state, rpc, deployments, account.address, token, to)
            units = _relayed_units(state, rpc, deployments, token)
            emit({"paid": paid, "to": to, "token": token, "tx": state.get("txHash")}, as_json,
                 lambda: console.print(_claimed(paid, units, wei, f"of your pay to {to}")))  # fmt: skip
            return
        sf = client(rpc, deployments)
        amount, units = sf.claim_to(account, to, token), token_units(sf.w3, token)
        emit({"paid": amount, "to": to, "token": token}, as_json,
             lambda: console.print(_claimed(amount, units, wei, f"of your pay to {to}")))  # fmt: skip
        return
    who = address(member, "--member") if member else load_key(key_file).address
    if relay:
        state = relayed.send(relay, None, "Claim", quiet=as_json, member=who, token=token)
        paid = _relayed_claim(state, rpc, deployments, who, token)
        units = _relayed_units(state, rpc, deployments, token)
        emit({"paid": paid, "member": who, "token": token, "tx": state.get("txHash")}, as_json,
             lambda: console.print(_claimed(paid, units, wei, f"to {named(who)}")))  # fmt: skip
        return
    account = load_key(key_file)
    sf = client(rpc, deployments)
    units = token_units(sf.w3, token)
    symbol = units[0]
    if incarnation is not None:
        owed = int(sf.splitter.functions.claimableIncarnation(who, token, incarnation).call())
        if owed == 0:
            console.print(f"nothing to claim for {who} in {symbol} (listing {incarnation}): no transaction sent")
            return
        fn = sf.splitter.functions.claimIncarnation(who, token, incarnation)
        amount = sf._claimed_amount(sf._send(account, fn))
        emit({"paid": amount, "member": who, "token": token, "incarnation": incarnation}, as_json,
             lambda: console.print(_claimed(amount, units, wei, f"to {who}")))  # fmt: skip
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
         lambda: console.print(_claimed(amount, units, wei, f"to {named(who)}")))  # fmt: skip


def _relayed_claim(
    state: dict[str, Any], rpc: str | None, deployments: Path | None, member: str, token: str, to: str | None = None
) -> int | None:
    """What a relayed claim paid: the Claimed event of its mined receipt, else what the relay read
    from that receipt; None when neither can tell."""
    match = {"member": member, "token": token, **({"to": to} if to else {})}
    found = None
    if token == ETH and to in (None, member):  # the short event of an ETH claim paid to the member: its own
        found = relayed.mined_event(state, "splitter", "EthClaimed", rpc, deployments, member=member)
    if found is None:  # (a payee re-entering with its own claimTo would add a Claimed of the same member)
        found = relayed.mined_event(state, "splitter", "Claimed", rpc, deployments, **match)
    if found is not None:
        return int(found["amount"])
    result = state.get("result")
    return int(result["amount"]) if isinstance(result, dict) and "amount" in result else None


def named(account: str) -> str:
    """`ada (0x…)` for a key kept here, else the address."""
    from starfish_dao.cli.common import key_names, who

    return who(account, key_names())


def _relayed_units(
    state: dict[str, Any], rpc: str | None, deployments: Path | None, token: str
) -> tuple[str, int | None]:
    """The units of a token a relay paid out: read from the chain when this machine reads it (see
    `relayed._reader`); else the token's short address and no decimals (the amount in base units)."""
    from starfish_dao.chain.tokens import short_token

    if token == ETH:
        return "ETH", 18
    sf = relayed._reader(rpc, deployments, state.get("relay"))
    return token_units(sf.w3, token) if sf is not None else (short_token(token), None)


def _claimed(amount: int | None, units: tuple[str, int | None], wei: bool, whom: str) -> str:
    """`paid 3.75 TUSD to ada (0x…)`: an amount in the token's own units (base units when unknown)."""
    symbol, decimals = units
    if amount is None:
        return f"claimed: paid {whom} (`starfish status` shows how much)"
    return f"paid {money(amount, symbol, wei or decimals is None, 18 if decimals is None else decimals)} {whom}"


def report(
    csv_out: Annotated[Path | None, typer.Option("--csv", help="write the payouts as CSV here ('-': stdout)")] = None,
    rpc: RpcOpt = None,
    deployments: DeplOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Payouts per member and token, with dates: every receipt, claim and treasury spend, for the books.

    The CSV gives each amount in the token's own units (ETH, or the token's symbol, decimals applied,
    exact: not rounded) and again as the exact integer of base units (wei), with the local date."""
    from decimal import Decimal

    from starfish_dao.cli.common import key_names, token_units, who
    from starfish_dao.domain.units import local_time

    sf = client(rpc, deployments)
    events: list[dict[str, Any]] = []
    for event in sf.logs():
        name, a = event["event"], event["args"]
        if event["contract"] != "splitter":
            continue
        if name == "Claimed":
            kind, payer, to = "payout", a["member"], a["to"]
        elif name == "EthClaimed":  # the short form of an ETH claim paid to the member's own address
            kind, payer, to = "payout", a["member"], a["member"]
        elif name == "RevenueReceived":
            kind, payer, to = "revenue", a["from"], sf.splitter.address
        elif name == "TreasurySpent":
            kind, payer, to = "treasury spend", "treasury", a["to"]
        elif name == "Rescued":
            kind, payer, to = "rescue", "splitter", a["to"]
        else:
            continue
        events.append({"time": int(event["timestamp"]), "kind": kind, "from": payer, "to": to,
                       "token": a.get("token", ETH), "amount": int(a["amount"]),
                       "block": int(event["block"])})  # fmt: skip
    units = {t: token_units(sf.w3, t) for t in dict.fromkeys([ETH, *(e["token"] for e in events)])}

    def exact(wei: int, decimals: int) -> str:
        text = f"{Decimal(wei) / Decimal(10**decimals):f}"
        return text.rstrip("0").rstrip(".") if "." in text else text

    if csv_out is not None:
        used = list(dict.fromkeys(units[e["token"]][0] for e in events)) or ["ETH"]
        header = ["date (local time)", "kind", "member or payer", "paid to", "token",
                  f"amount ({' or '.join(used)}, as the token column says; exact)",
                  "amount in base units (wei for ETH; integer, exact)", "token address", "block",
                  "unix time"]  # fmt: skip
        out = sys.stdout if str(csv_out) == "-" else csv_out.open("w", newline="")
        writer = csv.writer(out)
        writer.writerow(header)
        for e in events:
            symbol, decimals = units[e["token"]]
            when = datetime.fromtimestamp(e["time"]).astimezone().strftime("%Y-%m-%d %H:%M:%S")
            writer.writerow([when, e["kind"], e["from"], e["to"], symbol, exact(e["amount"], decimals), e["amount"],
                             e["token"], e["block"], e["time"]])  # fmt: skip
        if out is not sys.stdout:
            out.close()
            console.print(f"wrote {len(events)} rows to {csv_out}")
        return
    tokens = list(units)
    totals: dict[str, dict[str, int]] = {}
    for e in events:
        if e["kind"] == "payout":
            paid = totals.setdefault(e["from"], dict.fromkeys(tokens, 0))
            paid[e["token"]] += e["amount"]

    def human() -> None:
        from rich.table import Table

        names = key_names()
        table = Table(title="Paid out per member (all time; amounts rounded down)")
        table.add_column("member")
        for t in tokens:
            table.add_column(units[t][0], justify="right")
        for m, by_token in totals.items():
            table.add_row(who(m, names), *(money(v, units[t][0], decimals=units[t][1]) for t, v in by_token.items()))
        console.print(table if totals else "nobody has been paid yet")
        if events:
            console.print(f"{len(events)} money events, the last on {local_time(events[-1]['time'])}; "
                          "`starfish report --csv payouts.csv` writes every one with its date")  # fmt: skip
        else:
            console.print("no money events yet")

    emit({"events": events, "paid": totals}, as_json, human)
