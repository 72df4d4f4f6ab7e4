"""The exception hierarchy: one root, specific subclasses that also subclass the builtin they resemble."""

from __future__ import annotations


class StarfishError(Exception):
    """Root of every error this toolkit raises on purpose."""


class BuildError(StarfishError, RuntimeError):
    """The contracts could not be compiled."""


class ConfigError(StarfishError, ValueError):
    """A setting, file or argument is missing or malformed."""


class KeyError_(StarfishError, LookupError):
    """No usable private key was given."""


class ChainError(StarfishError, RuntimeError):
    """The chain backend could not be started or reached."""


class DeploymentError(StarfishError, RuntimeError):
    """A deployment is missing, incomplete or does not match the build."""


class ModelError(StarfishError, ValueError):
    """The reference model was fed events it cannot replay."""


class ContractRevert(StarfishError, RuntimeError):
    """A transaction or call reverted. `name` and `args` name the contract's custom error."""

    def __init__(self, name: str, args: dict[str, object] | None = None, raw: str = "") -> None:
        self.name = name
        self.error_args = dict(args or {})
        self.raw = raw
        self.chain_time: int | None = None  # the latest block's time when it reverted, if known
        detail = ", ".join(f"{k}={v}" for k, v in self.error_args.items())
        super().__init__(f"{name}({detail})" if name else f"reverted: {raw}")


class InsufficientFunds(ChainError):
    """The sending account cannot pay for the gas (or the value) of a transaction."""


class IPFSError(StarfishError, RuntimeError):
    """An artifact could not be stored, found or verified."""


class CIDMismatch(IPFSError):
    """Bytes do not hash to the CID they were fetched or stored under."""
