"""Issue 24, finding 2: a 64 KiB body of nested arrays cost the event loop 52 ms of `json.loads`,
before the per-IP limit. Bodies are now refused by their structure before any parser sees them
(400 too_complex, naming the limit), and a client over its rate is refused before its body is read."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from fastapi.testclient import TestClient

from starfish_dao.ipfs.local import LocalStore
from starfish_dao.relay.app import create_app
from starfish_dao.relay.service import Relay
from tests.conftest import ETHER, Dao
from tests.relay.conftest import RelayHarness, relay_settings

KIB64 = 64 * 1024
NESTED = [
    b"[" * (KIB64 // 2) + b"]" * (KIB64 // 2),  # one array 32,768 deep
    b"[" + b",".join([b"[" * 400 + b"]" * 400] * (KIB64 // 802)) + b"]",  # many 400 deep
    b"[" + b",".join([b"[]"] * (KIB64 // 3 - 1)) + b"]",  # 21,844 empty arrays
    b'{"action": "Join", "pad": [' + b",".join([b"1"] * 30000) + b"]}",  # 30,000 numbers
]


def _post(client: TestClient, path: str, body: bytes) -> Any:
    return client.post(path, content=body, headers={"Content-Type": "application/json"})


@pytest.mark.parametrize("body", NESTED, ids=["deep", "many-deep", "many-empty", "many-numbers"])
def test_a_body_of_nested_arrays_is_refused_cheaply_naming_the_limit(relay: RelayHarness, body: bytes) -> None:
    assert len(body) <= KIB64
    for path in ("/v1/actions", "/v1/actions/typed-data"):
        answer = _post(relay.client, path, body)
        assert answer.status_code == 400, (path, answer.status_code, answer.text[:300])
        problem = answer.json()
        assert problem["code"] == "too_complex", problem
        assert "64 arrays and objects" in problem["detail"] and "512 commas" in problem["detail"]
        assert problem["limit"] == {"containers": 64, "commas": 512}
    # the refusal costs a count of bytes, not a parse: well under a millisecond for 64 KiB
    from starfish_dao.relay.edge.bodies import Shape, TooComplex

    started = time.perf_counter()
    for _ in range(100):
        with pytest.raises(TooComplex):
            Shape().feed(body)
    assert (time.perf_counter() - started) / 100 < 0.001


def test_every_actions_body_the_relay_hands_out_fits_the_limits(relay: RelayHarness) -> None:
    """What honest clients send is far inside the limits (the biggest typed data there is)."""
    ada = relay.dao["ada"]
    body = relay.signed(ada, "Submit", cid="0x" + "01" * 36, contentHash="0x" + "02" * 32, effort=60,
                        salt="0x" + "03" * 32)  # fmt: skip
    raw = json.dumps(body).encode()
    containers, commas = raw.count(b"[") + raw.count(b"{"), raw.count(b",")
    assert containers <= 64 // 3 and commas <= 512 // 8, (containers, commas)
    assert _post(relay.client, "/v1/actions", raw).json().get("code") != "too_complex"


@pytest.fixture()
def slow_rate(dao: Dao, tmp_path: Path) -> Iterator[TestClient]:
    relayer = Account.create()
    dao.chain.fund(relayer.address, ETHER)
    settings = relay_settings(tmp_path, relayer, rate_per_ip=1)  # a burst of 5, then one a second
    service = Relay(settings, sf=dao.sf, store=LocalStore(tmp_path / "s"))
    with TestClient(create_app(settings, service, start=False)) as client:
        yield client


def test_a_client_over_its_rate_is_refused_before_its_body_is_parsed(
    slow_rate: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[int] = []
    loads = json.loads

    def counting(raw: Any, *args: Any, **kwargs: Any) -> Any:
        if len(raw) > 30_000:
            parsed.append(len(raw))
        return loads(raw, *args, **kwargs)

    monkeypatch.setattr(json, "loads", counting)
    big = json.dumps({"action": "Claim", "member": "0x" + "00" * 20, "pad": "x" * 60_000}).encode()
    codes = [_post(slow_rate, "/v1/actions", big).status_code for _ in range(12)]
    limited = codes.count(429)
    assert limited >= 5, codes
    assert len(parsed) == len(codes) - limited, (codes, len(parsed))  # only the ones within the rate
