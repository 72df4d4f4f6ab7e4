"""The community's page, served by the relay at `/`.

The page is plain HTML, CSS and a little JavaScript from the package (`relay/page/`: no CDN, no
build step), so it works offline on a coworking space's LAN. Every number it shows comes from the
reference model, which the relay compares with the contracts' own views every `verify_interval`
seconds; the page marks numbers as unverified when that comparison failed or is stale. The reads it
needs beyond the API's are in `routes/info.py`.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

from starfish_dao.relay.edge.problems import Refusal

PAGE_DIR = Path(__file__).resolve().parent.parent / "page"
ASSETS = {
    "app.js": "text/javascript",
    "style.css": "text/css",
    "vendor/sha3-0.9.3.min.js": "text/javascript",
}

page = APIRouter(tags=["page"])


@page.get("/", response_class=HTMLResponse, include_in_schema=False)
def index() -> HTMLResponse:
    return HTMLResponse((PAGE_DIR / "index.html").read_text(), headers={"Cache-Control": "no-cache"})


@page.get("/page/{asset:path}", include_in_schema=False)
def asset(asset: str) -> FileResponse:
    if asset not in ASSETS:  # a fixed list: nothing else on disk is ever served
        raise Refusal(404, "not_found", f"no asset {asset}")
    return FileResponse(PAGE_DIR / asset, media_type=ASSETS[asset], headers={"Cache-Control": "no-cache"})
