"""`starfish remind`: where a relay sends your reminders (work to review, pay to claim, votes).

The member signs a `MemberWebhook` message (`starfish_dao/domain/subscription.py`): no gas, nothing
on-chain; the relay keeps the latest one per member and delivers only that member's reminders there.
"""

from __future__ import annotations

import time
from typing import Annotated

import typer

from starfish_dao.cli.common import CliError, JsonOpt, KeyOpt, RelayOpt, console, emit, load_key

remind_app = typer.Typer(
    help="Your reminders at a webhook of your own (ntfy, Discord, or signed JSON), through a relay.",
    no_args_is_help=True,
)
KindOpt = Annotated[str, typer.Option("--kind", help="ntfy (a topic URL), discord (a webhook URL) or json")]


def register(app: typer.Typer) -> None:
    app.add_typer(remind_app, name="remind")


def _send(relay: list[str] | None, key_file: object, kind: str, url: str) -> tuple[str, dict[str, object]]:
    from starfish_dao.domain.subscription import KINDS, MemberWebhook
    from starfish_dao.relay.client import RelayClient

    if not relay:
        raise CliError("reminders come from a relay: name it with --relay URL (or $STARFISH_RELAY_URL)")
    if kind not in KINDS:
        raise CliError(f"--kind must be one of {', '.join(KINDS)}, not {kind!r}")
    account = load_key(key_file)  # type: ignore[arg-type]
    client = RelayClient(relay)
    info = client.info()
    hook = MemberWebhook(account.address, kind, url, int(time.time()))
    signature = hook.sign(account, int(info["chainId"]), str(info["contracts"]["membership"]))
    return account.address, client.member_webhook(hook, signature)


@remind_app.command("set")
def set_(
    url: Annotated[str, typer.Argument(help="where to send them: an https URL that reaches the internet")],
    kind: KindOpt = "ntfy", key_file: KeyOpt = None, relay: RelayOpt = None, as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Send your reminders to URL (replaces the one you set before)."""
    member, answer = _send(relay, key_file, kind, url)

    def human() -> None:
        console.print(f"your reminders ({member}) now go to {kind} at {answer.get('host', url)}")
        if answer.get("secret"):
            console.print(f"the relay signs each one (X-Starfish-Signature, HMAC-SHA256) with: {answer['secret']}")
            console.print("keep it to check them: it is not shown again")

    emit(answer, as_json, human)


@remind_app.command("remove")
def remove(key_file: KeyOpt = None, relay: RelayOpt = None, as_json: JsonOpt = False) -> None:
    """Stop sending your reminders to your webhook (the relay's feed keeps them)."""
    member, answer = _send(relay, key_file, "ntfy", "")
    emit(answer, as_json, lambda: console.print(f"no webhook for {member} any more"))
