"""The `starfish` command: the app, its global options, and one line per mistake."""

from __future__ import annotations

import os
import signal
import sys
import traceback
from typing import Annotated

import typer

from starfish_dao import __version__
from starfish_dao.cli.common import CliError, err
from starfish_dao.cli.errors import humanize
from starfish_dao.domain.errors import ContractRevert, StarfishError

app = typer.Typer(
    help="Starfish DAO: a headless company, paid by peer-reviewed contribution.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        print(f"starfish {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version and exit")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="show the full traceback of an error")] = False,
) -> None:
    """Starfish DAO: a headless company, paid by peer-reviewed contribution.

    Start with `starfish demo`; a new community with `starfish init`. Every command has -h."""
    if debug:
        os.environ["STARFISH_DEBUG"] = "1"


def _register() -> None:
    from starfish_dao.cli import (
        accounts,
        governance,
        host,
        ipfs,
        members,
        money,
        node,
        remind,
        serve,
        setup,
        track,
        verify,
        work,
    )

    for module in (setup, node, accounts, members, work, money, governance, host, verify, track, serve, remind, ipfs):
        module.register(app)


_register()


def _explain(exc: BaseException) -> str:
    """One line for a failure a user can meet; the traceback stays behind --debug."""
    if isinstance(exc, ContractRevert):
        return humanize(exc)
    if isinstance(exc, CliError):
        return f"{exc}" + (f"\n  hint: {exc.hint}" if exc.hint else "")
    if isinstance(exc, StarfishError):
        return str(exc)
    import requests

    from starfish_dao.chain.redact import redact_url, redact_urls

    # below, the text is a library's, which quotes URLs whole: a node URL's key (`?apikey=`) stays unsaid
    if isinstance(exc, requests.ConnectionError):
        where = redact_url(exc.request.url) if exc.request and exc.request.url else redact_urls(str(exc))
        return f"cannot connect: {where}: is the node or relay running?"
    if isinstance(exc, OSError):
        return redact_urls(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))
    return redact_urls(f"unexpected {type(exc).__name__}: {exc} (run with --debug for the traceback)")


def _interrupted(exc: BaseException | None) -> bool:
    """Typer turns Ctrl-C into a silent exit 130: is a KeyboardInterrupt behind this exit?"""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, KeyboardInterrupt):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _report_interrupt() -> None:
    """Ctrl-C: say whether the action happened (sent? mined? its tx), and how to check it later."""
    from starfish_dao.cli.common import SENT, interrupted_report

    signal.signal(signal.SIGINT, signal.SIG_DFL)  # a second Ctrl-C ends at once
    if not SENT.connected and not SENT.posting:
        err.print("interrupted")
        return
    err.print("interrupted:", highlight=False)
    for line in interrupted_report():
        err.print(f"  {line}", highlight=False, markup=False, soft_wrap=True)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        _report_interrupt()
        sys.exit(130)
    except SystemExit as exc:
        if _interrupted(exc):
            _report_interrupt()
            sys.exit(130)
        raise
    except Exception as exc:  # noqa: BLE001 - every failure gets one line; --debug shows the rest
        if os.environ.get("STARFISH_DEBUG", "") not in ("", "0"):
            from starfish_dao.chain.redact import redact_urls

            sys.stderr.write(redact_urls(traceback.format_exc()))
        err.print(f"[bold red]error:[/] {_explain(exc)}", highlight=False)
        sys.exit(1)
