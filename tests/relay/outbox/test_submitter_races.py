"""The submitter between the chain's nonce and its receipts: a node may count a transaction's nonce
as used a moment before it serves the receipt (anvil does: 5 actions in 1,000 at 200/s were signed
again and reported failed with NonceAlreadyUsed, their gas paid twice). A missing receipt is only
taken to mean that another transaction used the nonce after a grace."""

from __future__ import annotations

import time
from typing import Any

from eth_account import Account

from tests.relay.conftest import RelayHarness


def _sent_count(relay: RelayHarness) -> int:
    return int(relay.dao.sf.w3.eth.get_transaction_count(relay.relayer.address))


def test_a_receipt_that_lags_its_nonce_is_waited_for_not_sent_again(relay: RelayHarness) -> None:
    submitter = relay.relay.submitter
    real = submitter._receipts
    hidden: list[str] = []
    until = time.monotonic() + 1.0

    def lagging(actions: list[Any]) -> dict[str, dict[str, Any]]:
        found = real(actions)
        if time.monotonic() < until:  # the node has mined them but does not serve the receipts yet
            hidden.extend(found)
            return {}
        return found

    submitter._receipts = lagging  # type: ignore[method-assign]
    before = _sent_count(relay)
    ids = [relay.client.post("/v1/actions", json=relay.signed(Account.create(), "Join")).json()["id"]
           for _ in range(3)]  # fmt: skip
    states = [relay.wait(i) for i in ids]
    assert hidden, "the receipts were never hidden: the test did not exercise the lag"
    assert [s["status"] for s in states] == ["mined"] * 3, states
    assert _sent_count(relay) - before == 3  # each action sent once, none signed again


def test_a_nonce_another_transaction_took_is_signed_again_after_the_grace(relay: RelayHarness) -> None:
    submitter = relay.relay.submitter
    submitter.missing_grace = 0.5
    real = submitter._broadcast
    dropped: list[list[str]] = []
    submitter._broadcast = dropped.append  # type: ignore[method-assign]  # a node that loses what it is sent
    answer = relay.client.post("/v1/actions", json=relay.signed(Account.create(), "Join")).json()
    deadline = time.monotonic() + 10
    while (row := relay.relay.queue.get(answer["id"])) is None or row.status != "sent":
        assert time.monotonic() < deadline, "the action was never sent"
        time.sleep(0.02)
    taken = row.relayer_nonce
    assert taken is not None
    # the operator spends that nonce by hand with the relayer's key
    w3 = relay.dao.sf.w3
    tx = {"to": relay.relayer.address, "value": 0, "gas": 21_000, "nonce": taken, "chainId": w3.eth.chain_id,
          "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9}  # fmt: skip
    w3.eth.send_raw_transaction(relay.relayer.sign_transaction(tx).raw_transaction)
    submitter._broadcast = real  # type: ignore[method-assign]
    state = relay.wait(answer["id"])
    assert state["status"] == "mined", state
    row = relay.relay.queue.get(answer["id"])
    assert row is not None and row.relayer_nonce == taken + 1 and dropped


def test_a_rollback_restarts_the_grace(relay: RelayHarness) -> None:
    """Found by an attacker session: the grace's clock was never reset, so an action whose nonce a
    rollback put back, mined again with the same one-round receipt lag, was signed again at once."""
    submitter = relay.relay.submitter
    w3 = relay.dao.sf.w3
    real = submitter._receipts
    hide = {"on": True}

    def lagging(actions: list[Any]) -> dict[str, dict[str, Any] | None]:
        found = real(actions)
        return {} if hide["on"] else found

    submitter._receipts = lagging  # type: ignore[method-assign]
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    before = _sent_count(relay)
    action_id = relay.client.post("/v1/actions", json=relay.signed(Account.create(), "Join")).json()["id"]
    deadline = time.monotonic() + 10
    while action_id not in submitter._missing:  # mined, its receipt lagging: the grace has started
        assert time.monotonic() < deadline
        time.sleep(0.01)
    w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]  # the node goes back
    hide["on"] = False
    time.sleep(submitter.missing_grace + 1)  # longer than the grace, the action not on chain meanwhile
    hide["on"] = True  # mined again, with the same one-round receipt lag
    w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    time.sleep(0.3)
    hide["on"] = False
    state = relay.wait(action_id)
    assert state["status"] == "mined", state
    assert _sent_count(relay) - before == 1  # the same transaction, once


def test_refused_receipt_lookups_are_no_answer(relay: RelayHarness) -> None:
    """Found by an attacker session: a node that rate-limits receipt lookups item by item (HTTP 200,
    an error per item) for longer than the grace looked like 'another transaction took the nonce'."""
    submitter = relay.relay.submitter
    post = submitter.rpc._post
    until = time.monotonic() + submitter.missing_grace + 1.5

    def limited(payload: list[dict[str, Any]]) -> list[dict[str, Any]]:
        answers = post(payload)
        if time.monotonic() < until:
            answers = [{"jsonrpc": "2.0", "id": a["id"], "error": {"code": 429, "message": "rate limited"}}
                       if p["method"] == "eth_getTransactionReceipt" else a
                       for p, a in zip(payload, answers, strict=True)]  # fmt: skip
        return answers

    submitter.rpc._post = limited  # type: ignore[method-assign]
    before = _sent_count(relay)
    action_id = relay.client.post("/v1/actions", json=relay.signed(Account.create(), "Join")).json()["id"]
    state = relay.wait(action_id, timeout=60)
    assert state["status"] == "mined", state
    assert _sent_count(relay) - before == 1


def test_an_action_that_would_revert_is_not_sent_again_without_its_receipt(relay: RelayHarness) -> None:
    """When no receipt turns up within the grace but the action would now revert (its own
    transaction landed after all, or someone carried it), nothing is sent again: failed, with why."""
    submitter = relay.relay.submitter
    submitter.missing_grace = 0.5
    submitter._receipts = lambda actions: {}  # type: ignore[method-assign]  # a node that never serves them
    before = _sent_count(relay)
    action_id = relay.client.post("/v1/actions", json=relay.signed(Account.create(), "Join")).json()["id"]
    state = relay.wait(action_id)
    assert state["status"] == "failed", state
    assert state["error"]["name"] == "NonceAlreadyUsed" and "not sent again" in state["error"]["message"], state
    assert _sent_count(relay) - before == 1  # the one transaction that did land; no second one
