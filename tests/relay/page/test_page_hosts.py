"""The page shows the grid (issue 22): every host, whether it counts this epoch and why not, and how
many files it holds, as the relay recomputes them from the chain (`GET /v1/grid`)."""

from __future__ import annotations

import time
from typing import Any

import requests

from starfish_dao.chain import grid
from tests.chain.test_grid import _next_epoch, _seed
from tests.relay.page.test_page import Site, browser, site  # noqa: F401 - fixtures


def _served(site: Site, ready: Any) -> dict[str, Any]:  # noqa: F811
    answer: dict[str, Any] = {}
    for _ in range(300):  # the relay follows the chain a moment behind
        answer = requests.get(f"{site.url}/v1/grid", timeout=10).json()
        assert "hosts" in answer, answer
        if ready(answer):
            return answer
        time.sleep(0.1)
    raise AssertionError(answer)


def test_the_hosts_page_shows_who_holds_what_and_why_not(site: Site) -> None:  # noqa: F811
    dao, sf = site.dao, site.dao.sf
    for name in ("ada", "bo"):
        grid.register(sf, dao[name], f"http://127.0.0.1:80{len(name)}")
    waiting = _served(site, lambda g: len(g["hosts"]) == 2)
    assert waiting["assigned"] is False and "seed is not fixed" in waiting["why"]
    _seed(dao, _next_epoch(dao) - 1)
    # registered during this epoch: counts from the next; it runs this relay (and its page) for the community
    grid.register(sf, dao["cy"], f"https://cy.example relay={site.url} page={site.url}/")
    served = _served(site, lambda g: g["assigned"] and len(g["hosts"]) == 3)
    files = len(served["files"])
    assert files >= 1
    by = {h["address"]: h for h in served["hosts"]}
    assert by[dao["ada"].address]["counts"] and by[dao["ada"].address]["holds"] == files  # 2 hosts, k = 3
    assert not by[dao["cy"].address]["counts"] and "counts from the next epoch" in by[dao["cy"].address]["why"]

    site.open("hosts")
    site.page.wait_for_function("() => document.querySelectorAll('#main tr[data-host]').length === 3")
    main = " ".join(site.page.locator("#main").inner_text().split())
    assert f"Epoch {served['epoch']}: {files} files, each on up to 3 hosts." in main, main
    row = site.page.locator(f"#main tr[data-host='{dao['ada'].address}']")
    assert row.locator("[data-field=counts]").inner_text() == "yes"
    assert row.locator("[data-field=holds]").inner_text() == str(files)
    cy = site.page.locator(f"#main tr[data-host='{dao['cy'].address}'] [data-field=counts]").inner_text()
    assert "counts from the next epoch" in cy, cy
    # the relay probes each declared relay and page as the committees do, in a thread of its own
    probed = _served(site, lambda g: all(s.get("probe") for h in g["hosts"] for s in h["services"]))
    (cy_row,) = [h for h in probed["hosts"] if h["address"] == dao["cy"].address]
    assert [(s["kind"], s["probe"]["ok"]) for s in cy_row["services"]] == [("relay", True), ("page", True)], cy_row
    site.open("governance")  # away and back: the view is drawn again from a fresh /v1/grid
    site.open("hosts")
    cell = site.page.locator(f"#main tr[data-host='{dao['cy'].address}'] [data-field=services]")
    site.page.wait_for_function(
        "(sel) => (document.querySelector(sel)?.innerText || '').split('first byte in').length === 3",
        arg=f"#main tr[data-host='{dao['cy'].address}'] [data-field=services]",
    )
    said = " ".join(cell.inner_text().split())
    assert "relay" in said and "page" in said and said.count("up, first byte in") == 2, said

    # the next epoch: bo checks ada for the epoch that ended, seals, and reveals a failing result the
    # epoch after; the page shows it the moment it is revealed, with who found it (never silently)
    from starfish_dao.chain.grid import CheckResult

    epoch = served["epoch"]
    _next_epoch(dao)
    _seed(dao, epoch)
    result = CheckResult(epoch, dao["ada"].address, files, 7, b"")
    grid.seal_check(sf, dao["bo"], result)
    _next_epoch(dao)
    grid.reveal_check(sf, dao["zed"], dao["bo"], result)
    failing = _served(site, lambda g: g["failures"])
    assert failing["failures"] == [{"epoch": epoch, "host": dao["ada"].address, "checker": dao["bo"].address,
                                    "passes": 7, "challenges": 10, "evidence": None, "contested": False}]  # fmt: skip
    site.open("hosts")
    site.page.wait_for_function("() => document.querySelectorAll('#grid-failures li').length === 1")
    said = " ".join(site.page.locator("#grid-failures").inner_text().split())
    assert f"epoch {epoch}:" in said and "passed 7 of 10" in said, said
    checked = site.page.locator(f"#main tr[data-host='{dao['ada'].address}'] [data-field=checked]").inner_text()
    assert f"epoch {epoch}: 7/10, 1 of 1 checkers agree; not attested yet" in " ".join(checked.split()), checked
