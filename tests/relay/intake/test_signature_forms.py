"""A signature's v as eth-account reads it (issue 24, finding 9): 27/28, 0/1 and EIP-155's 35+ are
one signature, relayed with the v the contracts read (27/28) under one id; any other v is refused."""

from __future__ import annotations

from eth_account import Account

from tests.relay.conftest import RelayHarness


def test_one_signature_written_three_ways_is_one_action_and_other_vs_are_refused(relay: RelayHarness) -> None:
    c = relay.client
    body = relay.signed(Account.create(), "Join")
    signature = bytes.fromhex(str(body["signature"])[2:])
    parity = signature[64] - 27

    def written(v: int) -> dict[str, object]:
        return {**body, "signature": "0x" + (signature[:64] + bytes([v])).hex()}

    for v in (29, 30, 34, 2, 26):
        refused = c.post("/v1/actions", json=written(v))
        assert refused.status_code == 422 and refused.json()["code"] == "bad_signature", (v, refused.text)
    first = c.post("/v1/actions", json=written(parity))  # 0/1: OpenZeppelin's ECDSA would refuse it as is
    assert first.status_code == 202, first.text
    for v in (27 + parity, 35 + 2 * 5 + parity):
        again = c.post("/v1/actions", json=written(v))
        assert again.status_code == 200 and again.json()["duplicate"] is True, again.text
        assert again.json()["id"] == first.json()["id"]
    assert relay.wait(first.json()["id"])["status"] == "mined"
    sent = relay.relay.queue.get(first.json()["id"])
    assert sent is not None and sent.request["signature"].endswith(bytes([27 + parity]).hex())
