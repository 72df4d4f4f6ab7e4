from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from pydantic import SecretStr

from starfish_dao.ipfs.local import LocalStore
from starfish_dao.relay.app import create_app
from starfish_dao.relay.service import Relay
from starfish_dao.relay.settings import RelaySettings
from tests.conftest import ETHER, Dao
from tests.relay.processes import Running, start_relay


@dataclass
class RelayHarness:
    client: TestClient
    relay: Relay
    dao: Dao
    relayer: LocalAccount

    def signed(self, account: LocalAccount, action: str, **fields: object) -> dict[str, object]:
        from starfish_dao.domain import typed_data as td

        response = self.client.post(
            "/v1/actions/typed-data", json={"action": action, "signer": account.address, "fields": fields}
        )
        assert response.status_code == 200, response.text
        data = response.json()["typedData"]
        signature = account.sign_message(td.signable(data)).signature
        return {"action": action, "typedData": data, "signature": "0x" + bytes(signature).hex()}

    def sealed_review(self, account: LocalAccount, contribution: int, stars: int) -> dict[str, object]:
        """A SealedReview through the relay's typed data (the opening is held by the test's client,
        `dao.sf.openings`, as a reviewer's CLI holds it)."""
        from starfish_dao.chain.openings import sealed

        o = self.dao.sf.seal_opening(account, contribution, stars)
        seal = sealed(o.reviewer, o.contribution, o.stars, o.comment, o.salt)
        return self.signed(account, "SealedReview", contribution=contribution, sealed="0x" + seal.hex())

    def reveals(self, contribution: int) -> list[dict[str, object]]:
        """Unsigned Reveals of every held opening of `contribution` (anyone may post them)."""
        return [{"action": "Reveal", "contribution": o.contribution, "reviewer": o.reviewer, "stars": o.stars,
                 "commentCid": "0x" + o.comment.hex(), "salt": "0x" + o.salt.hex()}
                for o in self.dao.sf.openings.of(contribution)]  # fmt: skip

    def wait(self, action_id: str, timeout: float = 30) -> dict[str, object]:
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.client.get(f"/v1/actions/{action_id}").json()
            if state["status"] in ("mined", "failed"):
                return dict(state)
            time.sleep(0.05)
        raise AssertionError(f"action {action_id} still {state['status']}")


def relay_settings(tmp_path: Path, relayer: LocalAccount, **overrides: object) -> RelaySettings:
    values: dict[str, object] = {
        "relayer_key": SecretStr(relayer.key.hex()),
        "db_path": tmp_path / "queue.sqlite3",
        "poll_interval": 0.05,
        "gas_per_ip_per_hour": 10**12,  # the tests act from one address; test_budgets tests the budgets
        "confirmations": 1,
        "state_interval": 0.05,
        "submitter_process": False,  # a thread: tests reach into it (its RPC, its resubmit delay)
        "verifier_process": False,  # tests call state.verify() themselves; test_verifier runs the process
        "keeper_finalize": False,  # on by default; tests/relay/intake/test_keepers.py turns the keepers on
        **overrides,
    }
    return RelaySettings(**values)  # type: ignore[arg-type]


@pytest.fixture()
def relay(dao: Dao, tmp_path: Path) -> Iterator[RelayHarness]:
    relayer = Account.create()
    dao.chain.fund(relayer.address, 100 * ETHER)
    settings = relay_settings(tmp_path, relayer)
    service = Relay(settings, sf=dao.sf, store=LocalStore(tmp_path / "ipfs"))
    with TestClient(create_app(settings, service)) as client:
        yield RelayHarness(client, service, dao, relayer)


@pytest.fixture()
def relay_process(dao: Dao, tmp_path: Path) -> Iterator[Running]:
    """A relay as a real process (`starfish relay`) on the test's anvil node; `relay` is the in-process harness."""
    running = start_relay(dao, tmp_path)
    try:
        yield running
    finally:
        running.stop()
