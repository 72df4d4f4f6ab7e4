"""Reminders where members live (issue 23): the relay serves each member's Atom feed of what waits
for them and delivers the same items to webhooks (a signed JSON webhook, Matrix, Discord, ntfy),
here local HTTP receivers. A receiver down for a while misses nothing, a relay killed and started
again loses nothing, and no item reaches a receiver twice. `starfish todo` shows the same list."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
import requests

from starfish_dao.chain.governance import TEMPLATES, Governance
from starfish_dao.domain.charter import GovernanceSettings
from starfish_dao.domain.model import ETH
from tests.conftest import ETHER, Dao, artifact_cid, founders_first_work
from tests.relay.page.test_page import _relay

G = GovernanceSettings()
SECRET = "a shared secret of our space"
ATOM = "{http://www.w3.org/2005/Atom}"


class Receiver:
    """A local HTTP server standing for a chat or a webhook endpoint: it answers 503 while `down`."""

    def __init__(self) -> None:
        self.down = False
        self.got: list[dict[str, Any]] = []  # requests answered 2xx
        self.refused: list[dict[str, Any]] = []  # requests answered 503
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                seen = {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
                (receiver.refused if receiver.down else receiver.got).append(seen)
                self.send_response(503 if receiver.down else 204 if self.path.startswith("/discord") else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_PUT = _any

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def json_items(self, member: str, source: list[dict[str, Any]] | None = None) -> list[str]:
        bodies = [json.loads(r["body"]) for r in (self.got if source is None else source) if r["path"] == "/json"]
        return [b["id"] for b in bodies if b["member"] == member]


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


def _hooks(dao: Dao, receiver: Receiver) -> str:
    ada, eli = dao["ada"].address, dao["eli"].address
    return json.dumps([
        {"name": "json", "kind": "json", "url": receiver.url + "/json", "secret": SECRET, "members": [ada, eli]},
        {"name": "space", "kind": "discord", "url": receiver.url + "/discord/123/abc"},
        {"name": "ada-matrix", "kind": "matrix", "token": "syt_token",
         "url": receiver.url + "/_matrix/client/v3/rooms/!space:example.org/send/m.room.message", "members": [ada]},
        {"name": "ada-ntfy", "kind": "ntfy", "url": receiver.url + "/ada-reminders", "members": [ada]},
    ])  # fmt: skip


def _start(dao: Dao, tmp_path: Path, receiver: Receiver) -> tuple[str, subprocess.Popen[bytes]]:
    return _relay(dao, tmp_path, STARFISH_RELAY_WEBHOOKS=_hooks(dao, receiver),
                  STARFISH_RELAY_REMINDER_INTERVAL="0.3", STARFISH_RELAY_WEBHOOK_BACKOFF="0.2",
                  STARFISH_RELAY_WEBHOOK_MAX_BACKOFF="1", STARFISH_RELAY_PUBLIC_URL="http://space.example:8645",
                  STARFISH_RELAY_KEEPER_FINALIZE="false")  # fmt: skip


def _until(what: str, check: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s: {what}")


def _todo(dao: Dao, tmp_path: Path, member: str) -> list[dict[str, Any]]:
    manifests = tmp_path / "cli-deployments"
    dao.deployment.save(manifests)
    env = {k: v for k, v in os.environ.items() if not k.startswith("STARFISH_")}
    env.update(STARFISH_HOME=str(tmp_path / "cli-home"), STARFISH_RPC_URL=dao.chain.url)
    command = [sys.executable, "-m", "starfish_dao.cli", "todo", "--member", member, "--json",
               "--deployments", str(manifests)]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    return list(json.loads(out.stdout)["items"])


def _feed(url: str, member: str) -> list[dict[str, str]]:
    answer = requests.get(f"{url}/v1/members/{member}/feed.atom", timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(answer.content)
    assert root.tag == f"{ATOM}feed" and root.find(f"{ATOM}updated") is not None
    return [{"id": e.findtext(f"{ATOM}id", ""), "title": e.findtext(f"{ATOM}title", ""),
             "link": e.find(f"{ATOM}link").get("href", ""), "term": e.find(f"{ATOM}category").get("term", "")}  # type: ignore[union-attr]
            for e in root.findall(f"{ATOM}entry")]  # fmt: skip


def test_reminders_reach_feeds_and_webhooks_once_through_an_outage_and_a_restart(
    dao: Dao, tmp_path: Path, receiver: Receiver
) -> None:
    ada, bo, eli = (dao[n].address for n in ("ada", "bo", "eli"))
    founders_first_work(dao)  # genesis standing earns no pay: the founders' first work does
    gov = Governance(dao.sf)
    receiver.down = True
    url, relay = _start(dao, tmp_path, receiver)
    try:
        work = dao.sf.submit(dao["eli"], artifact_cid("eli's shelf plan"), 60)
        dao.sf.pay_eth(dao["zed"], ETHER)
        pid = gov.propose(dao["ada"], TEMPLATES["suspend"](eli), "Suspend eli")
        dao.chain.increase_time(G.voting_delay + 1)
        pay = dao.sf.claimable(ada)
        expected_ada = {f"review:{work}", f"pay:{ETH}:{pay}", f"vote:{pid}"}
        # the receiver is down: every delivery is refused, and retried
        _until("deliveries tried while the receiver is down",
               lambda: set(receiver.json_items(ada, receiver.refused)) >= expected_ada)  # fmt: skip
        # retried with backoff, not dropped: every item tried again (waited for, not timed: under load
        # the last item to appear may not have had its second try within a fixed pause)
        _until("every item tried at least twice while the receiver is down",
               lambda: all(n >= 2 for n in Counter(receiver.json_items(ada, receiver.refused)).values()))  # fmt: skip
        assert receiver.got == []
        receiver.down = False
        _until("every item once the receiver is up", lambda: set(receiver.json_items(ada)) >= expected_ada)
        _until("the suspension proposal to eli", lambda: f"concerns:{pid}" in receiver.json_items(eli))

        # the same list in the feed and in `starfish todo`
        entries = _feed(url, ada.lower())
        todo = _todo(dao, tmp_path, ada)
        assert {e["id"] for e in todo} == expected_ada
        assert [e["id"].rsplit("/", 1)[1] for e in entries] == [i["id"] for i in todo]
        review = next(e for e in entries if e["id"].endswith(f"/review:{work}"))
        assert "60 min of work" in review["title"]
        assert review["link"] == f"http://space.example:8645/#/contribution/{work}"
        assert review["term"] == "review"
        concerns = [e["title"] for e in _feed(url, eli)]
        assert any("would suspend you" in t for t in concerns), concerns
        at = next(i for i, ch in enumerate(ada) if i > 1 and ch.isalpha())  # one letter's case wrong: refused
        bad = requests.get(f"{url}/v1/members/{ada[:at] + ada[at].swapcase() + ada[at + 1 :]}/feed.atom", timeout=10)
        assert bad.status_code == 400, bad.text

        # a new item while the receiver is down again, then the relay is killed before it could send it
        receiver.down = True
        second = dao.sf.submit(dao["bo"], artifact_cid("bo's coffee rota"), 30)
        _until("the new item tried", lambda: f"review:{second}" in receiver.json_items(ada, receiver.refused))
        relay.send_signal(signal.SIGKILL)
        relay.wait(timeout=20)
        url, relay = _start(dao, tmp_path, receiver)
        receiver.down = False
        _until("the item queued before the restart", lambda: f"review:{second}" in receiver.json_items(ada))

        # the vote's last day: a second, different reminder to who has not voted
        dao.chain.increase_time(G.voting_period - 12 * 3600)
        _until("the last day of the vote", lambda: f"vote-closing:{pid}" in receiver.json_items(ada))
        time.sleep(1.5)  # time for any repeat to show
    finally:
        relay.send_signal(signal.SIGTERM)
        relay.wait(timeout=20)

    # no item reached any receiver twice, across the outage and the restart
    deliveries = Counter(r["headers"]["X-Starfish-Delivery"] for r in receiver.got)
    assert deliveries and max(deliveries.values()) == 1, deliveries
    assert Counter(receiver.json_items(ada)).most_common(1)[0][1] == 1
    review_json = next(json.loads(r["body"]) for r in receiver.got
                       if r["path"] == "/json" and json.loads(r["body"])["id"] == f"review:{work}")  # fmt: skip
    assert review_json["link"] == f"http://space.example:8645/#/contribution/{work}"
    assert review_json["deadline"] == dao.model().contributions[work].deadline and review_json["kind"] == "review"
    for r in receiver.got:
        if r["path"] == "/json":  # signed with the shared secret over the exact body
            mac = "sha256=" + hmac.new(SECRET.encode(), r["body"], hashlib.sha256).hexdigest()
            assert r["headers"]["X-Starfish-Signature"] == mac
    paths = Counter(r["path"].split("/")[1] for r in receiver.got)
    assert paths["discord"] >= 3 and paths["_matrix"] >= 3 and paths[""] >= 3, paths  # ntfy posts to the root
    matrix = [r for r in receiver.got if r["path"].startswith("/_matrix")]
    assert all(r["method"] == "PUT" and r["headers"]["Authorization"] == "Bearer syt_token" for r in matrix)
    assert all(r["path"].rsplit("/", 1)[1] == r["headers"]["X-Starfish-Delivery"] for r in matrix)  # txn id
    assert all(json.loads(r["body"])["msgtype"] == "m.text" for r in matrix)
    ntfy = [json.loads(r["body"]) for r in receiver.got if r["path"] == "/"]
    assert {n["topic"] for n in ntfy} == {"ada-reminders"}
    assert any(n.get("click") == f"http://space.example:8645/#/contribution/{work}" for n in ntfy), ntfy
    discord = [json.loads(r["body"]) for r in receiver.got if r["path"].startswith("/discord")]
    assert all(len(d["content"]) <= 2000 and d["allowed_mentions"] == {"parse": []} for d in discord)
    assert any(bo[:6] in d["content"] or "bo" in d["content"] for d in discord)  # the community hook: everyone


@pytest.mark.parametrize(
    ("hook", "words"),
    [
        ({"kind": "json", "url": "http://127.0.0.1:9/x"}, "needs a secret"),
        ({"kind": "json", "url": "http://127.0.0.1:9/x", "secret": "short"}, "at least 16"),
        ({"kind": "matrix", "url": "http://127.0.0.1:9/x"}, "access token"),
        (
            {"kind": "ntfy", "url": "http://127.0.0.1:9/t", "members": ["0x000000000000000000000000000000000000DEAd"]},
            "the member",
        ),
    ],
)
def test_a_webhook_that_cannot_work_is_refused_at_start(hook: dict[str, Any], words: str) -> None:
    from starfish_dao.domain.errors import ConfigError
    from starfish_dao.relay.served.notifier import named_hooks
    from starfish_dao.relay.settings import Webhook

    with pytest.raises(ConfigError, match=words):
        named_hooks([Webhook(**hook)])


def test_todo_says_what_waits_in_sentences(dao: Dao, tmp_path: Path) -> None:
    founders_first_work(dao)  # genesis standing earns no pay: the founders' first work does
    ada = dao["ada"].address
    work = dao.sf.submit(dao["eli"], artifact_cid("eli's shelf plan"), 60)
    mine = dao.sf.submit(dao["ada"], artifact_cid("ada's floor plan"), 90)
    dao.sf.pay_eth(dao["zed"], ETHER)
    pid = Governance(dao.sf).propose(dao["bo"], TEMPLATES["slash"](ada, "20"), "Slash ada")
    dao.chain.increase_time(G.voting_delay + 1)
    items = {i["id"]: i for i in _todo(dao, tmp_path, ada)}
    assert list(items) == [f"review:{work}", f"waiting:{mine}", f"pay:{ETH}:{dao.sf.claimable(ada)}",
                           f"concerns:{pid}", f"vote:{pid}"]  # fmt: skip
    assert items[f"concerns:{pid}"]["title"] == "A proposal would slash 20 % of your points: Slash ada"
    assert items[f"waiting:{mine}"]["title"] == f"Your #{mine} is under review: no reviews yet"
    assert items[f"review:{work}"]["deadline"] == dao.model().contributions[work].deadline
    assert f"`starfish review {work} --stars N`" in items[f"review:{work}"]["text"]


def test_a_members_page_links_their_feed(dao: Dao, tmp_path: Path) -> None:
    from playwright import sync_api

    from tests.relay.page.test_page import CHROMIUM

    url, relay = _relay(dao, tmp_path)
    ada = dao["ada"].address
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page()
            page.goto(f"{url}/#/member/{ada}")
            link = page.wait_for_selector("a.feed")
            assert link is not None and link.get_attribute("href") == f"/v1/members/{ada}/feed.atom"
            browser.close()
        assert requests.get(f"{url}/v1/members/{ada}/feed.atom", timeout=10).status_code == 200
    finally:
        relay.terminate()
        relay.wait(timeout=20)


@pytest.mark.parametrize(
    ("value", "words"),
    [("not json", "STARFISH_RELAY_WEBHOOKS cannot be read"), ('[{"kind": "slack", "url": "x"}]', "item 1, kind")],
)
def test_starfish_relay_names_a_malformed_webhook_setting(tmp_path: Path, value: str, words: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STARFISH_")}
    env.update(STARFISH_HOME=str(tmp_path), STARFISH_RPC_URL="http://127.0.0.1:9", STARFISH_RELAY_WEBHOOKS=value)
    out = subprocess.run([sys.executable, "-m", "starfish_dao.cli", "relay"], capture_output=True, text=True,
                         env=env, timeout=120)  # fmt: skip
    assert out.returncode == 1 and "Traceback" not in out.stderr and "unexpected" not in out.stderr, out.stderr
    assert words in " ".join(out.stderr.split()), out.stderr


def test_each_receiver_gets_its_own_format() -> None:
    from pydantic import SecretStr

    from starfish_dao.relay.served.webhooks import request_for
    from starfish_dao.relay.settings import Webhook

    item = {"id": "review:3", "title": "Review #3", "text": "x" * 3000, "link": "#/contribution/3"}
    ntfy = request_for(Webhook(kind="ntfy", url="https://push.example/ntfy/our-space"), item, "d1", "http://r")
    assert ntfy["url"] == "https://push.example/ntfy/" and ntfy["json"]["topic"] == "our-space"
    assert ntfy["json"]["click"] == "http://r/#/contribution/3"
    discord = request_for(Webhook(kind="discord", url="https://discord.example/api/webhooks/1/t"), item, "d1", None)
    assert len(discord["json"]["content"]) == 2000 and discord["json"]["allowed_mentions"] == {"parse": []}
    room = Webhook(kind="matrix", url="https://m.example/send/m.room.message/", token=SecretStr("tok"))
    matrix = request_for(room, item, "d1", None)
    assert (matrix["method"], matrix["url"]) == ("PUT", "https://m.example/send/m.room.message/d1")
    signed = request_for(Webhook(kind="json", url="https://bot.example/", secret=SecretStr(SECRET)), item, "d1", None)
    mac = "sha256=" + hmac.new(SECRET.encode(), signed["data"], hashlib.sha256).hexdigest()
    assert signed["headers"]["X-Starfish-Signature"] == mac and signed["headers"]["X-Starfish-Delivery"] == "d1"
