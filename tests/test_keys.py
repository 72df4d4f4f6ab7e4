from __future__ import annotations

from pathlib import Path

import pytest
from eth_account import Account

from starfish_dao import keys
from starfish_dao.domain.errors import KeyError_


def test_keystore_roundtrip_and_refusals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(keys.PASSWORD_ENV, "correct horse")
    monkeypatch.delenv(keys.KEY_ENV, raising=False)
    path = tmp_path / "k.json"
    account = keys.new_keystore(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert keys.load(path).address == account.address
    assert account.key.hex() not in path.read_text()
    with pytest.raises(KeyError_, match="refusing to overwrite"):
        keys.new_keystore(path)
    monkeypatch.setenv(keys.PASSWORD_ENV, "wrong")
    with pytest.raises(KeyError_, match="wrong password"):
        keys.load(path)
    with pytest.raises(KeyError_, match="no keystore"):
        keys.load(tmp_path / "missing.json")


def test_env_key_and_no_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(keys.KEY_ENV, raising=False)
    with pytest.raises(KeyError_, match="no key"):
        keys.load()
    account = Account.create()
    monkeypatch.setenv(keys.KEY_ENV, account.key.hex())
    assert keys.load().address == account.address
    monkeypatch.setenv(keys.KEY_ENV, "0x1234")
    with pytest.raises(KeyError_, match="not a valid private key"):
        keys.load()
