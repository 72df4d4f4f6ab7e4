"""The page speaks to people (issue 23): live activity in sentences with names, every number in
people's units (the signing box, proposals), and a phone layout at 375 px with nothing clipped."""

from __future__ import annotations

import time
from typing import Any

import requests
from playwright import sync_api as playwright_sync

from starfish_dao.chain.governance import TEMPLATES, Governance
from starfish_dao.domain.charter import PARAMETER_KEYS, GovernanceSettings
from starfish_dao.domain.model import ETH
from tests.conftest import ETHER, PARAMS, artifact_cid, founders_first_work
from tests.relay.page.test_page import ROUTES, Site, browser, site  # noqa: F401 - fixtures

G = GovernanceSettings()
OVERFLOW = """(form) => [form, ...form.querySelectorAll('*')].filter((e) => e.scrollWidth > e.clientWidth + 1
                || e.getBoundingClientRect().right > form.getBoundingClientRect().right + 1)
                .map((e) => e.tagName + '.' + e.className)"""
FIELDS = """(box) => Object.fromEntries(Array.from(box.querySelectorAll('dd'))
              .map((d) => [d.dataset.field, [d.dataset.raw, d.textContent]]))"""


def _name(site: Site, address: str, name: str) -> None:  # noqa: F811
    site.open(f"member/{address}")
    form = site.page.locator(f"form[data-name-for='{address.lower()}']")
    form.locator("input[name=name]").fill(name)
    form.locator("button[type=submit]").click()
    site.page.wait_for_function("(name) => (localStorage.getItem('starfish.names') || '').includes(name)", arg=name)


def _activity(site: Site, *texts: str) -> str:  # noqa: F811
    try:
        site.page.wait_for_function(
            "(texts) => texts.every((t) => document.querySelector('#activity').innerText.includes(t))",
            arg=list(texts),
            timeout=20_000,
        )
    except playwright_sync.TimeoutError:
        raise AssertionError(f"live activity: {site.page.locator('#activity').inner_text()!r}") from None
    return str(site.page.locator("#activity").inner_text())


