"""The page explains and prevents (issue 23): contract errors in the CLI's sentences (one table,
starfish_dao/cli/errors.py, served by the relay), an unreachable relay said as such, and every
relayed action checked before the wallet is asked to sign and before anything is pinned or paid."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import requests
from playwright import sync_api as playwright_sync

from starfish_dao.chain.governance import TEMPLATES, Governance
from starfish_dao.domain.charter import GovernanceSettings
from starfish_dao.domain.unixfs import cid_of
from tests.conftest import PARAMS, artifact_cid
from tests.relay.page.test_page import Site, browser, site  # noqa: F401 - fixtures


def _fails(site: Site, action: str, via: str = "relay", **fields: str) -> str:  # noqa: F811
    """Submits the action's form and answers its progress text once it failed."""
    form = site.submit(action, via, **fields)
    try:
        site.page.wait_for_selector(f"form[data-action={action}]:not([data-todo]) .progress .failed", timeout=60_000)
    except playwright_sync.TimeoutError:
        raise AssertionError(f"{action} did not fail: {form.locator('.progress').inner_text()!r}") from None
    return str(form.locator(".progress").inner_text())


def _uploads(site: Site) -> list[str]:  # noqa: F811
    seen: list[str] = []
    site.page.on("request", lambda r: seen.append(r.url) if r.method == "POST" and "/v1/artifacts" in r.url else None)
    return seen


def test_contract_errors_read_as_the_clis_sentences(site: Site) -> None:  # noqa: F811
    dao = site.dao
    number = dao.sf.submit(dao["ada"], artifact_cid("ada's floor plan"), 60)
    site.connect(dao["eli"])  # a member without points: too little standing to review
    for via in ("relay", "direct"):
        text = _fails(site, "review", via=via, contribution=str(number), stars="4")
        assert "your standing on this work is 0 points" in text and "at least 1 (points" in text, text  # the minimum
        assert "RegistryInsufficientStanding(" not in text and "required=" not in text, text
    assert site.wallet.sent == [] and site.wallet.signed == []
    site.connect(dao["ada"])
    text = _fails(site, "review", contribution=str(number), stars="4")
    assert f"you cannot review your own contribution #{number}" in text and "RegistrySelfReview" not in text
    text = _fails(site, "claim", token="0x0000000000000000000000000000000000000000")
    assert "has nothing to claim in ETH yet" in text and "0x0000000000000000000000000000000000000000" not in text, text
    # the relay's own refusals carry the sentence too: the route for the direct path and the problem's detail
    explained = site.page.evaluate(
        """() => fetch('/v1/explain-error', {method: 'POST', headers: {'Content-Type': 'application/json'},
             body: JSON.stringify({error: 'RegistryNotPending', args: {id: '1', status: '2'}})})
             .then((r) => r.json())"""
    )
    assert explained["message"] == "contribution #1 is no longer open: accepted"


def test_an_unreachable_relay_is_said_and_the_badge_turns(site: Site) -> None:  # noqa: F811
    page = site.page
    page.wait_for_function("() => document.querySelector('#verified').classList.contains('ok')", timeout=20_000)
    page.route("**/v1/**", lambda route: route.abort())
    site.page.evaluate(f"() => {{ location.hash = '#/member/{site.dao['ada'].address}'; }}")
    page.wait_for_function("() => /cannot be reached/.test(document.querySelector('#main').innerText)")
    main = page.locator("#main").inner_text()
    assert "Failed to fetch" not in main and f"the relay at {site.url.split('//')[1]} cannot be reached" in main
    badge = page.locator("#verified")
    assert "cannot be reached" in badge.inner_text() and "ok" not in (badge.get_attribute("class") or "").split()
    page.unroute("**/v1/**")
    site.open("members")  # back: the badge follows
    page.wait_for_function("() => !/cannot be reached/.test(document.querySelector('#verified').innerText)")
    # a relay that answers but says it is not healthy (its node or submitter down) turns it too
    info = page.evaluate("() => fetch('/v1/info').then((r) => r.json())")
    page.route("**/v1/info", lambda route: route.fulfill(json={**info, "healthy": False}))
    page.wait_for_function("() => /cannot follow the chain/.test(document.querySelector('#verified').innerText)")
    assert "ok" not in (badge.get_attribute("class") or "").split()


def _until_served(at: Site, contribution: int) -> None:
    """Until the relay's view has the contribution (it follows the chain a moment behind)."""
    for _ in range(200):
        if requests.get(f"{at.url}/v1/contributions/{contribution}", timeout=10).status_code == 200:
            return
        time.sleep(0.1)
    raise AssertionError(f"the relay never served contribution #{contribution}")


