"""The page's charter table in people's units (issue 23: raw seconds, basis points and 10^18 there)."""

from __future__ import annotations

from starfish_dao.domain.charter import PARAMETER_KEYS
from tests.relay.page.test_page import Site, browser, site  # noqa: F401 - fixtures


def test_the_charter_table_reads_in_peoples_units(site: Site) -> None:  # noqa: F811
    site.page.goto(site.url + "/#/")
    site.page.wait_for_selector("td[data-param]")
    cells = site.page.eval_on_selector_all(
        "td[data-param]", "(cells) => cells.map((c) => [c.dataset.param, c.dataset.raw, c.textContent])"
    )
    shown = {key: (int(raw), text) for key, raw, text in cells}
    assert set(shown) == set(PARAMETER_KEYS)
    params = site.dao.model().params
    for key, parameter in PARAMETER_KEYS.items():
        assert shown[key][0] == params.value(parameter), key  # the exact value stays in data-raw
    assert shown["reviewWindow"][1] == f"{params.review_window // 86400} days"
    assert shown["epochLength"][1].endswith(("days", "hours"))
    assert shown["reserveBps"][1] == f"{params.reserve_bps / 100:g} %"
    assert shown["minReviewerStanding"][1].endswith(("point", "points"))
    assert shown["maxEffort"][1].endswith(("hours", "minutes", "days"))
