"""What waits for one member, as one list: `starfish todo` prints it, the relay serves it as an Atom
feed (`/v1/members/{address}/feed.atom`) and delivers each item once to webhooks.

Every item has an `id` that names what it is about (`review:3`, `vote:<proposal>`, `pay:ETH:<wei>`):
the same situation keeps its id, so a receiver is told once; a new situation (more pay, the last day
of a vote) is a new item. Times count from the chain's clock (`now`, the latest block's time)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from starfish_dao.domain.model import ETH, RATING_REVEAL_WINDOW, Model
from starfish_dao.domain.units import token_amount
from starfish_dao.domain.unixfs import cid_text

DAY = 86400
#: a vote "closes soon" in its last day: a second reminder for those who have not voted
CLOSING = DAY
#: calls of a proposal that concern one member: its first argument is that member
_CONCERNS = {
    ("membership", keccak(text="suspend(address)")[:4]): "suspend",
    ("splitter", keccak(text="slash(address,uint256)")[:4]): "slash",
}
_OPEN_STATES = ("Pending", "Active", "Succeeded", "Queued")


@dataclass(frozen=True)
class Reminder:
    id: str  # stable for one situation: what receivers are told once
    kind: str  # review, reveal, waiting, finalize, pay, review-pay, vote, vote-closing, concerns
    member: str
    title: str  # one line, in people's units
    text: str  # a sentence or two: what, by when, how to act
    since: int  # chain time the situation began (submitted, voting opened, ...)
    deadline: int | None = None  # chain time it must be done by, when there is one
    link: str = ""  # the page's route, relative to the relay ("#/contribution/3")
    data: dict[str, Any] = field(default_factory=dict)  # raw values (wei, ids) for programs

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def short(address: str) -> str:
    return address[:6] + "…" + address[-4:]


def when(timestamp: int) -> str:
    """`2026-12-09 21:30 UTC`: the same for every receiver, wherever the relay runs."""
    return datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%d %H:%M UTC")


def left(seconds: int) -> str:
    seconds = max(int(seconds), 0)
    days, rest = divmod(seconds, DAY)
    hours, rest = divmod(rest, 3600)
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {rest // 60} min" if hours else f"{rest // 60} min"


def _units(token: str) -> tuple[str, int | None]:
    """ETH, or a token by its short address with its decimals unknown (said in base units)."""
    return ("ETH", 18) if token == ETH else (short(token), None)


def pay_arrival(
    token: str,
    base_units: int,
    units: Callable[[str], tuple[str, int | None]] = _units,
    relay: str | None = None,
    keepers: Mapping[str, Any] | None = None,
) -> str:
    """When a member's pay of `base_units` of `token` arrives, and how to have it now. Pay is never
    sent by itself: it waits in the splitter until someone claims it, unless a relay's claim keeper
    does (`keepers`, as the relay states it in /v1/info: `claimAboveWei`, the base units above which it
    claims for members, compared in each token's own base units; `everySeconds`, how often it looks).
    `relay` is the relay asked (None: none was); without a stated keeper, nothing is promised."""
    command = "starfish claim" + ("" if token == ETH else f" --token {token}")
    through = f"{command} --relay {relay}" if relay else command
    swept = keepers is not None and token in keepers.get("claimTokens", [token])  # a relay sweeps ETH only
    above = keepers.get("claimAboveWei") if keepers and swept else None
    if relay is None or above is None:
        return (f"The relay at {relay} does not say that it claims pay for members: it waits until you claim "
                f"it (`{through}`: the relay pays the gas, no ETH needed)." if relay else
                f"Nothing sends it to you by itself: it waits in the splitter until you claim it (`{command}`, "
                "or through a relay with --relay URL, no ETH needed).")  # fmt: skip
    threshold = int(above)
    limit = token_amount(threshold, *units(token))
    if base_units > threshold:
        seconds = keepers.get("everySeconds") if keepers else None
        soon = "shortly"
        if seconds is not None:
            soon = f"within about {int(seconds)} s" if int(seconds) < 60 else f"within about {left(int(seconds))}"
        return (f"The relay at {relay} claims it for you {soon} (its keeper claims any pay above {limit}); "
                f"`{through}` has it now.")  # fmt: skip
    return (f"The relay at {relay} claims pay for you once more than {limit} waits; to have it now: "
            f"`{through}` (the relay pays the gas).")  # fmt: skip


def _concerns(p: Any, member: str, contracts: Mapping[str, str]) -> list[str]:
    """What the proposal's calls would do to `member`: ["suspend you"], ["slash 20 % of your points"], []."""
    roles = {address.lower(): role for role, address in contracts.items()}
    found = []
    for target, data in zip(p.targets, p.calldatas, strict=False):
        data = bytes(data)
        what = _CONCERNS.get((roles.get(str(target).lower(), ""), data[:4]))
        if what is None or len(data) < 36:
            continue
        if to_checksum_address(data[16:36]) != member:
            continue
        if what == "slash" and len(data) >= 68:
            what = f"slash {int.from_bytes(data[36:68], 'big') / 100:g} % of your points"
        found.append(what if what != "suspend" else "suspend you")
    return found


def reminders(
    model: Model,
    member: str,
    now: int,
    contracts: Mapping[str, str] | None = None,
    units: Callable[[str], tuple[str, int | None]] = _units,
    name: Callable[[str], str] = short,
    date: Callable[[int], str] = when,
    arrival: Callable[[str, int], str] | None = None,
) -> list[Reminder]:
    """Everything that waits for `member` (checksummed) at chain time `now`: work to review (soonest
    deadline first), own work, what to finalize, pay, then proposals. `units` gives a token's symbol
    and decimals (as its contract states them: `chain/tokens.py`; None: unknown), `name` and `date` say
    an address and a time for the reader (the CLI: local key names, local time); `arrival` says
    when a pay of (token, base units) will arrive and how to have it now (`pay_arrival`)."""
    out: list[Reminder] = []
    record = model.members.get(member)
    active = bool(record and record.active)
    for c in sorted(model.contributions.values(), key=lambda c: c.deadline):
        if c.status != "pending":
            continue
        facts: dict[str, Any] = {"contribution": c.id, "author": c.author, "effort": c.effort, "cid": cid_text(c.cid)}
        # a review lands in a later block than the latest (`now`): the window must still be open then
        opens_until = c.deadline + RATING_REVEAL_WINDOW
        weight = model.review_weight(member, c) if c.author != member and active else 0
        # only the panel rates: a member it did not draw is not asked (not drawn yet: the seal draws it)
        seat = weight > 0 and (c.seed == 0 or model.on_panel(c, member, weight))
        if c.deadline > now and seat and all(r != member for r, *_ in c.reviews) and member not in c.sealed:
            panel = "You sit on its panel" if c.seed or weight >= c.divisor else "Its panel is drawn with your rating"
            out.append(Reminder(
                f"review:{c.id}", "review", member,
                f"Review #{c.id}: {c.effort} min of work by {name(c.author)}, {left(c.deadline - now)} left",
                f"Work #{c.id} by {name(c.author)} ({c.effort} min) waits for your review until {date(c.deadline)} "
                f"({left(c.deadline - now)} from now by the chain's clock): `starfish review {c.id} --stars N`, "
                f"or the page. {panel}; your rating is sealed: nobody sees it until the window closes.",
                c.submitted_at, c.deadline, f"#/contribution/{c.id}", facts,
            ))  # fmt: skip
        elif member in c.sealed and c.deadline <= now < opens_until:  # sent now, it lands after the deadline
            out.append(Reminder(
                f"reveal:{c.id}", "reveal", member,
                f"Open your sealed rating of #{c.id}, {left(opens_until - now)} left",
                f"The review window of #{c.id} closed {date(c.deadline)}: open your sealed rating before "
                f"{date(opens_until)} or it counts as no review (`starfish reveal`, or the page in the browser "
                "you rated from: either does it for you when you run it).",
                c.deadline, opens_until, f"#/contribution/{c.id}", facts,
            ))  # fmt: skip
        elif c.author == member:
            closes = (f"its review window closes {date(c.deadline)} (in {left(c.deadline - now)})"
                      if c.deadline > now else f"its review window closed: anyone may finalize it now "
                      f"(`starfish finalize {c.id}`)")  # fmt: skip
            n = c.sealed_count  # sealed: how many, not what they say, until the window closes
            reviews = {0: "no reviews yet", 1: "1 sealed rating so far"}.get(n, f"{n} sealed ratings so far")
            out.append(Reminder(
                f"waiting:{c.id}", "waiting", member, f"Your #{c.id} is under review: {reviews}",
                f"Your work #{c.id} has {reviews}; {closes}. Once it is finalized (anyone may, "
                "the relay does), its points count from the deadline, and your pay grows with every receipt "
                "after that.", c.submitted_at, c.deadline, f"#/contribution/{c.id}", facts,
            ))  # fmt: skip
        elif c.deadline <= now and (len(c.reviews) == c.sealed_count or now >= opens_until):
            out.append(Reminder(
                f"finalize:{c.id}", "finalize", member, f"#{c.id} may be finalized",
                f"The review window of #{c.id} closed {date(c.deadline)}: anyone may finalize it "
                f"(`starfish finalize {c.id}`).", c.deadline, None, f"#/contribution/{c.id}", facts,
            ))  # fmt: skip
    for token in model.all_tokens():
        wei = model.claimable(member, token)
        if wei:
            shown = token_amount(wei, *units(token))
            command = "starfish claim" if token == ETH else f"starfish claim --token {token}"
            text = f"You may claim {shown}: `{command}`, or the page (through the relay: no ETH needed)."
            if arrival is not None:
                text = f"You may claim {shown}. {arrival(token, wei)}"
            out.append(Reminder(
                f"pay:{token}:{wei}", "pay", member, f"{shown} to claim", text,
                now, None, f"#/member/{member}", {"token": token, "wei": str(wei)},
            ))  # fmt: skip
    for _, epoch, token, wei in model.review_pay_due(now, member):
        shown = token_amount(wei, *units(token))
        text = (f"Your review pay of epoch {epoch}: {shown}, for how closely your ratings agreed with the "
                f"medians. `starfish review-pay` claims it (anyone may: it always pays you).")  # fmt: skip
        out.append(Reminder(
            f"review-pay:{epoch}:{token}", "review-pay", member, f"{shown} of review pay to claim", text,
            now, None, f"#/member/{member}", {"epoch": epoch, "token": token, "wei": str(wei)},
        ))  # fmt: skip
    for pid, p in model.proposals.items():
        state = model.proposal_state(pid, now)
        title = p.description.split("\n")[0]
        short_id = f"{pid:064x}"[:8]
        facts = {"proposal": str(pid), "short": short_id, "state": state}
        concerns = _concerns(p, member, contracts or {})
        if concerns and state in _OPEN_STATES:
            out.append(Reminder(
                f"concerns:{pid}", "concerns", member, f"A proposal would {' and '.join(concerns)}: {title}",
                f"Proposal {short_id} ({title}) would {' and '.join(concerns)}; it is {state.lower()}, voting "
                f"closes {date(p.vote_end)}. `starfish proposals` shows it; you may vote and say why.",
                p.vote_start, p.vote_end, "#/governance", {**facts, "concerns": concerns},
            ))  # fmt: skip
        if state != "Active" or member in p.voters or model.votes_at(member, p.vote_start) <= 0:
            continue
        closing = p.vote_end - now < CLOSING
        kind = "vote-closing" if closing else "vote"
        out.append(Reminder(
            f"{kind}:{pid}", kind, member,
            f"{'Last day to vote' if closing else 'Vote open'}: {title} ({left(p.vote_end - now)} left)",
            f"Proposal {short_id} ({title}) is open to your vote until {date(p.vote_end)}: "
            f"`starfish vote {short_id} for|against|abstain`, or the page.",
            max(p.vote_start, p.vote_end - CLOSING) if closing else p.vote_start, p.vote_end, "#/governance", facts,
        ))  # fmt: skip
    return out
