"""A member's own reminder webhook (issue 23: "webhooks the member or the community configures"):
set with `starfish remind set` (a signed MemberWebhook message, no gas), delivered to that member
only, signed with the secret answered once; and every way to abuse it refused: another signer, a
fresh key, a replayed older message, a URL into the relay's own network."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from eth_account import Account

from starfish_dao.domain.subscription import MemberWebhook
from tests.conftest import Dao, artifact_cid
from tests.relay.page.test_page import _relay
from tests.relay.served.test_reminders import Receiver, _until, receiver  # noqa: F401 - the fixture


def _cli(dao: Dao, tmp_path: Path, key: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STARFISH_")}
    env.update(STARFISH_HOME=str(tmp_path / "cli-home"), STARFISH_PRIVATE_KEY=key)
    return subprocess.run([sys.executable, "-m", "starfish_dao.cli", *args], capture_output=True, text=True,
                          env=env, timeout=120)  # fmt: skip


def _post(url: str, hook: MemberWebhook, signature: str) -> requests.Response:
    body = {"member": hook.member, "kind": hook.kind, "url": hook.url, "issuedAt": hook.issued_at,
            "signature": signature}  # fmt: skip
    return requests.post(f"{url}/v1/reminders/webhook", json=body, timeout=30)


def test_a_member_sets_their_own_webhook_and_gets_only_their_reminders(
    dao: Dao,
    tmp_path: Path,
    receiver: Receiver,  # noqa: F811
) -> None:
    ada, bo = dao["ada"], dao["bo"]
    chain_id, membership = dao.deployment.chain_id, dao.deployment.addresses["membership"]
    url, relay = _relay(dao, tmp_path, STARFISH_RELAY_REMINDER_INTERVAL="0.3", STARFISH_RELAY_WEBHOOK_BACKOFF="0.2",
                        STARFISH_RELAY_MEMBER_WEBHOOK_HTTP="true", STARFISH_RELAY_MEMBER_WEBHOOK_PRIVATE="true",
                        STARFISH_RELAY_MEMBER_WEBHOOK_LOOPBACK="true",  # the receiver is on this machine
                        STARFISH_RELAY_KEEPER_FINALIZE="false")  # fmt: skip
    try:
        out = _cli(dao, tmp_path, ada.key.hex(), "remind", "set", receiver.url + "/json", "--kind", "json",
                   "--relay", url, "--json")  # fmt: skip
        assert out.returncode == 0, out.stderr
        answer = json.loads(out.stdout)
        secret = answer["secret"]
        assert answer["member"] == ada.address and answer["host"] == "127.0.0.1" and len(secret) == 64
        assert secret not in (tmp_path / "relay.log").read_text(), "the secret reached the log"

        work = dao.sf.submit(dao["eli"], artifact_cid("eli's shelf plan"), 60)
        _until("ada's reminder", lambda: f"review:{work}" in receiver.json_items(ada.address))
        for r in receiver.got:  # signed with the secret the relay answered, over the exact body
            mac = "sha256=" + hmac.new(secret.encode(), r["body"], hashlib.sha256).hexdigest()
            assert r["headers"]["X-Starfish-Signature"] == mac
        assert {json.loads(r["body"])["member"] for r in receiver.got} == {ada.address}, "another's reminder"

        # another key signing for ada; a fresh key; bo's message replayed under ada's name: refused
        now = int(time.time())
        forged = MemberWebhook(ada.address, "ntfy", "http://127.0.0.1:9/x", now)
        assert _post(url, forged, forged.sign(bo, chain_id, membership)).status_code == 401
        stranger = Account.create()
        fresh = MemberWebhook(stranger.address, "ntfy", "http://127.0.0.1:9/x", now)
        refused = _post(url, fresh, fresh.sign(stranger, chain_id, membership))
        assert refused.status_code == 403 and refused.json()["code"] == "not_a_member", refused.text
        # a URL into the cloud's metadata service, allowed private ranges or not
        metadata = MemberWebhook(bo.address, "json", "http://169.254.169.254/latest/meta-data", now)
        refused = _post(url, metadata, metadata.sign(bo, chain_id, membership))
        assert refused.status_code == 422 and refused.json()["code"] == "forbidden_target", refused.text
        assert "metadata" in refused.json()["detail"]
        # signed for another DAO (another Membership address): not ada's signature here
        elsewhere = MemberWebhook(ada.address, "ntfy", "http://127.0.0.1:9/x", now)
        assert _post(url, elsewhere, elsewhere.sign(ada, chain_id, "0x" + "11" * 20)).status_code == 401

        # ada removes it; the message that set it, replayed, cannot bring it back
        first = MemberWebhook(ada.address, "json", receiver.url + "/json", now - 60)
        replay = first.sign(ada, chain_id, membership)
        out = _cli(dao, tmp_path, ada.key.hex(), "remind", "remove", "--relay", url)
        assert out.returncode == 0 and "no webhook" in out.stdout, out.stderr
        stale = _post(url, first, replay)
        assert stale.status_code == 409 and stale.json()["code"] == "stale", stale.text
        before = len(receiver.got)
        dao.sf.submit(dao["bo"], artifact_cid("bo's coffee rota"), 30)
        time.sleep(2)  # time for a reminder that should not come
        assert len(receiver.got) == before, "a removed webhook still got reminders"
    finally:
        relay.send_signal(signal.SIGTERM)
        relay.wait(timeout=20)


def test_the_cli_says_what_is_wrong_before_asking_a_relay(dao: Dao, tmp_path: Path) -> None:
    out = _cli(dao, tmp_path, dao["ada"].key.hex(), "remind", "set", "https://ntfy.sh/x", "--kind", "sms",
               "--relay", "http://127.0.0.1:9")  # fmt: skip
    assert out.returncode != 0 and "--kind must be one of json, discord, ntfy" in out.stdout + out.stderr
    env_less = _cli(dao, tmp_path, dao["ada"].key.hex(), "remind", "set", "https://ntfy.sh/x")
    assert env_less.returncode != 0 and "--relay" in env_less.stdout + env_less.stderr