def test_live_activity_says_what_happened_with_names(site: Site) -> None:  # noqa: F811
    dao, sf = site.dao, site.dao.sf
    site.connect(dao["ada"])
    _name(site, dao["bo"].address, "Bo")
    # the work's file is on the relay's node: its lines name it by its first line, read from its bytes
    upload = requests.post(f"{site.url}/v1/artifacts", files={"file": ("plan.txt", b"ada's floor plan")}, timeout=30)
    assert upload.status_code == 201, upload.text
    number = sf.submit(dao["ada"], artifact_cid("ada's floor plan"), 90)
    sf.review(dao["bo"], number, 4)
    sf.pay_eth(dao["zed"], 3 * ETHER // 2)
    dao.govern(sf.charter.functions.setParameter(int(PARAMETER_KEYS["reviewWindow"]), 4 * 86400))
    text = _activity(
        site,
        "the members changed the charter's reviewWindow",
        f"You submitted contribution #{number} “ada's floor plan” (1 h 30 min)",
        f"Bo sealed a rating of your contribution #{number} “ada's floor plan” (hidden until its window closes)",
        "1.5 ETH received: 1.35 to members, 0.15 to the treasury",
    )
    for raw in ("Submitted", "Reviewed", "RevenueReceived", "at block"):
        assert raw not in text, text


def test_signing_boxes_and_proposals_read_in_peoples_units(site: Site) -> None:  # noqa: F811
    dao, sf, page = site.dao, site.dao.sf, site.page
    gov = Governance(sf)
    sf.pay_eth(dao["zed"], ETHER)
    pid = gov.propose(dao["ada"], TEMPLATES["spend"]("eth", dao["bo"].address, ETHER // 20), "A kettle for the kitchen")
    number = sf.submit(dao["bo"], artifact_cid("bo's shelf plan"), 45)
    dao.chain.increase_time(G.voting_delay + 1)
    page.reload()
    page.wait_for_selector("#main h2")
    site.connect(dao["ada"])
    site.open("governance")
    shown = page.locator(f"[data-proposal='{pid}']").inner_text()
    assert f"pay 0.05 ETH from the treasury to {dao['bo'].address}" in shown, shown
    assert str(ETHER // 20) not in shown and str(pid) not in shown, shown

    site.open("")  # amounts with their symbol; dates in the reader's words, not ISO or UTC
    card = page.locator(f"[data-token='{ETH}']").inner_text()
    assert card.count("ETH") >= 3, card
    site.open("contributions")
    assert page.locator(f"tr[data-contribution='{number}'] td.num").first.inner_text() == "45 min"
    site.open("members")
    joined = page.locator("tr[data-member] td:nth-child(3)").first.inner_text()
    assert "UTC" not in joined and not joined[:4].isdigit(), joined

    form = site.act("review", contribution=str(number), stars="4")
    box = form.locator(".signing")
    fields = box.evaluate(FIELDS)
    deadline_raw, deadline_text = fields["deadline"]
    assert int(deadline_raw) > 1_700_000_000 and deadline_raw not in deadline_text and "valid for" in deadline_text
    assert "stars" not in fields and "nobody can read it until the review window closes" in fields["sealed"][1]
    assert f"contribution #{number}" in fields["contribution"][1] and fields["contribution"][0] == str(number)
    form = site.act("vote", proposal=str(pid), support="1")
    fields = form.locator(".signing").last.evaluate(FIELDS)
    assert fields["support"][1] == "for" and "A kettle for the kitchen" in fields["proposalId"][1]
    assert fields["proposalId"][0] == str(pid)


def _clipped(page: Any, width: int) -> list[str]:
    """Elements wider than their box outside a scrolling table, and tables that scroll without a hint."""
    return list(
        page.evaluate(
            """(width) => {
        const bad = [];
        for (const e of document.querySelectorAll('body *')) {
          if (e.closest('.scroll') || e.closest('.skip')) continue;
          if (e.getBoundingClientRect().right > width + 1 || e.scrollWidth > e.clientWidth + 1)
            bad.push(`${e.tagName}.${e.className} ${e.scrollWidth}/${e.clientWidth}`);
        }
        for (const box of document.querySelectorAll('#main .scroll')) {
          const hint = box.nextElementSibling;
          const shown = hint && hint.classList.contains('scroll-hint') && hint.getClientRects().length > 0;
          if (box.scrollWidth > box.clientWidth + 1 && !shown) bad.push('a table scrolls without a visible hint');
        }
        return bad; }""",
            width,
        )
    )


def test_nothing_is_clipped_on_a_phone_and_the_review_card_fits_a_desktop(site: Site) -> None:  # noqa: F811
    dao, sf, page = site.dao, site.dao.sf, site.page
    founders_first_work(dao)  # points to chart (genesis standing earns none)
    for _ in range(12):  # a dozen items of live activity
        sf.pay_eth(dao["zed"], ETHER // 10)
    number = sf.submit(dao["bo"], artifact_cid("bo's long plan"), 45)
    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    page.wait_for_selector("#main h2")
    site.connect(dao["ada"])
    page.wait_for_function("() => document.querySelectorAll('#activity li').length >= 12")
    for route in (*ROUTES, f"contribution/{number}", f"member/{dao['ada'].address}"):  # and one of each kind
        site.open(route)
        clipped = _clipped(page, 375)
        assert clipped == [], f"#{route} at 375 px: {clipped}"
    site.open("members")
    assert page.evaluate("() => document.querySelector('#main .scroll').scrollWidth > 375")  # the hint is tested
    # the points chart's labels are readable: at least 12 px tall on a phone
    site.open("")
    heights = page.evaluate(
        """() => Array.from(document.querySelectorAll('#main svg text, #main ol.bars .who, #main ol.bars .pct'))
             .map((e) => e.getBoundingClientRect().height)"""
    )
    assert len(heights) >= 3 and min(heights) >= 12, heights
    # live activity has room for two-digit numbers: its indent is wider than "10." in its own font
    room, needed = page.evaluate(
        """() => { const ol = document.querySelector('#activity'); const probe = document.createElement('span');
             probe.textContent = '10. ';
             probe.style.position = 'absolute'; probe.style.font = getComputedStyle(ol).font;
             document.body.appendChild(probe);
             const w = probe.getBoundingClientRect().width; probe.remove();
             return [parseFloat(getComputedStyle(ol).paddingLeft), w]; }"""
    )
    assert room >= needed, (room, needed)
    # at 1280 px the Review card keeps its signing box and progress inside it
    page.set_viewport_size({"width": 1280, "height": 900})
    form = site.act("review", contribution=str(number), stars="4", comment="Solid, " * 30)
    wide = form.evaluate(OVERFLOW)
    assert wide == [], wide
    # and a refusal's words wrap inside it too (a raw error's 80-character token once overflowed it)
    site.connect(dao["eli"])  # no standing to review
    for attempt in range(3):  # the Act page may be redrawn with new data between the fill and the click
        form = site.submit("review", contribution=str(number))
        try:
            page.wait_for_selector("form[data-action=review]:not([data-todo]) .progress .failed", timeout=20_000)
            break
        except playwright_sync.TimeoutError:
            if attempt == 2:
                raise
    wide = form.evaluate(OVERFLOW)
    assert wide == [], wide


def test_the_page_leads_with_what_waits_for_the_connected_member(site: Site) -> None:  # noqa: F811
    """As `starfish todo`: work to review (author, effort, deadline), own work under review, pay to
    claim and votes open, each with its action beside it; nobody types a contribution number."""
    dao, sf, page = site.dao, site.dao.sf, site.page
    founders_first_work(dao)  # so that ada is owed pay (genesis standing earns none)
    # bo's file is on the relay's node: the list names the work by its first line (issue 23: "title or
    # file name"), read from its bytes
    upload = requests.post(f"{site.url}/v1/artifacts", files={"file": ("rota.txt", b"bo's coffee rota")}, timeout=30)
    assert upload.status_code == 201, upload.text
    theirs = sf.submit(dao["bo"], artifact_cid("bo's coffee rota"), 45)
    mine = sf.submit(dao["ada"], artifact_cid("ada's floor plan"), 60)
    sf.pay_eth(dao["zed"], ETHER)
    pid = Governance(sf).propose(dao["cy"], TEMPLATES["set-parameter"]("minReviewers", "3"), "Three reviewers")
    dao.chain.increase_time(G.voting_delay + 1)
    page.reload()
    page.wait_for_selector("#main h2")
    site.connect(dao["ada"])
    _name(site, dao["bo"].address, "Bo")
    site.open("act")
    first = page.locator("#main h2").first.inner_text()
    assert first == "Waiting for you"
    items = page.eval_on_selector_all(".for-you li", "(items) => items.map((li) => [li.dataset.kind, li.innerText])")
    kinds = [k for k, _ in items]
    assert kinds[:2] == ["review", "waiting"] and "pay" in kinds and "vote" in kinds, items
    review_text = dict(items)["review"]
    assert page.locator(".for-you li[data-kind=review] a[download]").inner_text() == "open the work"
    assert f"Bo's contribution #{theirs}" in review_text and "45 min" in review_text and "left" in review_text
    assert "“bo's coffee rota”" in review_text, review_text
    assert f"contribution #{mine} is under review" in dict(items)["waiting"]

    # the Act page's own Review form offers the same work to choose from (not ada's own)
    # (drawn from the page's copy of the contributions, which arrives on its own schedule: wait for it)
    page.wait_for_function("() => document.querySelectorAll('#reviewable option').length > 0", timeout=30_000)
    options = page.eval_on_selector_all("#reviewable option", "(os) => os.map((o) => [o.value, o.label])")
    assert [v for v, _ in options] == [str(theirs)] and f"Bo's contribution #{theirs}, 45 min" in options[0][1]
    # review from the list: choose the stars, press Review; the id was never typed
    form = page.locator(f"form[data-todo='review:{theirs}']")
    form.locator("select[name=stars]").select_option("4")
    form.locator("button[type=submit]").click()
    page.wait_for_function(
        "(id) => { const p = document.querySelector(`form[data-todo='review:${id}'] .progress`);"
        " return p.querySelector('.failed') || p.querySelector('.mined'); }",
        arg=theirs,
        timeout=60_000,
    )
    assert form.locator(".progress .failed").count() == 0, form.locator(".progress").inner_text()
    assert list(dao.model().contributions[theirs].sealed) == [dao["ada"].address]  # sealed in this browser
    assert form.locator("button[type=submit]").is_disabled()  # done: not sent twice
    assert page.locator(f".for-you li[data-id='review:{theirs}']").get_attribute("class") == "done"

    # claim from the list, through the relay
    owed = sf.splitter.functions.claimable(dao["ada"].address, ETH).call()
    balance = sf.w3.eth.get_balance(dao["ada"].address)
    form = page.locator(".for-you form[data-action=claim]")
    assert "ETH" in form.inner_text()
    form.locator("button[type=submit]").click()
    page.wait_for_function(
        "() => { const p = document.querySelector('.for-you form[data-action=claim] .progress');"
        " return p.querySelector('.failed') || p.querySelector('.mined'); }",
        timeout=60_000,
    )
    assert sf.w3.eth.get_balance(dao["ada"].address) == balance + owed
    # and the vote, from the list
    form = page.locator(f"form[data-todo='vote:{pid}']")
    form.locator("select[name=support]").select_option("1")
    form.locator("button[type=submit]").click()
    page.wait_for_function(
        "(id) => { const p = document.querySelector(`form[data-todo='vote:${id}'] .progress`);"
        " return p.querySelector('.failed') || p.querySelector('.mined'); }",
        arg=str(pid),
        timeout=60_000,
    )
    assert sf.contracts["governor"].functions.hasVoted(pid, dao["ada"].address).call()


def test_a_contribution_s_page_carries_its_action(site: Site) -> None:  # noqa: F811
    dao, sf, page = site.dao, site.dao.sf, site.page
    number = sf.submit(dao["bo"], artifact_cid("bo's window plan"), 30)
    site.connect(dao["ada"])
    site.open(f"contribution/{number}")
    form = page.locator(f"form[data-todo='page:review:{number}']")
    form.locator("select[name=stars]").select_option("5")
    form.locator("button[type=submit]").click()
    page.wait_for_selector(
        f"form[data-todo='page:review:{number}'] .progress .mined, "
        f"form[data-todo='page:review:{number}'] .progress .failed",
        timeout=60_000,
    )
    assert form.locator(".progress .failed").count() == 0, form.locator(".progress").inner_text()
    assert list(dao.model().contributions[number].sealed) == [dao["ada"].address]  # sealed, not shown
    dao.chain.increase_time(PARAMS.review_window + 1)
    page.reload()  # the page opens what it sealed once the window closed (through the relay, unsigned)
    page.wait_for_selector("#main h2")
    deadline = time.monotonic() + 60
    while not dao.model().contributions[number].reviews and time.monotonic() < deadline:
        time.sleep(0.5)
    assert [(r, s) for r, s, _, _ in dao.model().contributions[number].reviews] == [(dao["ada"].address, 5)]
    site.open(f"contribution/{number}")
    page.locator(f"form[data-todo='page:finalize:{number}'] button[type=submit]").wait_for()
