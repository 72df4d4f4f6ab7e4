"""The OpenAPI schema fuzzed with schemathesis: whatever arrives, never a 5xx."""

from __future__ import annotations

from pathlib import Path

import schemathesis
from eth_account import Account
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from starfish_dao.ipfs.local import LocalStore
from starfish_dao.relay.app import create_app
from starfish_dao.relay.service import Relay
from tests.conftest import ETHER, Dao
from tests.relay.conftest import relay_settings


def test_openapi_fuzz_never_answers_5xx(dao: Dao, tmp_path: Path) -> None:
    relayer = Account.create()
    dao.chain.fund(relayer.address, 10 * ETHER)
    cfg = relay_settings(tmp_path, relayer, rate_per_ip=1e9, rate_per_signer=1e9)
    app = create_app(cfg, Relay(cfg, sf=dao.sf, store=LocalStore(tmp_path / "ipfs")), start=False)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    calls: list[int] = []
    with TestClient(app):
        for operation in schema.get_all_operations():
            op = operation.ok()
            if op.path == "/v1/events":
                continue  # an endless stream; covered by its own test

            @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
            @given(case=op.as_strategy())
            def run(case: schemathesis.Case) -> None:
                response = case.call()
                calls.append(response.status_code)
                if response.status_code >= 500:
                    failures.append(
                        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:200]}"
                    )

            run()
    assert failures == []
    assert len(calls) >= 100 and any(code >= 400 for code in calls)  # it really probed, bad input included
