"""Keys: create, import and list eth-account keystores; balances."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from starfish_dao import config, keys
from starfish_dao.cli.common import JsonOpt, RpcOpt, address, console, emit, fail, money

account_app = typer.Typer(help="Encrypted keystores (in the data directory's keystores/ unless a path is given).",
                          no_args_is_help=True)  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(account_app, name="account")


def _path(path: Path) -> Path:
    config.subdir("keystores")
    return keys.keystore_path(path)


@account_app.command("new")
def account_new(path: Annotated[Path, typer.Argument(help="keystore file, or a name for keystores/NAME.json")]) -> None:
    """Create an encrypted keystore (password from $STARFISH_KEY_PASSWORD or a prompt)."""
    target = _path(path)
    account = keys.new_keystore(target)
    console.print(f"{account.address} -> {target}")


@account_app.command("import")
def account_import(
    path: Annotated[Path, typer.Argument(help="keystore file to write, or a name")],
) -> None:
    """Encrypt an existing private key (read from $STARFISH_PRIVATE_KEY or a prompt) into a keystore."""
    import getpass
    import os

    from eth_account import Account

    raw = os.environ.get(keys.KEY_ENV) or getpass.getpass("private key (hex): ")
    try:
        account = Account.from_key(raw.strip())
    except (ValueError, TypeError):
        fail("that is not a private key (32 bytes of hex)")
    target = _path(path)
    keys.new_keystore(target, account)
    console.print(f"{account.address} -> {target}")


@account_app.command("address")
def account_address(path: Annotated[Path, typer.Argument(help="keystore file or name")]) -> None:
    """Print a keystore's address (no password needed)."""
    config.subdir("keystores")
    target = keys.find_keystore(path)
    try:
        raw = json.loads(target.read_text())["address"]
    except (OSError, ValueError, KeyError):
        fail(f"{target} is not a readable keystore")
    print(address("0x" + str(raw).removeprefix("0x"), "the keystore's address"))


@account_app.command("list")
def account_list(as_json: JsonOpt = False) -> None:
    """The keystores in the data directory and their addresses."""
    rows: list[dict[str, Any]] = []
    for file in sorted(config.subdir("keystores").glob("*.json")):
        try:
            rows.append({"file": str(file), "address": address("0x" + json.loads(file.read_text())["address"])})
        except (OSError, ValueError, KeyError):
            rows.append({"file": str(file), "address": None})

    def human() -> None:
        for r in rows:
            console.print(f"{r['address'] or '(unreadable)'}  {r['file']}")
        if not rows:
            console.print("no keystores yet: `starfish account new NAME`")

    emit(rows, as_json, human)


@account_app.command("balance")
def account_balance(
    who: Annotated[str, typer.Argument(metavar="ADDRESS", help="an address")],
    rpc: RpcOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """An account's ETH balance on the chain."""
    from starfish_dao.cli.common import chain

    target = address(who, "the account")
    wei = int(chain(rpc).w3.eth.get_balance(target))  # type: ignore[arg-type]
    emit({"address": target, "wei": wei}, as_json, lambda: console.print(f"{target}: {money(wei)}"))
