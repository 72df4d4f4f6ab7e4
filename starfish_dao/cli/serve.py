"""The relay service."""

from __future__ import annotations

from typing import Annotated

import typer

from starfish_dao.cli.common import console


def register(app: typer.Typer) -> None:
    app.command("relay")(relay_command)


def relay_command(
    host: Annotated[str, typer.Option(help="bind address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8645,
) -> None:
    """Run the relay (settings from STARFISH_RELAY_* variables; it refuses to start without a key)."""
    import os

    from starfish_dao.chain.backends import AnvilNode
    from starfish_dao.cli.common import say_node_started
    from starfish_dao.relay.app import create_app
    from starfish_dao.relay.http import serve

    managed = not (os.environ.get("STARFISH_RELAY_RPC_URL") or os.environ.get("STARFISH_RPC_URL"))
    was_running = not managed or AnvilNode.default().running()
    try:
        app_ = create_app()
    finally:  # said even when the relay then refuses to start (no manifest, say): the node keeps running
        if not was_running and AnvilNode.default().running():
            say_node_started(AnvilNode.default())
    relay = app_.state.relay
    console.print(f"relay for chain {relay.sf.deployment.chain_id} on http://{host}:{port} "
                  f"(relayer {relay.account.address}); OpenAPI at /docs, the community's page at /")  # fmt: skip
    serve(app_, relay.settings, host, port)
