"""Sending transactions from a local key, with reverts decoded into named custom errors."""

from __future__ import annotations

import weakref
from typing import Any

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError, MethodUnavailable
from web3.types import TxReceipt

from starfish_dao.chain.errors import decode_revert, revert_from_exception
from starfish_dao.domain.errors import ContractRevert, InsufficientFunds

DEFAULT_TIP = 10**9  # 1 gwei when the node has no opinion
_CHAIN_IDS: weakref.WeakKeyDictionary[Web3, int] = weakref.WeakKeyDictionary()


def chain_id(w3: Web3) -> int:
    """The node's chain id, asked once per connection (web3 asks on every access)."""
    known = _CHAIN_IDS.get(w3)
    if known is None:
        known = _CHAIN_IDS[w3] = int(w3.eth.chain_id)
    return known


def fee_fields(w3: Web3) -> dict[str, int]:
    """EIP-1559 fees: twice the current base fee plus the node's suggested tip."""
    base = int(w3.eth.get_block("latest").get("baseFeePerGas", 0) or 0)
    try:
        tip = int(w3.eth.max_priority_fee)
    except Exception:  # noqa: BLE001 - nodes without eth_maxPriorityFeePerGas
        tip = DEFAULT_TIP
    return {"maxFeePerGas": 2 * base + tip, "maxPriorityFeePerGas": tip}


def _raise_revert(exc: BaseException) -> None:
    if isinstance(exc, ContractCustomError | ContractLogicError | ContractPanicError):
        revert = revert_from_exception(exc)
        if revert is not None:
            raise revert from exc
    revert = revert_from_exception(exc)
    if revert is not None:
        raise revert from exc
    raise exc


_NO_FUNDS = ("insufficient funds", "exceeds allowance (0)", "allowance: 0", "gas required exceeds allowance")


def _broke(w3: Web3, address: str, value: int, exc: BaseException | None = None) -> InsufficientFunds:
    balance = int(w3.eth.get_balance(address))  # type: ignore[arg-type]
    need = f" plus {value / 10**18:g} ETH sent" if value else ""
    return InsufficientFunds(
        f"{address} has {balance / 10**18:g} ETH, not enough for the gas{need}: fund it "
        "(`starfish node fund ADDRESS 1` on a dev chain) or act through a relay (`--relay URL`), which pays the gas"
    )


def _estimate(w3: Web3, tx: dict[str, Any]) -> int:
    """The gas of `tx` in the block it will be mined in (the pending block: a contribution's panel is
    drawn from the hash of its own block, which a call at the latest block cannot read yet); a node
    that cannot estimate at the pending block (py-evm's tester) estimates at the latest."""
    try:
        return int(w3.eth.estimate_gas(tx, "pending"))  # type: ignore[arg-type]
    except MethodUnavailable:
        return int(w3.eth.estimate_gas(tx))  # type: ignore[arg-type]


def send(w3: Web3, account: LocalAccount, tx: dict[str, Any], gas: int | None = None) -> TxReceipt:
    """Signs and sends `tx` (to, data, value), waits for the receipt; a revert raises ContractRevert
    (with the chain's time, so that deadlines can be told in words), an account that cannot pay
    raises InsufficientFunds."""
    tx = dict(tx)
    tx.setdefault("value", 0)
    tx["from"] = account.address
    tx["chainId"] = chain_id(w3)
    tx["nonce"] = w3.eth.get_transaction_count(account.address, "pending")
    tx.update(fee_fields(w3))
    if gas is None:
        try:
            gas = _estimate(w3, tx)
        except Exception as exc:
            if any(marker in str(exc).lower() for marker in _NO_FUNDS):
                raise _broke(w3, account.address, int(tx["value"]), exc) from exc
            try:
                _raise_revert(exc)
            except ContractRevert as revert:
                revert.chain_time = int(w3.eth.get_block("latest")["timestamp"])
                raise
        gas = gas * 12 // 10 + 10_000  # type: ignore[operator]
    tx["gas"] = gas
    if int(w3.eth.get_balance(account.address)) < gas * int(tx["maxFeePerGas"]) + int(tx["value"]):
        raise _broke(w3, account.address, int(tx["value"]))
    signed = account.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120)
    if receipt["status"] != 1:
        call = {k: tx[k] for k in ("from", "to", "data", "value") if k in tx}
        try:
            w3.eth.call(call, receipt["blockNumber"] - 1)  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001
            _raise_revert(exc)
        raise ContractRevert("", raw=f"transaction {HexBytes(tx_hash).hex()} failed without revert data")
    return receipt


def call_or_raise(fn: Any, *, sender: str | None = None) -> Any:
    """`fn.call()` with a revert turned into ContractRevert."""
    try:
        return fn.call({"from": sender} if sender else {})
    except Exception as exc:  # noqa: BLE001
        _raise_revert(exc)


__all__ = ["ContractRevert", "call_or_raise", "decode_revert", "fee_fields", "send"]
