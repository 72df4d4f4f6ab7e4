"""The relay application: assembles the routers. `create_app()` refuses to build without a relayer key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from starfish_dao import __version__
from starfish_dao.relay.routers import ROUTERS
from starfish_dao.relay.service import Relay
from starfish_dao.relay.settings import RelaySettings, get_settings


def create_app(settings: RelaySettings | None = None, relay: Relay | None = None, start: bool = True) -> FastAPI:
    settings = settings or get_settings()
    relay = relay or Relay(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if start:
            relay.start()
        try:
            yield
        finally:
            relay.stop()

    app = FastAPI(
        title="Starfish DAO relay",
        version=__version__,
        description="Members sign EIP-712 actions; the relay pays the gas. It can neither forge an action "
        "(every one carries the member's signature, checked on-chain) nor trap one (every action also "
        "works sent directly to the contracts).",
        lifespan=lifespan,
    )
    app.state.relay = relay
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
                           allow_headers=["*"])  # fmt: skip

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]} for e in exc.errors()]
        return JSONResponse(
            {"error": "malformed", "message": "the request does not match the API", "detail": errors}, 422
        )

    from starfish_dao.relay.page import page, views

    for router in (*ROUTERS, views, page):
        app.include_router(router)
    return app
