"""Work and reviews: contribute, review, finalize, show, todo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from starfish_dao import config
from starfish_dao.cli import relayed
from starfish_dao.cli.common import (
    DeplOpt,
    IpfsOpt,
    JsonOpt,
    KeyOpt,
    RelayOpt,
    RpcOpt,
    client,
    console,
    duration,
    emit,
    err,
    fail,
    key_names,
    load_key,
    who,
)  # fmt: skip
from starfish_dao.domain.units import amount, points

BIG_FILE = 16 << 20  # show progress when hashing more than this


def register(app: typer.Typer) -> None:
    app.command()(contribute)
    app.command()(review)
    app.command()(reveal)
    app.command()(finalize)
    app.command()(show)
    app.command()(todo)
    app.command("review-pay")(review_pay)


def _hash_with_progress(file: Path) -> tuple[Any, bytes]:
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    from starfish_dao.ipfs import build_artifact

    size = file.stat().st_size
    if size < BIG_FILE:
        return build_artifact(file)
    with Progress("hashing", BarColumn(), DownloadColumn(), TransferSpeedColumn(), console=err, transient=True) as p:
        task = p.add_task("hash", total=size)
        return build_artifact(file, progress=lambda n: p.advance(task, n))


def contribute(
    file: Path,
    effort: Annotated[int, typer.Option(min=1, help="minutes of work claimed (at most the charter's maxEffort)")],
    rpc: RpcOpt = None,
    key_file: KeyOpt = None,
    deployments: DeplOpt = None,
    ipfs_api: IpfsOpt = None,
    relay: RelayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register FILE as your contribution, so that nobody can take it first: commit to its content,
    then pin it, then reveal its CID (kubo's CID, computed locally and checked against the node)."""
    from starfish_dao.domain.commitment import commitment, new_salt
    from starfish_dao.domain.units import local_time
    from starfish_dao.domain.unixfs import CID
    from starfish_dao.ipfs import open_store

    if file.is_dir():
        fail(f"{file} is a directory: give one file (pack a folder with tar or zip first)")
    if not file.is_file():
        fail(f"no such file: {file}")
    account = load_key(key_file)
    cid, digest = _hash_with_progress(file)  # nothing is published yet
    salt = new_salt()
    committed = commitment(account.address, digest, salt)
    if relay:
        from starfish_dao.relay.client import RelayClient, RelayError

        # asked first, so that nothing is committed (paid by the relay) or pinned for a submission the
        # contracts would refuse: the effort against the charter, the member's epoch, the content
        try:
            RelayClient(relay[0]).check("Contribute", account.address, effort=effort, contentHash="0x" + digest.hex())
        except RelayError as exc:
            if exc.status not in (400, 404, 405):  # a relay too old to check: the Submit is still checked
                fail(f"the relay refused the contribution: {relayed.explain(exc)}")
        # signed: a relay pays for the Commits of active members only, charged to the member. Someone
        # who copied the commitment from the mempool posted it first: it is ours all the same (only
        # its author can reveal it), so carry on
        state = relayed.send(relay, account, "Commit", tolerate="RegistryAlreadyCommitted",
                             commitment="0x" + committed.hex())  # fmt: skip
        if state["status"] == "already":
            console.print("the commitment was already on chain (posted by someone else); now pinning and revealing")
        else:
            console.print(f"committed (block {state['block']}); now pinning and revealing")
        uploaded = RelayClient(relay[0]).upload(file)
        if CID.parse(uploaded["cid"]) != cid:
            fail(f"the relay pinned {uploaded['cid']}, not the CID of {file} ({cid})")
        state = relayed.send(relay, account, "Submit", cid=uploaded["cidHex"], contentHash="0x" + digest.hex(),
                             salt="0x" + salt.hex(), effort=effort)  # fmt: skip
        number = state.get("result", {}).get("contribution") if isinstance(state.get("result"), dict) else None
        data = {"contribution": number, "cid": str(cid), "contentHash": "0x" + digest.hex(), "tx": state["txHash"]}
        emit(
            data,
            as_json,
            lambda: console.print(
                f"contribution {'#' + str(number) + ' ' if number else ''}submitted: {file.name}, {effort} min, "
                f"pinned as {cid}"
            ),
        )
        return
    sf = client(rpc, deployments)
    _precheck_submission(sf, account.address, digest, effort)
    sf.commit_once(account, committed)
    store = open_store(ipfs_api)
    pinned = None
    try:
        pinned = store.add_file(file)  # only now may anyone learn the content
        contribution_id = sf.reveal(account, cid.bytes, digest, effort, salt)
    except BaseException:  # a failure or Ctrl-C: undo the pin, leave no stray blocks
        if pinned is not None or hasattr(store, "drop"):
            _undo(store, cid)
        raise
    c = sf.contribution(contribution_id)
    data = {"contribution": contribution_id, "cid": str(pinned), "contentHash": "0x" + digest.hex(),
            "reviewDeadline": c["reviewDeadline"]}  # fmt: skip
    emit(
        data,
        as_json,
        lambda: console.print(
            f"contribution #{contribution_id} submitted: {file.name}, {effort} min, pinned as {pinned}; open to "
            f"review for {duration(c['reviewDeadline'] - sf.now())}, until {local_time(c['reviewDeadline'])}"
        ),
    )


