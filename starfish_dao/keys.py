"""Private keys: from an eth-account encrypted keystore or from an environment variable, never a default."""

from __future__ import annotations

import getpass
import json
import os
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from starfish_dao.domain.errors import KeyError_

KEY_ENV = "STARFISH_PRIVATE_KEY"
PASSWORD_ENV = "STARFISH_KEY_PASSWORD"


def _password(prompt: str, confirm: bool = False) -> str:
    password = os.environ.get(PASSWORD_ENV)
    if password is not None:
        return password
    try:
        password = getpass.getpass(prompt)
        if confirm and getpass.getpass("again: ") != password:
            raise KeyError_("the passwords differ")
    except EOFError:
        raise KeyError_(f"no password: set {PASSWORD_ENV} or run in a terminal") from None
    return password


def keystore_path(path: Path, find: bool = False) -> Path:
    """A keystore file; a bare name (`ada`) means `keystores/ada.json` in the data directory. With
    `find` (a keystore to read), a bare file name that is not here (`ada.json`) is looked for there too."""
    path = Path(path)
    if path.exists() or path.parent != Path("."):
        return path
    from starfish_dao import config

    if not path.suffix:
        return config.home() / "keystores" / f"{path}.json"
    if find:
        return config.home() / "keystores" / path.name
    return path


def find_keystore(path: Path | str, what: str = "keystore") -> Path:
    """The keystore `path` names (a file, or a name in the data directory's keystores/); a clear
    refusal when there is none, saying where it was looked for and how to make one."""
    found = keystore_path(Path(path), find=True)
    if found.is_file():
        return found
    places = f"{path}" if found == Path(path) else f"{path} here nor {found}"
    name = Path(path).stem
    raise KeyError_(f"no {what} at {places}: `starfish account new {name}` creates one "
                    "(`starfish account list` lists those in the data directory)")  # fmt: skip


def load(key_file: Path | None = None) -> LocalAccount:
    """The signing account: `key_file` (keystore JSON) if given, else $STARFISH_PRIVATE_KEY."""
    if key_file is not None:
        path = find_keystore(key_file)
        try:
            keystore = json.loads(path.read_text())
        except FileNotFoundError:
            raise KeyError_(f"no keystore at {path}") from None
        except (OSError, json.JSONDecodeError) as exc:
            raise KeyError_(f"{path} is not a readable keystore: {exc}") from exc
        try:
            key = Account.decrypt(keystore, _password(f"password for {path.name}: "))
        except ValueError:
            raise KeyError_(f"wrong password for {path} (or a damaged keystore)") from None
        account: LocalAccount = Account.from_key(key)
        return account
    raw = os.environ.get(KEY_ENV)
    if raw:
        try:
            account = Account.from_key(raw.strip())
            return account
        except (ValueError, TypeError):
            raise KeyError_(f"${KEY_ENV} is not a valid private key (32 bytes of hex)") from None
    raise KeyError_(f"no key: pass --key-file KEYSTORE or set ${KEY_ENV}")


def new_keystore(path: Path, account: LocalAccount | None = None) -> LocalAccount:
    """Creates an encrypted keystore at `path` (refuses to overwrite) for a new or given account."""
    path = Path(path)
    if path.exists():
        raise KeyError_(f"{path} exists: refusing to overwrite a keystore")
    account = account or Account.create()
    password = _password(f"password for the new keystore {path.name}: ", confirm=True)
    keystore = Account.encrypt(account.key, password)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(keystore, f)
    return account
