"""`/docs` renders offline (issue 23: it was blank without internet, its assets came from a CDN).

Debian's chromium loads the relay's `/docs` with every request that would leave localhost refused
and recorded: Swagger UI must render the relay's operations from the package's own files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from tests.conftest import Dao
from tests.relay.page.test_page import _relay, browser  # noqa: F401 - fixture


def test_docs_render_with_no_request_leaving_localhost(dao: Dao, browser: Any, tmp_path: Path) -> None:  # noqa: F811
    url, relay = _relay(dao, tmp_path)
    context = browser.new_context()
    outside: list[str] = []
    asked: list[str] = []

    def guard(route: Any) -> None:
        target = route.request.url
        asked.append(target)
        if urlparse(target).hostname not in ("127.0.0.1", "localhost"):
            outside.append(target)
            route.abort()
        else:
            route.continue_()

    try:
        context.route("**/*", guard)
        page = context.new_page()
        page.goto(url + "/docs")
        page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
        assert "Starfish DAO relay" in page.locator(".swagger-ui .info .title").inner_text()
        page.wait_for_selector(".opblock-summary-path", timeout=20_000)
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert "/v1/info" in [p.strip().replace("\u200b", "") for p in paths], paths
        assert outside == [], f"/docs asked the network outside localhost for {outside}"
        assert any(a.endswith("/docs/assets/swagger-ui-bundle.js") for a in asked), asked
    finally:
        context.close()
        relay.terminate()
        relay.wait(timeout=20)
