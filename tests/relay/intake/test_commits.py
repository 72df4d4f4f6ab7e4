"""Who pays for a relayed Commit (issue 24, finding 5): an active member, who signs it.

Unsigned Commits of random commitments were mined at the relay's cost, limited only per IP (1,414
from 3 addresses in 15 s, 72 M gas). Now an unsigned Commit, or one signed by someone who is not
an active member, is refused before it costs anything, and a member's counts against that
member's gas budget whatever IP it comes from."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient

from starfish_dao.domain import typed_data as td
from starfish_dao.ipfs.local import LocalStore
from starfish_dao.relay.app import create_app
from starfish_dao.relay.service import Relay
from tests.conftest import ETHER, Dao
from tests.relay.conftest import RelayHarness, relay_settings


def _commitment() -> str:
    return "0x" + os.urandom(32).hex()


def _sent(relay: RelayHarness) -> int:
    return int(relay.dao.sf.w3.eth.get_transaction_count(relay.relayer.address))


def _signed_as(account: LocalAccount, body: dict[str, object], data: dict[str, object]) -> dict[str, object]:
    """`body` with `data` as its typed data, signed by `account`."""
    return {
        **body,
        "typedData": data,
        "signature": "0x" + bytes(account.sign_message(td.signable(data)).signature).hex(),
    }


def _problem(answer: object, status: int, code: str) -> dict[str, object]:
    assert answer.status_code == status, answer.text  # type: ignore[attr-defined]
    body = dict(answer.json())  # type: ignore[attr-defined]
    assert body["code"] == code and answer.headers["content-type"] == "application/problem+json", body  # type: ignore[attr-defined]
    return body


def test_an_unsigned_commit_is_refused_saying_how_to_sign_it(relay: RelayHarness) -> None:
    before = _sent(relay)
    refused = relay.client.post("/v1/actions", json={"action": "Commit", "commitment": _commitment()})
    detail = str(_problem(refused, 403, "signature_required")["detail"])
    assert "active member" in detail and "/v1/actions/typed-data" in detail and "registry.commit" in detail
    assert _sent(relay) == before


def test_a_commit_signed_by_someone_who_is_not_an_active_member_is_refused(relay: RelayHarness) -> None:
    stranger = relay.dao["zed"]  # not a member
    before = _sent(relay)
    refused = relay.client.post("/v1/actions", json=relay.signed(stranger, "Commit", commitment=_commitment()))
    detail = str(_problem(refused, 403, "not_a_member")["detail"])
    assert stranger.address in detail and "active members only" in detail
    assert _sent(relay) == before


def test_a_members_signed_commit_is_mined_once_and_forgeries_are_refused(relay: RelayHarness) -> None:
    c, sf, ada, bo = relay.client, relay.dao.sf, relay.dao["ada"], relay.dao["bo"]
    commitment = _commitment()
    body = relay.signed(ada, "Commit", commitment=commitment)
    data = body["typedData"]
    assert data["primaryType"] == "RelayCommit" and data["domain"]["name"] == "Starfish Relay"  # type: ignore[index]
    # signed by another member, for another chain, or expired: refused
    forged = {**body, "signature": "0x" + bytes(bo.sign_message(td.signable(data)).signature).hex()}  # type: ignore[arg-type]
    assert _problem(c.post("/v1/actions", json=forged), 422, "bad_signature")["recovered"] == bo.address
    other = json.loads(json.dumps(data))
    other["domain"]["chainId"] += 1
    _problem(c.post("/v1/actions", json=_signed_as(ada, body, other)), 422, "wrong_domain")
    late = json.loads(json.dumps(data))
    late["message"]["deadline"] = sf.now() - 10
    expired = _signed_as(ada, body, late)
    _problem(c.post("/v1/actions", json=expired), 422, "expired")
    # the member's own: accepted, mined, and the same body again is the same action
    accepted = c.post("/v1/actions", json=body)
    assert accepted.status_code == 202 and accepted.json()["signer"] == ada.address, accepted.text
    assert relay.wait(accepted.json()["id"])["status"] == "mined"
    assert sf.registry.functions.commitment(bytes.fromhex(commitment[2:])).call()[1] > 0
    again = c.post("/v1/actions", json=body)
    assert (
        again.status_code == 200 and again.json()["duplicate"] is True and again.json()["id"] == accepted.json()["id"]
    )


@pytest.fixture()
def tight(dao: Dao, tmp_path: Path) -> Iterator[RelayHarness]:
    """A relay whose signers may have it spend 150,000 gas an hour: one Commit (100,000)."""
    relayer: LocalAccount = Account.create()
    dao.chain.fund(relayer.address, 100 * ETHER)
    settings = relay_settings(tmp_path, relayer, gas_per_signer_per_hour=150_000)
    service = Relay(settings, sf=dao.sf, store=LocalStore(tmp_path / "ipfs"))
    with TestClient(create_app(settings, service)) as client:
        yield RelayHarness(client, service, dao, relayer)


def test_a_members_commits_count_against_that_members_gas_budget(tight: RelayHarness) -> None:
    ada, bo = tight.dao["ada"], tight.dao["bo"]
    first = tight.client.post("/v1/actions", json=tight.signed(ada, "Commit", commitment=_commitment()))
    assert first.status_code == 202, first.text
    second = tight.client.post("/v1/actions", json=tight.signed(ada, "Commit", commitment=_commitment()))
    assert ada.address in str(_problem(second, 429, "gas_budget")["detail"])
    other = tight.client.post("/v1/actions", json=tight.signed(bo, "Commit", commitment=_commitment()))
    assert other.status_code == 202, other.text
