"""What every command shares: options, the console, key and address parsing, units, output."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from starfish_dao.domain.errors import ConfigError, StarfishError
from starfish_dao.jsonout import jsonable

# wide enough for the tables when output goes to a file or CI log
console = Console(width=None if sys.stdout.isatty() else 120)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 120)


class CliError(StarfishError, ValueError):
    """A mistake on the command line: one line that says what was wrong, and a hint what to do."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


RpcOpt = Annotated[
    str | None,
    typer.Option(
        "--rpc", envvar="STARFISH_RPC_URL", metavar="URL", help="JSON-RPC URL (default: the managed local anvil)"
    ),
]
KeyOpt = Annotated[
    Path | None,
    typer.Option(
        "--key-file", metavar="FILE", help="your eth-account keystore (else $STARFISH_PRIVATE_KEY)", show_default=False
    ),
]
DeplOpt = Annotated[
    Path | None,
    typer.Option("--deployments", metavar="DIR", help="directory of <chainId>.json manifests", show_default=False),
]
RelayOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--relay", envvar="STARFISH_RELAY_URL", metavar="URL",
        help="send through a relay, which pays the gas (repeat it for fallbacks)", show_default=False,
    ),
]  # fmt: skip
IpfsOpt = Annotated[
    str | None,
    typer.Option(
        "--ipfs-api",
        envvar="STARFISH_IPFS_API",
        metavar="MULTIADDR",
        help="Kubo RPC multiaddr (default: the embedded store)",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="print the result as JSON")]
WeiOpt = Annotated[bool, typer.Option("--wei", help="amounts in wei (exact) instead of ETH")]


def fail(message: str, hint: str = "") -> NoReturn:
    raise CliError(message, hint)


def address(text: str, what: str = "the address") -> str:
    """A checksummed address (the one rule: `domain/address.py`); a refusal names what was wrong."""
    from starfish_dao.domain.address import checked_address

    try:
        return checked_address(text.strip(), what)
    except ConfigError as exc:
        fail(str(exc))


def to_wei(amount: str, decimals: int = 18, what: str = "the amount") -> int:
    try:
        value = Decimal(amount) * (10**decimals)
    except InvalidOperation:
        fail(f"{what} {amount!r} is not a number")
    if value != value.to_integral_value() or value <= 0:
        fail(f"{what} {amount!r} must be positive with at most {decimals} decimals")
    return int(value)


def money(wei: int, symbol: str = "ETH", exact: bool = False, decimals: int = 18) -> str:
    """An amount for people: ETH with up to 6 decimals (rounded down), or exact wei with --wei."""
    if exact:
        return f"{wei} wei" if symbol == "ETH" else f"{wei} (base units of {symbol})"
    from starfish_dao.domain.units import amount

    return f"{amount(wei, decimals)} {symbol}"


def token_symbol(token: str) -> str:
    """A token by its short address (`0xAbCd12…`); `token_units` reads its symbol from the chain."""
    from starfish_dao.chain.tokens import short_token

    return short_token(token)


def token_units(w3: Any, token: str) -> tuple[str, int]:
    """A token's symbol and decimals as its contract states them (ETH: "ETH", 18), read once per
    token; for a token that does not answer, its short address and 18 (see `chain/tokens.py`)."""
    from starfish_dao.chain.tokens import token_units as read

    return read(w3, token)


def typed_units(w3: Any, token: str, given: int | None = None) -> tuple[str, int]:
    """The units an amount typed for `token` is in (a payment, a spend): its own `decimals()`. A
    token that does not state them needs `given` (--decimals); a `given` that contradicts what the
    token states is refused, never guessed."""
    from starfish_dao.chain.tokens import stated_units

    symbol, decimals = stated_units(w3, token)
    if decimals is None:
        if given is None:
            fail(f"the token {token} does not state its decimals: an amount of it cannot be read",
                 "give them with --decimals N (the token's documentation says how many)")  # fmt: skip
        return symbol, given
    if given is not None and given != decimals:
        fail(f"the token {token} ({symbol}) has {decimals} decimals, not {given}", "leave out --decimals")
    return symbol, decimals


