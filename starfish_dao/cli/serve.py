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

    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    from starfish_dao.chain.backends import AnvilNode
    from starfish_dao.cli.common import fail, say_node_started
    from starfish_dao.relay.app import create_app
    from starfish_dao.relay.edge.server import serve

    managed = not (os.environ.get("STARFISH_RELAY_RPC_URL") or os.environ.get("STARFISH_RPC_URL"))
    was_running = not managed or AnvilNode.default().running()
    try:
        app_ = create_app()
    except ValidationError as exc:  # a STARFISH_RELAY_* value of the wrong shape: say which, in one line
        fail("the relay's settings are wrong: " + "; ".join(
            f"STARFISH_RELAY_{str(e['loc'][0]).upper()}"
            + "".join(f", item {p + 1}" if isinstance(p, int) else f", {p}" for p in e["loc"][1:]) + f": {e['msg']}"
            for e in exc.errors()))  # fmt: skip
    except SettingsError as exc:
        field = str(exc).split('"')[1] if '"' in str(exc) else "?"
        fail(f"the relay's setting STARFISH_RELAY_{field.upper()} cannot be read",
             "lists and tables are written as JSON, e.g. STARFISH_RELAY_WEBHOOKS='[{\"kind\": \"ntfy\", "
             "\"url\": \"https://ntfy.sh/our-space\"}]'")  # fmt: skip
    finally:  # said even when the relay then refuses to start (no manifest, say): the node keeps running
        if not was_running and AnvilNode.default().running():
            say_node_started(AnvilNode.default())
    relay = app_.state.relay
    console.print(f"relay for chain {relay.sf.deployment.chain_id} on http://{host}:{port} "
                  f"(relayer {relay.account.address}); OpenAPI at /docs, the community's page at /")  # fmt: skip
    serve(app_, relay.settings, host, port)