def test_nothing_is_signed_pinned_or_paid_before_the_action_is_checked(site: Site, tmp_path: Path) -> None:  # noqa: F811
    dao, sf = site.dao, site.dao.sf
    uploads = _uploads(site)
    work = tmp_path / "too-long.txt"
    work.write_bytes(b"A week of work, claimed in one go.\n" * 20)
    site.connect(dao["ada"])
    site.open("act")  # the bound is said before anyone types
    assert f"at most {PARAMS.max_effort}: 40 hours" in site.page.locator("form[data-action=contribute]").inner_text()
    commits_before = sf.w3.eth.block_number
    for via in ("relay", "direct"):  # an effort above the charter's maxEffort
        text = _fails(site, "contribute", via=via, file=str(work), effort=str(PARAMS.max_effort + 1))
        assert f"outside 1..{PARAMS.max_effort} minutes" in text, text
    assert sf.w3.eth.block_number == commits_before  # no commitment mined, by the relay or the wallet
    assert uploads == [] and site.wallet.signed == [] and site.wallet.sent == []

    # bytes that are already someone's work: refused before a commitment is paid for or the file pinned
    copied = tmp_path / "bo-floor-plan.txt"
    copied.write_bytes(b"bo's floor plan, second floor\n")
    theirs = sf.submit(dao["bo"], cid_of(copied.read_bytes()).bytes, 60)
    _until_served(site, theirs)
    before = sf.w3.eth.block_number
    for via in ("relay", "direct"):
        text = _fails(site, "contribute", via=via, file=str(copied), effort="30")
        assert f"this content is already contribution #{theirs}" in text, text
    assert sf.w3.eth.block_number == before and uploads == [] and site.wallet.signed == [] and site.wallet.sent == []

    # a second join, a self-review (with a comment, which must not be pinned) and a second vote
    text = _fails(site, "join")
    assert "is already a member" in text and "MembershipAlreadyMember(" not in text
    number = sf.submit(dao["ada"], artifact_cid("ada's shelf plan"), 60)
    text = _fails(site, "review", contribution=str(number), stars="5", comment="Great, if I say so myself.")
    assert "you cannot review your own contribution" in text
    assert uploads == [] and site.wallet.signed == []
    pid = Governance(sf).propose(dao["ada"], TEMPLATES["set-parameter"]("minReviewers", "3"), "Three reviewers")
    dao.chain.increase_time(GovernanceSettings().voting_delay + 1)
    site.page.reload()
    site.page.wait_for_selector("#main h2")
    site.connect(dao["ada"])
    site.act("vote", proposal=str(pid), support="1")
    signed: list[Any] = list(site.wallet.signed)
    assert [d["primaryType"] for d in signed] == ["Ballot"]
    text = _fails(site, "vote", proposal=str(pid), support="0")
    assert "already voted on this proposal" in text, text
    assert len(site.wallet.signed) == 1  # not asked to sign the second ballot


def test_a_members_page_shows_their_review_pay_per_epoch(site: Site) -> None:  # noqa: F811
    """Each epoch a member opened ratings in, with how many were scored and what it paid; the served
    numbers are the model's (the page reads them from /v1/members)."""
    dao, sf = site.dao, site.dao.sf
    work = sf.submit(dao["dee"], artifact_cid("a page's review pay"), 60)
    for name, stars in (("ada", 4), ("bo", 3)):
        sf.review(dao[name], work, stars)
    dao.chain.increase_time(PARAMS.review_window + 1)
    sf.finalize(dao["zed"], work)  # opens both ratings first
    _until_served(site, work)
    served: list[Any] = []
    for _ in range(200):  # the relay follows the chain a moment behind
        served = requests.get(f"{site.url}/v1/members/{dao['ada'].address}", timeout=10).json()["reviewPay"]
        if served and served[-1]["revealed"] >= 1:
            break
        time.sleep(0.1)
    epoch = served[-1]
    assert (epoch["scored"], epoch["forfeited"], epoch["closed"]) == (0, False, False), epoch
    site.page.evaluate(f"() => {{ location.hash = '#/member/{dao['ada'].address}'; }}")
    site.page.wait_for_function("() => /Review pay/.test(document.querySelector('#main').innerText)")
    main = " ".join(site.page.locator("#main").inner_text().split())
    assert f"epoch {epoch['epoch']}: {epoch['revealed']} ratings, 0 scored" in main, main
    assert "open: ratings are scored until a week after the epoch ends" in main, main
