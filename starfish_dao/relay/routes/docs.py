"""`/docs` served from the package, not a CDN: the relay's API reference works offline (on the
coworking space's LAN, or a laptop on a train). Swagger UI's files (version 5, which reads the
OpenAPI 3.1 that FastAPI writes) come from the `swagger-ui-py` package and are served under
`/docs/assets/`; the online validator badge is off (it would call validator.swagger.io)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.routing import APIRouter

ASSETS = "/docs/assets"
_FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png")


def swagger_ui_dir() -> Path:
    import swagger_ui

    return Path(swagger_ui.__file__).parent / "static"


def add_docs(app: FastAPI) -> None:
    """Replaces FastAPI's CDN-backed `/docs` (create the app with `docs_url=None`)."""
    router = APIRouter(include_in_schema=False)
    folder = swagger_ui_dir()

    @router.get("/docs")
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} — API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},
        )

    @router.get(ASSETS + "/{name}")
    async def asset(name: str) -> FileResponse:
        if name not in _FILES:  # a fixed list: no path from the request reaches the file system
            from fastapi import HTTPException

            raise HTTPException(404, "no such file")
        return FileResponse(folder / name, headers={"Cache-Control": "public, max-age=86400"})

    app.include_router(router)