def _undo(store: Any, cid: Any) -> None:
    try:
        if hasattr(store, "drop"):
            store.drop(cid)
        else:
            store.unpin(cid)
    except Exception:  # noqa: BLE001 - best effort while already failing
        pass


def _precheck_submission(sf: Any, author: str, digest: bytes, effort: int) -> None:
    """What the chain would refuse, said before anything is sent or pinned."""
    if not sf.is_active(author):
        fail(f"{author} is not an active member", "run `starfish join` first")
    params = sf.charter.functions.params().call()
    max_effort, per_epoch = int(params[5]), int(params[6])
    if effort > max_effort:
        fail(f"--effort {effort} is above the charter's maxEffort of {max_effort} minutes",
             "split the work into several contributions")  # fmt: skip
    epoch = int(sf.charter.functions.currentEpoch().call())
    spent = int(sf.registry.functions.epochEffort(author, epoch).call())
    if spent + effort > per_epoch:
        fail(f"you submitted {spent} min this epoch; {effort} more passes the cap of {per_epoch} (maxEffortPerEpoch)")
    holder = int(sf.registry.functions.contributionOf(digest).call())
    if holder:
        status = sf.contribution(holder)["status"]
        if status in ("pending", "accepted"):
            fail(f"this content is already contribution #{holder} ({status}); the same bytes earn once")


