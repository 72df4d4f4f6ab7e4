"""Work offered for review is checked against its declared content hash (issue 25: content is bound
to its bytes). The registry checks raw CIDs itself; a dag-pb CID hashes a DAG node, so the relay, the
page and the CLI fetch the bytes and say plainly when they are not the work the author claimed."""

from __future__ import annotations

import secrets
import time

from starfish_dao.domain.unixfs import content_hash
from starfish_dao.ipfs.content import check_content
from tests.relay.conftest import RelayHarness


def _wait_for(relay: RelayHarness, contribution: int) -> None:
    deadline = time.monotonic() + 30
    while relay.client.get(f"/v1/contributions/{contribution}").status_code != 200:
        assert time.monotonic() < deadline, f"the relay never saw contribution #{contribution}"
        time.sleep(0.05)


def test_the_relay_says_whether_the_bytes_are_the_claimed_work(relay: RelayHarness) -> None:
    dao, store = relay.dao, relay.relay.store
    honest_bytes = b"a floor plan " * 30_000  # several blocks: a dag-pb root, whose CID states no file digest
    copied_bytes = b"someone else's floor plan " * 20_000
    honest_cid, copied_cid = store.add_bytes(honest_bytes), store.add_bytes(copied_bytes)
    assert honest_cid.codec == 0x70 and copied_cid.codec == 0x70
    honest = dao.sf.submit(dao["dee"], honest_cid.bytes, 60, content_hash=content_hash(honest_bytes))
    # the forger claims a made-up hash (here: another file's) for bytes that are not it
    forged = dao.sf.submit(dao["eli"], copied_cid.bytes, 60, content_hash=content_hash(b"the hash of other work"))
    missing = dao.sf.submit(
        dao["dee"], bytes((0x01, 0x70, 0x12, 0x20)) + secrets.token_bytes(32), 60, content_hash=secrets.token_bytes(32)
    )
    for contribution in (honest, forged, missing):
        _wait_for(relay, contribution)
    verdicts = {
        name: relay.client.get(f"/v1/contributions/{cid_id}/content").json()
        for name, cid_id in (("honest", honest), ("forged", forged), ("missing", missing))
    }
    assert verdicts["honest"]["verdict"] == "match", verdicts
    assert verdicts["forged"]["verdict"] == "mismatch", verdicts
    assert "NOT the work its author claimed" in verdicts["forged"]["message"]
    assert verdicts["missing"]["verdict"] == "unavailable", verdicts  # never "match" for what was not read
    assert relay.client.get("/v1/contributions/999/content").status_code == 404


def test_the_check_never_calls_unread_bytes_a_match(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from starfish_dao.ipfs.local import LocalStore

    store = LocalStore(tmp_path / "ipfs")
    data = b"x" * 1000
    cid = store.add_bytes(data)
    assert check_content(store, cid.bytes, content_hash(data)).verdict == "match"
    assert check_content(store, cid.bytes, content_hash(b"y")).verdict == "mismatch"
    assert check_content(None, cid.bytes, content_hash(data)).verdict == "unavailable"
    assert check_content(store, b"\x01\x02", content_hash(data)).verdict == "mismatch"  # not a CID at all
