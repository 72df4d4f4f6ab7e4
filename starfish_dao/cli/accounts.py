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


def _keystore_address(path: Path | str) -> str:
    """The address a keystore holds (no password needed: the address is written in clear)."""
    config.subdir("keystores")
    target = keys.find_keystore(path)
    try:
        raw = json.loads(target.read_text())["address"]
    except (OSError, ValueError, KeyError):
        fail(f"{target} is not a readable keystore")
    return address("0x" + str(raw).removeprefix("0x"), "the keystore's address")


def name_or_address(text: str, what: str = "the account") -> tuple[str, str | None]:
    """An account a person names: a local key's name (`ada`, a keystore file) or an address (the one
    address rule). Its address, and the key's name when it is one."""
    from starfish_dao.domain.errors import KeyError_

    given = text.strip()
    if given.lower().startswith("0x"):
        return address(given, what), None
    try:
        found = _keystore_address(given)
    except KeyError_:
        fail(f"{what} {given!r} is neither an address nor a key kept here (no keystores/{Path(given).stem}.json)",
             "give an address (0x and 40 hex digits) or a key's name: `starfish account list` lists them")  # fmt: skip
    return found, Path(given).stem


@account_app.command("address")
def account_address(path: Annotated[Path, typer.Argument(help="keystore file or name")]) -> None:
    """Print a keystore's address (no password needed)."""
    print(_keystore_address(path))


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
    who: Annotated[str, typer.Argument(metavar="NAME|ADDRESS", help="a local key's name (ada) or an address")],
    rpc: RpcOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """An account's ETH balance on the chain: a key kept here, by its name, or any address."""
    from starfish_dao.cli.common import chain, key_names

    target, name = name_or_address(who)
    name = name or key_names().get(target)  # an address that is a key kept here: its name too
    wei = int(chain(rpc).w3.eth.get_balance(target))  # type: ignore[arg-type]
    shown = f"{name} ({target})" if name else target
    emit({"address": target, "name": name, "wei": wei}, as_json, lambda: console.print(f"{shown}: {money(wei)}"))