def review(
    contribution: int,
    stars: Annotated[int, typer.Option(min=0, max=5, help="0-5; 3 = worth the claimed effort")],
    comment: Annotated[str | None, typer.Option(metavar="TEXT", help="a comment, pinned to IPFS")] = None,
    rpc: RpcOpt = None,
    key_file: KeyOpt = None,
    deployments: DeplOpt = None,
    relay: RelayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Rate a contribution, sealed: nobody sees the rating until the review window closes, then
    `starfish reveal` (or `todo`, or the page) opens it. It weighs your standing when the work was
    submitted (or as its epoch began, if less)."""
    from starfish_dao.chain.openings import Opening, openings_for, salt_for, sealed
    from starfish_dao.domain.unixfs import cid_of

    account = load_key(key_file)
    if relay:
        from starfish_dao.relay.client import RelayClient

        # the comment's CID only: the comment is uploaded when the rating opens (it could say the stars)
        text = comment.encode() if comment else b""
        comment_bytes = cid_of(text).bytes if comment else b""
        relay_client = RelayClient(relay[0])
        info = relay_client.info()
        registry = str(info["contracts"]["registry"])
        store = openings_for(int(info["chainId"]), registry)
        if stars:
            _refuse_over_budget_relayed(relay_client, store, account.address, contribution, stars)
        opening = Opening(contribution, account.address, stars, comment_bytes,
                          salt_for(bytes(account.key), registry, contribution), text)  # fmt: skip
        store.hold(opening)  # kept before anything is sent
        seal = sealed(account.address, contribution, stars, comment_bytes, opening.salt)
        state = relayed.send(relay, account, "SealedReview", quiet=as_json, contribution=contribution,
                             sealed="0x" + seal.hex())  # fmt: skip
        emit({"contribution": contribution, "stars": stars, "sealed": "0x" + seal.hex(), "tx": state.get("txHash")},
             as_json, lambda: _say_sealed(contribution, stars, None))  # fmt: skip
        return
    sf = client(rpc, deployments)
    _reveal_due(sf, account, as_json)
    c = sf.contribution(contribution)
    if c["author"] == "0x" + "00" * 20:
        fail(f"there is no contribution #{contribution}", "`starfish todo` lists what is open to you")
    weight = 0
    if c["status"] == "pending":
        weight = sf.review_weight(account.address, c)
        # the charter's minimum is checked when the rating opens: said now, before anything is sealed
        needed = min(int(sf.charter.functions.reviewRules().call()[1]), int(c["quorumWeight"]))
        if c["author"] != account.address and (weight == 0 or weight < needed):
            from starfish_dao.cli.errors import plain

            args = {"reviewer": account.address, "standing": weight, "required": max(needed, 1)}
            fail(f"{plain('RegistryInsufficientStanding', args)} (RegistryInsufficientStanding)")
        if stars and c["author"] != account.address:
            # the budget is spent when ratings open: a rating it could not open is refused now, not then
            _refuse_over_budget(*sf.review_budget(account.address, contribution, stars))
        if not as_json:
            share = weight / c["quorumWeight"] if c["quorumWeight"] else 0
            console.print(f"your weight on #{contribution}: {points(weight)} of standing "
                          f"({share:.0%} of the {amount(c['quorumWeight'])} it needs)")  # fmt: skip
        _warn_content(sf, contribution, as_json)
    # the comment's CID, not the comment: it is pinned when the rating opens (it could say the stars)
    comment_cid = cid_of(comment.encode()).bytes if comment else b""
    sf.review(account, contribution, stars, comment_cid, comment.encode() if comment else b"")
    emit({"contribution": contribution, "stars": stars, "weight": weight}, as_json,
         lambda: _say_sealed(contribution, stars, int(c["reviewDeadline"])))  # fmt: skip


def _refuse_over_budget(epoch: int, spent: int, budget: int) -> None:
    """Fails, before anything is sealed, a rating its approval budget could not open."""
    if spent > budget:
        fail(f"this rating would take your review budget of epoch {epoch} to {spent:,} star-minutes of "
             f"{budget:,} when it opens (effort times stars, over every rating of yours this machine holds "
             "sealed that opens in that epoch; the budget is reviewBudgetBps of your standing): it could "
             "not be opened, would count as no review, and would forfeit your review pay of that epoch",
             "rate fewer stars (0 spends nothing), or leave this one to others")  # fmt: skip


def _refuse_over_budget_relayed(relay_client: Any, store: Any, reviewer: str, contribution: int, stars: int) -> None:
    """`_refuse_over_budget` through a relay: it says the public half (the desk, the weight's
    budget, each work's effort and opening epoch); the stars held sealed here are added here."""
    import time

    from starfish_dao.domain.review_budget import held_elsewhere, spend_when_opened
    from starfish_dao.relay.client import RelayError

    for attempt in range(4):
        try:
            this = relay_client.review_budget(reviewer, contribution)
            break
        except RelayError as exc:  # work submitted a moment ago: the relay reads the chain's new blocks
            if exc.status != 404 or attempt == 3:
                return  # unknown to the relay: its own refusal of the rating says why
            time.sleep(0.5)
    if int(this["weight"]) == 0:
        return  # no standing on this work: the relay's refusal says so
    held = []
    for o in held_elsewhere(store.of(), reviewer, contribution):
        other = relay_client.review_budget(reviewer, o.contribution)
        if other["sealed"] and other["opensInEpoch"] == this["opensInEpoch"]:
            held.append((int(other["effort"]), o.stars))
    spent = spend_when_opened(int(this["deskSpent"]), held, int(this["effort"]), stars)
    _refuse_over_budget(int(this["opensInEpoch"]), spent, int(this["budget"]))


def _say_sealed(contribution: int, stars: int, deadline: int | None) -> None:
    from starfish_dao.domain.units import local_time

    when = f" at {local_time(deadline)}" if deadline else ""
    console.print(f"sealed your rating of #{contribution}: {stars} stars. Nobody sees it until the review "
                  f"window closes{when}; then `starfish reveal` (or `starfish todo`) opens it, within 3 days, "
                  "from this machine: the opening is kept here.")  # fmt: skip


def _reveal_due(sf: Any, account: Any, as_json: bool) -> list[dict[str, Any]]:
    """Opens every sealed rating this machine holds whose window has closed; says what it did."""
    from starfish_dao.cli.errors import humanize

    opened = [o for o in sf.openings.of()]

    def pin(text: bytes) -> None:
        from starfish_dao.ipfs import open_store

        open_store().add_bytes(text)

    count = sf.reveal_due(account, pin=pin)
    still = {(o.contribution, o.reviewer) for o in sf.openings.of()}
    refused = {(o.contribution, o.reviewer): exc for o, exc in sf.refused_reveals}
    out = []
    for o in opened:
        key = (o.contribution, o.reviewer)
        if key in still:
            continue
        if key in refused:
            out.append({"contribution": o.contribution, "stars": o.stars, "opened": False,
                        "error": refused[key].name})  # fmt: skip
            if not as_json:
                err.print(f"your sealed rating of #{o.contribution} could not be opened: {humanize(refused[key])}")
        else:
            out.append({"contribution": o.contribution, "stars": o.stars, "opened": True})
    if count and not as_json:
        shown = ", ".join(f"#{r['contribution']} ({r['stars']} stars)" for r in out if r["opened"])
        err.print(f"opened your sealed ratings: {shown}")
    return out


def _reveal_relayed(relay: list[str], reviewer: str | None = None, contribution: int | None = None
                    ) -> list[dict[str, Any]]:  # fmt: skip
    """Opens the sealed ratings held on this machine (of `reviewer`, of `contribution`, or all)
    through the relay: their comments uploaded, then unsigned Reveals. Too early: kept for later."""
    from starfish_dao.chain.openings import openings_for
    from starfish_dao.relay.client import RelayClient, RelayError

    relay_client = RelayClient(relay)
    info = relay_client.info()
    chain_time = int(info["chainTime"])  # the latest block's: a Reveal sent now lands after it
    store = openings_for(int(info["chainId"]), str(info["contracts"]["registry"]))
    results: list[dict[str, Any]] = []
    for o in store.of(contribution):
        if reviewer is not None and o.reviewer != reviewer:
            continue
        try:
            deadline = int(relay_client.contribution(o.contribution)["reviewDeadline"])
        except RelayError:
            continue  # the relay does not know the work (yet): kept for later
        if chain_time <= deadline:  # the window may still be open: nothing leaves this machine
            results.append({"contribution": o.contribution, "opened": False, "error": "RegistryReviewWindowOpen"})
            continue
        body = {"action": "Reveal", "contribution": o.contribution, "reviewer": o.reviewer, "stars": o.stars,
                "commentCid": "0x" + o.comment.hex(), "salt": "0x" + o.salt.hex()}  # fmt: skip
        try:
            state = relay_client.submit(body)
            if o.text:  # the comment is published once its rating is open, not before
                tmp = config.subdir("tmp") / "comment.txt"
                tmp.write_bytes(o.text)
                relay_client.upload(tmp)
        except RelayError as exc:
            error = str(exc.body.get("contractError") or exc.code)
            if error != "RegistryReviewWindowOpen":  # too early: kept for later; anything else is final
                store.drop(o.contribution, o.reviewer)
            results.append({"contribution": o.contribution, "opened": False, "error": error,
                            "said": relayed.explain(exc)})  # fmt: skip
            continue
        opened = state.get("status") == "mined"
        if opened:
            store.drop(o.contribution, o.reviewer)
        results.append({"contribution": o.contribution, "stars": o.stars, "opened": opened,
                        "tx": state.get("txHash")})  # fmt: skip
    return results


def reveal(
    rpc: RpcOpt = None, key_file: KeyOpt = None, deployments: DeplOpt = None, relay: RelayOpt = None,
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Open your sealed ratings whose review window has closed (anyone may send an opening; only
    this machine holds yours). Unopened within 3 days of the window, a rating counts as no review."""
    account = load_key(key_file)
    if relay:
        results = _reveal_relayed(relay, account.address)

        def said(r: dict[str, Any]) -> str:
            if r["opened"]:
                return f"#{r['contribution']}: opened ({r['stars']} stars)"
            if r.get("error") == "RegistryReviewWindowOpen":
                return f"#{r['contribution']}: still sealed (its review window is open)"
            return f"#{r['contribution']}: not opened: {r.get('said') or r.get('error')}"

        emit(
            {"revealed": results},
            as_json,
            lambda: console.print(
                "\n".join(said(r) for r in results) or "no sealed rating of yours is held here", highlight=False
            ),
        )
        return
    sf = client(rpc, deployments)
    out = _reveal_due(sf, account, True)
    left = sorted({o.contribution for o in sf.openings.of() if o.reviewer == account.address})

    def human() -> None:
        for r in out:
            console.print(f"#{r['contribution']}: " + (f"opened ({r['stars']} stars)" if r["opened"] else
                          f"refused: {r['error']}"), highlight=False)  # fmt: skip
        if left:
            console.print("still sealed (their windows are open): " + ", ".join(f"#{c}" for c in left))
        if not out and not left:
            console.print("no sealed rating of yours is held here")

    emit({"revealed": out, "waiting": left}, as_json, human)


def finalize(
    contribution: int, rpc: RpcOpt = None, key_file: KeyOpt = None, deployments: DeplOpt = None,
    relay: RelayOpt = None, as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Judge a contribution whose review window closed (anyone may)."""
    if relay:
        for r in _reveal_relayed(relay, None, contribution):  # the ratings of it held here open first
            if not as_json:
                err.print(
                    f"opened a sealed rating of #{contribution}: {r['stars']} stars"
                    if r["opened"]
                    else f"a sealed rating of #{contribution} did not open: {r.get('said') or r.get('error')}"
                )
        state = relayed.send(relay, None, "Finalize", quiet=as_json, contribution=contribution)
        found = relayed.mined_event(state, "registry", "Finalized", rpc, deployments, id=contribution)
        if found is None:  # this machine does not reach the chain: the relay's view of it, once it read the block
            seen = relayed.relay_view(state["relay"], state.get("block"), lambda r: r.contribution(contribution))
            if seen and seen.get("status") in ("accepted", "rejected"):
                found = {"accepted": seen["status"] == "accepted", "reviewers": len(seen.get("reviews") or []),
                         "weight": int(seen["weight"]), "median": int(seen.get("median") or 0),
                         "points": int(seen["points"])}  # fmt: skip
        if found is None:
            emit({"contribution": contribution, "tx": state.get("txHash")}, as_json, lambda: console.print(
                f"#{contribution} is finalized: `starfish show {contribution}` shows the outcome"))  # fmt: skip
            return
        _say_finalized(contribution, found, as_json, state.get("txHash"))
        return
    account = load_key(key_file)
    sf = client(rpc, deployments)
    _reveal_due(sf, account, as_json)  # the ratings held here open first, their comments pinned
    _say_finalized(contribution, sf.finalize(account, contribution), as_json)


def _say_finalized(contribution: int, out: dict[str, Any], as_json: bool, tx: str | None = None) -> None:
    """What a finalize did (the Finalized event's arguments), as the direct and relayed forms say it."""

    def human() -> None:
        if out["accepted"]:
            console.print(f"#{contribution} accepted: weighted median {out['median']}, {points(out['points'])}")
        else:
            console.print(f"#{contribution} rejected: {out['reviewers']} reviewers with {points(out['weight'])} of "
                          "standing, below the minimum reviewers or the quorum")  # fmt: skip

    data = {k: out[k] for k in ("accepted", "reviewers", "weight", "median", "points")}
    emit({**data, "tx": tx} if tx else data, as_json, human)


def show(
    contribution: int, rpc: RpcOpt = None, deployments: DeplOpt = None, ipfs_api: IpfsOpt = None,
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """One contribution: its artifact (CID), author, effort, time left, weighted tally, reviews and comments."""
    from starfish_dao.domain.unixfs import CID
    from starfish_dao.ipfs import open_store
    from starfish_dao.ipfs.content import check_content
    from starfish_dao.verify.state import replay

    sf = client(rpc, deployments)
    model = replay(sf)
    c = model.contributions.get(contribution)
    if c is None:
        fail(f"there is no contribution #{contribution}", f"there are {len(model.contributions)}")
    now = sf.now()
    store = open_store(ipfs_api)
    comments: list[dict[str, Any]] = []
    for reviewer, stars, weight, raw in c.reviews:
        text = ""
        if raw:
            try:
                text = store.cat(CID.from_bytes(raw)).decode("utf-8", "replace")
            except Exception as exc:  # noqa: BLE001 - a comment that cannot be fetched is said so
                text = f"(comment {CID.from_bytes(raw) if raw else ''} not retrievable: {type(exc).__name__})"
        comments.append({"reviewer": reviewer, "stars": stars, "weight": weight, "comment": text})
    try:
        artifact = str(CID.from_bytes(c.cid))
    except ValueError:
        artifact = "0x" + c.cid.hex()
    data: dict[str, Any] = {
        "id": c.id, "author": c.author, "cid": artifact, "contentHash": "0x" + c.content_hash.hex(),
        "effort": c.effort, "status": c.status, "reviewDeadline": c.deadline, "secondsLeft": max(c.deadline - now, 0),
        "weights": c.weights, "weight": c.weight, "quorumWeight": c.quorum_weight, "minReviewers": c.min_reviewers,
        "median": c.median if c.status == "accepted" else None, "points": c.points, "reviews": comments,
        "sealedBy": list(c.sealed), "sealedReviews": c.sealed_count,
    }  # fmt: skip
    content = check_content(store, c.cid, c.content_hash)
    data["content"] = content.as_json()
    names = key_names()
    data["names"] = {a: names[a] for a in [c.author, *(r["reviewer"] for r in comments), *c.sealed] if a in names}

    def human() -> None:
        left = c.deadline - now
        when = f"open for {duration(left)}" if left >= 0 else f"closed {duration(-left)} ago"
        state = f"{c.status} ({when})" if c.status == "pending" else c.status
        titled = f" “{content.title}”" if content.title else ""  # its first line, or its kind and size
        console.print(f"#{c.id}{titled} by {who(c.author, names)}: {c.effort} min, {state}", highlight=False)
        console.print(f"artifact {artifact} (sha256 {c.content_hash.hex()}); `starfish ipfs cat {artifact}`")
        console.print(("" if content.verdict != "mismatch" else "[bold red]WARNING[/]: ") + content.message)
        console.print(f"{c.sealed_count} sealed, {len(c.reviews)} opened; reviews {len(c.reviews)} of "
                      f"{c.min_reviewers} needed; standing "
                      f"{amount(c.weight)} of {amount(c.quorum_weight)} needed")  # fmt: skip
        console.print("weighted tally (points of standing per rating): "
                      + ", ".join(f"{s}*: {amount(w)}" for s, w in enumerate(c.weights)))  # fmt: skip
        if c.status == "accepted":
            console.print(f"accepted at a weighted median of {c.median}: {points(c.points)}")
        for r in comments:
            console.print(f"  {r['stars']}* from {who(r['reviewer'], names)} (weight {amount(r['weight'])})"
                          + (f": {r['comment']}" if r["comment"] else ""))  # fmt: skip
        for reviewer in c.sealed:  # who sealed a rating is public; what it says is not, until it opens
            console.print(f"  a sealed rating from {who(reviewer, names)} (opens after the window)", highlight=False)

    emit(data, as_json, human)


def _content_checks(contributions: list[Any]) -> dict[int, Any]:
    """The content check of each contribution offered for review (unchecked when no IPFS is reachable)."""
    from starfish_dao.ipfs import open_store
    from starfish_dao.ipfs.content import check_content

    try:
        store = open_store()
    except Exception:  # noqa: BLE001 - no store: every check says "not checked", never "match"
        store = None
    return {c.id: check_content(store, c.cid, c.content_hash) for c in contributions}


def _warn_content(sf: Any, contribution: int, as_json: bool) -> None:
    """Before a rating: says plainly (on stderr) when the bytes are not the work the author claimed."""
    from starfish_dao.cli.common import err
    from starfish_dao.ipfs import open_store
    from starfish_dao.ipfs.content import check_content

    submitted = sf.registry.events.Submitted().get_logs(argument_filters={"id": contribution}, from_block=0)
    if not submitted:
        return
    args = submitted[0]["args"]
    try:
        store = open_store()
    except Exception:  # noqa: BLE001
        store = None
    check = check_content(store, bytes(args["cid"]), bytes(args["contentHash"]))
    if check.verdict == "mismatch" or not as_json:
        err.print(("[bold red]WARNING[/]: " if check.verdict == "mismatch" else "") + check.message)


def todo(
    key_file: KeyOpt = None, rpc: RpcOpt = None, deployments: DeplOpt = None, as_json: JsonOpt = False,
    member: Annotated[str | None, typer.Option(metavar="ADDRESS", help="whose list (default: your key's)")] = None,
    relay: Annotated[
        str | None,
        typer.Option("--relay", envvar="STARFISH_RELAY_URL", metavar="URL",
                     help="the community's relay: whether its keeper claims your pay for you, and when"),
    ] = None,
) -> None:  # fmt: skip
    """What is waiting for you: work to review, yours under review, what to finalize, your pay (and
    when it arrives), your votes.

    The same list as the relay's Atom feed and webhooks (`starfish_dao.domain.reminders`)."""
    from starfish_dao.cli.common import address, token_units
    from starfish_dao.domain.reminders import pay_arrival, reminders
    from starfish_dao.domain.units import local_time
    from starfish_dao.verify.state import replay

    me = address(member, "--member") if member else load_key(key_file).address
    sf = client(rpc, deployments)
    if not member:  # your own list: your sealed ratings whose window closed are opened first
        _reveal_due(sf, load_key(key_file), as_json)
    model = replay(sf)
    now = sf.now()
    record = model.members.get(me)
    active = bool(record and record.active)
    names = key_names()
    keepers, unreachable = _relay_keepers(relay)

    def units(token: str) -> tuple[str, int | None]:
        return token_units(sf.w3, token)

    def arrival(token: str, wei: int) -> str:
        said = pay_arrival(token, wei, units, None if unreachable else relay, keepers)
        return f"The relay at {relay} did not answer ({unreachable}). {said}" if unreachable else said

    items = reminders(model, me, now, sf.deployment.addresses, units, lambda a: who(a, names), local_time,
                      arrival)  # fmt: skip
    to_review = [model.contributions[i.data["contribution"]] for i in items if i.kind == "review"]
    pay = {t: model.claimable(me, t) for t in model.all_tokens()}
    data: dict[str, Any] = {
        "member": me, "review": [c.id for c in to_review],
        "waiting": [i.data["contribution"] for i in items if i.kind == "waiting"],
        "finalize": [i.data["contribution"] for i in items if i.kind == "finalize"], "claimable": pay,
        "items": [i.as_json() for i in items],
    }  # fmt: skip
    data["names"] = {a: names[a] for a in [me, *(c.author for c in to_review)] if a in names}
    checks = _content_checks(to_review)
    data["content"] = {str(i): check.as_json() for i, check in checks.items()}

    def human() -> None:
        console.print(f"for {who(me, names)}{'' if active else ' (not an active member)'}:")
        for item, title in _entries(items):
            check = checks.get(int(item.data.get("contribution", 0))) if item.kind == "review" else None
            named = f"{title} “{check.title}”" if check is not None and check.title else title  # read from its bytes
            console.print(f"  {named}", highlight=False, markup=False)
            console.print(f"    {item.text}", highlight=False, markup=False, style="dim")
            number = int(item.data.get("contribution", 0))
            if item.kind == "review" and checks[number].verdict == "mismatch":
                console.print(f"    [bold red]WARNING[/]: {checks[number].message}")
        if not items:
            console.print("  nothing to do")

    emit(data, as_json, human)


def review_pay(
    key_file: KeyOpt = None, rpc: RpcOpt = None, deployments: DeplOpt = None, relay: RelayOpt = None,
    as_json: JsonOpt = False,
    member: Annotated[str | None, typer.Option(metavar="ADDRESS", help="whose (default: your key's)")] = None,
    send: Annotated[bool, typer.Option(help="score your ratings that can be scored, claim closed epochs")] = True,
) -> None:  # fmt: skip
    """Your review pay: for each epoch you revealed ratings in, how they scored against the medians
    and what you are paid. Scores your ratings whose median is final and claims the pay of every
    closed epoch (anyone may send either; the relay's keeper scores them too).

    A review scores W[b]·|b − m| − W[s]·|s − m| − 125 (s your rating, m the work's median, b your
    previous rating of the epoch; your first of an epoch scores 0); an epoch closes a week after it
    ends, and its pot is paid pro rata to the positive totals (docs/economics.md, section 6)."""
    from starfish_dao.cli.common import address, token_units
    from starfish_dao.cli.errors import humanize
    from starfish_dao.domain.errors import ContractRevert
    from starfish_dao.domain.units import token_amount
    from starfish_dao.verify.state import replay

    me = address(member, "--member") if member else load_key(key_file).address
    sf = client(rpc, deployments)
    sent: list[dict[str, Any]] = []
    if send:
        account = None if relay else load_key(key_file)
        model, now = replay(sf), sf.now()
        todo_: list[tuple[str, dict[str, Any]]] = [
            ("ScoreReview", {"contribution": cid, "reviewer": me}) for cid, _ in model.scorable(now, me)
        ]
        todo_ += [
            ("ClaimReviewPay", {"reviewer": me, "epoch": e, "token": t}) for _, e, t, _ in model.review_pay_due(now, me)
        ]
        for action, fields in todo_:
            try:
                if relay:
                    state = relayed.send(relay, None, action, quiet=as_json, **fields)
                    sent.append({"action": action, **fields, "tx": state.get("txHash")})
                elif action == "ScoreReview":
                    score = sf.score_review(account, fields["contribution"], me)
                    sent.append({"action": action, **fields, "score": score})
                else:
                    paid = sf.claim_review_pay(account, me, fields["epoch"], fields["token"])
                    sent.append({"action": action, **fields, "amount": paid})
            except ContractRevert as exc:  # scored or claimed by someone else meanwhile, say
                sent.append({"action": action, **fields, "error": exc.name})
                if not as_json:
                    err.print(f"{action} {fields}: {humanize(exc)}")
    model, now = replay(sf), sf.now()
    epochs = sorted(e for who, e in model.desks if who == me)
    rows: list[dict[str, Any]] = []
    for epoch in epochs:
        d = model.desks[(me, epoch)]
        owed = {t: model.review_pay_owed(me, epoch, t) for t in model.all_tokens()}
        claimed = {t: a for (e, who, t), a in model.review_claims.items() if who == me and e == epoch}
        rows.append({"epoch": epoch, "revealed": d.revealed, "scored": d.settled, "total": d.total,
                     "forfeited": d.forfeited, "closed": model.review_pay_closed(epoch, now),
                     "owed": {t: a for t, a in owed.items() if a}, "claimed": claimed})  # fmt: skip

    def human() -> None:
        for r in sent:
            if "score" in r:
                console.print(f"scored your rating of #{r['contribution']}: {r['score']:+d}")
            elif "amount" in r:
                console.print(f"claimed your review pay of epoch {r['epoch']}: "
                              f"{token_amount(r['amount'], *token_units(sf.w3, r['token']))}")  # fmt: skip
        if not rows:
            console.print(f"{who(me, key_names())} revealed no ratings yet: no review pay")
        for r in rows:
            state = (
                "forfeited (a sealed rating never revealed)"
                if r["forfeited"]
                else ("closed" if r["closed"] else "open: scoring until a week after the epoch ends")
            )
            claimed: dict[str, int] = r["claimed"]
            paid = ", ".join(token_amount(a, *token_units(sf.w3, t)) for t, a in claimed.items()) or "nothing yet"
            console.print(f"epoch {r['epoch']}: {r['revealed']} ratings, {r['scored']} scored, total "
                          f"{r['total']:+d}; {state}; paid {paid}")  # fmt: skip
            owed: dict[str, int] = r["owed"]
            for t, a in owed.items():
                console.print(f"  to claim: {token_amount(a, *token_units(sf.w3, t))}", style="dim")

    emit({"member": me, "sent": sent, "epochs": rows}, as_json, human)


def _relay_keepers(relay: str | None) -> tuple[dict[str, Any] | None, str]:
    """What the relay says of its keepers in /v1/info (None: it says nothing), and why it could not
    be asked ("" when it answered, or no relay was named)."""
    if not relay:
        return None, ""
    from starfish_dao.relay.client import RelayClient, RelayError

    try:
        keepers = RelayClient(relay, timeout=5).info().get("keepers")
    except RelayError as exc:
        return None, "nothing answers there" if exc.status == 0 else f"it answered {exc.status} to /v1/info"
    return (dict(keepers) if isinstance(keepers, dict) else None), ""


def _entries(items: list[Any]) -> list[tuple[Any, str]]:
    """Each thing once, with its title: the reminders of one situation are one entry. A proposal that
    concerns the member (a suspension, a slash) and is open to their vote is the vote, saying what
    it would do to them; an item repeated is shown once."""
    votes = {i.data["proposal"]: i for i in items if i.kind in ("vote", "vote-closing")}
    out: list[tuple[Any, str]] = []
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            continue
        seen.add(item.id)
        if item.kind == "concerns" and item.data["proposal"] in votes:
            continue  # said with its vote, below
        title = item.title
        if item.kind in ("vote", "vote-closing"):
            concerns = next((i.data.get("concerns") for i in items if i.kind == "concerns"
                             and i.data["proposal"] == item.data["proposal"]), None)  # fmt: skip
            if concerns:
                title += f"; it would {' and '.join(concerns)}"
        out.append((item, title))
    return out
