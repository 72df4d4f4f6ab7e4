"""`serve` under its old name, for `starfish_dao/cli/serve.py`: the relay's server is
`relay/edge/server.py`. Nothing else lives here; remove it once the CLI imports it from there."""

from starfish_dao.relay.edge.server import serve

__all__ = ["serve"]
