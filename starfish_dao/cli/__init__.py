"""The `starfish` command, one module per area: setup, node and accounts, members, work and reviews,
money, governance, verification, IPFS. `common` holds the options, parsing and units they share."""

from __future__ import annotations

from starfish_dao.cli.app import app, main

__all__ = ["app", "main"]