def duration(seconds: int, exact: bool = False) -> str:
    """`2 d 23 h`, `5 h 12 min`, `40 s` (the two largest units, the rest dropped); with `exact`, every
    unit that is not zero: `1 d 30 s`."""
    seconds = max(int(seconds), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    if exact:
        parts = zip((days, hours, rest // 60, rest % 60), ("d", "h", "min", "s"), strict=True)
        return " ".join(f"{n:,} {unit}" for n, unit in parts if n) or "0 s"
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {rest // 60} min"
    return f"{rest // 60} min" if rest >= 60 else f"{rest} s"


def key_names() -> dict[str, str]:
    """Address -> the name of its keystore in the data directory (`keystores/NAME.json`): what a
    person calls the keys on this machine. Unreadable files and duplicates are skipped."""
    from starfish_dao import config

    names: dict[str, str] = {}
    for file in sorted((config.home() / "keystores").glob("*.json")):
        try:
            raw = str(json.loads(file.read_text())["address"])
            names.setdefault(address("0x" + raw.removeprefix("0x").lower()), file.stem)
        except (OSError, ValueError, KeyError, TypeError, CliError):
            continue
    return names


def who(account: str, names: dict[str, str]) -> str:
    """`ada (0xAbc...)` for a local key, the address alone otherwise."""
    name = names.get(account)
    return f"{name} ({account})" if name else account


def short_id(proposal: int) -> str:
    """A proposal's short form, what the CLI prints: the first 8 of the 64 hex digits of its id."""
    return f"{int(proposal):064x}"[:8]


def match_proposal(text: str, known: Iterable[int]) -> int:
    """The one proposal among `known` that `text` names: its id in full (decimal or 0x hex), or the
    start of its short form (hex, with or without 0x) or of its decimal id. None or several: a refusal."""
    given = text.strip().lower()
    hexdigits = given.removeprefix("0x")
    if not given or not all(c in "0123456789abcdef" for c in hexdigits):
        fail(f"{text!r} is not a proposal id", "give its short id (8 hex digits, as `starfish proposals` prints it)")
    ids = list(dict.fromkeys(int(p) for p in known))
    found = [p for p in ids if f"{p:064x}".startswith(hexdigits)]
    if given.isdigit():
        found += [p for p in ids if str(p).startswith(given) and p not in found]
        if int(given) in ids:
            return int(given)
    if given.startswith("0x") and int(hexdigits or "0", 16) in ids and len(hexdigits) > 8:
        return int(hexdigits, 16)
    if len(found) == 1:
        return found[0]
    if not found:
        fail(f"no proposal starts with {text.strip()}", "`starfish proposals` lists them with their short ids")
    fail(f"{text.strip()} is ambiguous: it starts proposals " + ", ".join(short_id(p) for p in found),
         "give more digits (`starfish proposals` lists them)")  # fmt: skip


def emit(data: Any, as_json: bool, human: Callable[[], None]) -> None:
    """Prints `data` as JSON (amounts as decimal strings, ids and times as numbers), or calls `human`."""
    if as_json:
        print(json.dumps(jsonable(data), indent=2))
    else:
        human()


class Sent:
    """What this command sent, so that Ctrl-C can say whether the action happened."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.connected = False  # a chain or a relay was reached
        self.txs: list[tuple[str, str | None]] = []  # (tx hash, the node's URL) in the order sent
        self.rpc_hint = ""  # ` --rpc URL` when the node was named on the command line
        self.posting: str | None = None  # the relay an action is being posted to
        self.relayed: list[tuple[str, str, str]] = []  # (relay URL, action id, action) accepted
        self.w3: Any = None  # the chain this command reached, for a token's units in an error


SENT = Sent()


def _track(w3: Any) -> None:
    """Records the hash of every raw transaction before it is sent (the hash is that of its bytes)."""
    from eth_utils.crypto import keccak
    from hexbytes import HexBytes
    from web3.middleware.base import Web3Middleware

    url = getattr(w3.provider, "endpoint_uri", None)

    class TrackSent(Web3Middleware):
        def request_processor(self, method: Any, params: Any) -> Any:
            if method == "eth_sendRawTransaction":
                SENT.txs.append(("0x" + keccak(HexBytes(params[0])).hex(), str(url) if url else None))
            return method, params

    w3.middleware_onion.add(TrackSent, name="starfish-track-sent")
    SENT.connected = True
    SENT.w3 = w3


def chain_units() -> Callable[[str], tuple[str, int | None]] | None:
    """A token's symbol and decimals from the chain this command reached (None: it reached none)."""
    from starfish_dao.chain.tokens import stated_units

    w3 = SENT.w3
    return None if w3 is None else (lambda token: stated_units(w3, token))


def say_node_started(node: Any) -> None:
    """One line on stderr when a command started the managed anvil: where, and how to stop it."""
    if node is not None:
        err.print(f"started a local anvil node at {node.url} (state in {node.data_dir}); it keeps running: "
                  "`starfish node stop` stops it", highlight=False, soft_wrap=True, markup=False)  # fmt: skip


def chain(rpc: str | None = None, backend: str | None = None) -> Any:
    """The chain at `rpc` (default: the managed anvil). Starting that node is said on stderr, in one
    line with where and how to stop it; every transaction sent is tracked (see `SENT`)."""
    from starfish_dao.chain.backends import AnvilNode, connect

    managed = not (rpc or os.environ.get("STARFISH_RPC_URL"))
    was_running = not managed or AnvilNode.default().running()
    connected = connect(rpc, backend)
    if not was_running:
        say_node_started(getattr(connected, "node", None))
    if rpc and rpc != os.environ.get("STARFISH_RPC_URL"):
        SENT.rpc_hint = f" --rpc {rpc}"
    _track(connected.w3)
    return connected


def client(rpc: str | None, deployments: Path | None) -> Any:
    """The DAO on the chain at `rpc` (default: the managed anvil), from its manifest."""
    from starfish_dao.chain.client import Starfish
    from starfish_dao.chain.deployment import Deployment

    backend = chain(rpc)
    return Starfish(backend.w3, Deployment.load(int(backend.w3.eth.chain_id), deployments))


def tx_state(w3: Any, tx_hash: str) -> tuple[str, str]:
    """Where a transaction is: ("mined", ...), ("failed", ...), ("pending", ...) or ("unknown", ...)."""
    from web3.exceptions import TransactionNotFound

    try:
        receipt = w3.eth.get_transaction_receipt(tx_hash)
    except TransactionNotFound:
        receipt = None
    if receipt is not None:
        block = int(receipt["blockNumber"])
        if int(receipt["status"]) == 1:
            return "mined", f"tx {tx_hash} was mined in block {block} and succeeded: the action happened"
        return "failed", f"tx {tx_hash} was mined in block {block} but failed (reverted): nothing changed"
    try:
        w3.eth.get_transaction(tx_hash)
    except TransactionNotFound:
        return "unknown", f"tx {tx_hash} is not known to the node: it was not sent, or it was dropped"
    return "pending", f"tx {tx_hash} was sent and is waiting to be mined (not mined yet): it may still happen"


def relayed_state(url: str, action_id: str, timeout: float = 5) -> dict[str, Any]:
    from starfish_dao.relay.client import RelayClient

    return RelayClient(url, timeout=timeout).action(action_id)


def interrupted_report() -> list[str]:
    """What an interrupted command had done: each transaction sent and where it is, each action a
    relay accepted and how to follow it; or that nothing was sent."""
    lines: list[str] = []
    rpc = SENT.rpc_hint
    for tx_hash, url in SENT.txs:
        try:
            from web3 import HTTPProvider, Web3

            state, text = tx_state(Web3(HTTPProvider(url, request_kwargs={"timeout": 5})), tx_hash) if url else (
                "pending", f"tx {tx_hash} was sent")  # fmt: skip
        except Exception:  # noqa: BLE001 - the node may be gone too
            state, text = "pending", f"tx {tx_hash} was sent (the node does not answer now)"
        if state == "pending":
            text = f"sent tx {tx_hash}, not mined yet: it may still be mined; check with `starfish tx {tx_hash}{rpc}`"
        elif state == "unknown":
            text += f" (`starfish tx {tx_hash}{rpc}` checks again)"
        lines.append(text)
    for url, action_id, kind in SENT.relayed:
        follow = f"`starfish action {action_id} --relay {url}` shows whether it was mined"
        try:
            found = relayed_state(url, action_id)
        except Exception:  # noqa: BLE001 - the relay may be gone too
            found = {"status": "accepted"}
        if found.get("status") == "mined":
            lines.append(f"the relay at {url} carried out the {kind} (action {action_id}): mined in block "
                         f"{found.get('block')} (tx {found.get('txHash')})")  # fmt: skip
        elif found.get("status") == "failed":
            lines.append(
                f"the relay at {url} accepted the {kind} (action {action_id}), but it failed: {found.get('error')}"
            )
        else:
            tx = f", tx {found['txHash']}" if found.get("txHash") else ""
            lines.append(f"the relay at {url} accepted the {kind} as action {action_id} ({found.get('status')}{tx}): "
                         f"it goes on without you, and may be mined later; {follow}")  # fmt: skip
    if SENT.posting and not SENT.relayed:
        lines.append(f"the action was being sent to the relay at {SENT.posting}: it may have been accepted; "
                     "`starfish todo` or `starfish status` shows whether it took effect")  # fmt: skip
    return lines or ["nothing was sent: nothing happened on chain"]


def load_key(key_file: Path | None) -> Any:
    from starfish_dao import keys

    return keys.load(key_file)


def debug_enabled() -> bool:
    return os.environ.get("STARFISH_DEBUG", "") not in ("", "0")
