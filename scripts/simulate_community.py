"""A young community on anvil, driven through the library: who creates the value, who gets the pay.

    .venv/bin/python scripts/simulate_community.py [--members 16] [--ring 5] [--epochs 6] [--seed 1]

Three founders (genesis points) and the other members each submit work twice an epoch (two waves,
the second after the first is finalized: what a ring won early in an epoch would weigh at once if
the contracts let it). Every piece of work has a hidden true quality (0-5 stars) and an effort. An
honest reviewer rates the true quality, give or take a star; reviewers choose a few open items each
among the work whose panel they were drawn for (`--panel`, the charter's panelSize: 100 seats
everyone, as self-selected review did). The ring (one founder and members, about a third of heads) rates its own
work 5 and everyone else's 0, and reviews all the ring's work first. Revenue of 1 ETH arrives each
epoch. It prints, per group, the value its work was worth (effort x true quality / 3), the points it
was awarded, its share of the standing at the end, and its share of the pay.

Nothing here is mocked: every step is a transaction the contracts judge (a review the rules refuse
is counted as refused). Bounded: members x waves x epochs items.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

from eth_account import Account

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from starfish_dao.chain.backends import AnvilNode, RpcBackend
from starfish_dao.chain.client import Starfish
from starfish_dao.chain.deployment import deploy
from starfish_dao.domain.charter import DAY, POINT, CharterConfig, Founder, Params
from starfish_dao.domain.errors import ContractRevert
from starfish_dao.domain.unixfs import cid_of

ETHER = 10**18


def simulate(
    members: int, ring: int, epochs: int, reviews: int, seed: int, panel: int = 5
) -> dict[str, dict[str, float]]:
    rng = random.Random(seed)
    node = AnvilNode.scratch("anvil-sim-").start()
    try:
        chain = RpcBackend(node.url, node=node)
        people = [Account.create() for _ in range(members)]
        payer = Account.create()
        for a in [*people, payer]:
            chain.fund(a.address, 10_000 * ETHER)
        founders = people[:3]
        cfg = CharterConfig(
            Params(epoch_length=7 * DAY, review_window=3 * DAY, min_reviewers=2, half_life=26, panel_size=panel),
            cid_of(b"charter").bytes,
            (),
            tuple(Founder(f.address, 1_000 * POINT) for f in founders),
            people[0].address,
        )
        sf = Starfish(chain.w3, deploy(chain.w3, people[0], cfg))
        for a in people:
            sf.join(a)
        # the ring: the third founder and the last members, `ring` in all
        ring_set = {people[2].address, *(a.address for a in people[members - (ring - 1) :])} if ring else set()
        group = {a.address: "ring" if a.address in ring_set else "founders" if a in founders else "honest"
                 for a in people}  # fmt: skip
        value: Counter[str] = Counter()
        refused: Counter[str] = Counter()
        truth: dict[int, int] = {}
        author_of: dict[int, str] = {}
        counter = 0
        for _epoch in range(epochs):
            for _wave in range(2):
                open_items = []
                for a in people:  # everyone submits one piece of work per wave
                    counter += 1
                    effort, quality = rng.choice((60, 120, 240)), rng.choice((1, 2, 3, 3, 4, 4, 5))
                    data = f"work {counter} by {a.address} ({seed})".encode()
                    try:
                        cid_id = sf.submit(a, cid_of(data).bytes, effort)
                    except ContractRevert:
                        refused["submit"] += 1
                        continue
                    truth[cid_id], author_of[cid_id] = quality, a.address
                    value[group[a.address]] += effort * quality / 3
                    open_items.append(cid_id)
                for cid_id in open_items:  # each panel drawn from its block's hash (a keeper's job)
                    if sf.panel(cid_id)[2] > 1:
                        sf.draw_panel(payer, cid_id)
                for a in people:
                    mine = group[a.address] == "ring"
                    # reviewers rate only what they are drawn for (`starfish todo` lists it)
                    others = [i for i in open_items if author_of[i] != a.address and sf.on_panel(i, a.address)]
                    rng.shuffle(others)
                    if mine:  # the ring's work first, then everyone else's (to sink it)
                        others.sort(key=lambda i: author_of[i] not in ring_set)
                    for cid_id in others[:reviews]:
                        if mine:
                            stars = 5 if author_of[cid_id] in ring_set else 0
                        else:
                            stars = max(0, min(5, truth[cid_id] + rng.choice((-1, 0, 0, 1))))
                        try:
                            sf.review(a, cid_id, stars)
                        except ContractRevert as exc:
                            refused[exc.name] += 1
                chain.increase_time(3 * DAY + 1)
                sf.reveal_due(payer)  # the reviewers' clients open their ratings
                late = []
                for cid_id in open_items:
                    try:
                        sf.finalize(payer, cid_id)
                    except ContractRevert as exc:  # a rating whose opening was refused (over budget)
                        if exc.name != "RegistryRevealsPending":
                            raise
                        late.append(cid_id)
                if late:  # an unopened rating counts as none once the reveal window is over
                    chain.increase_time(int(sf.registry.functions.RATING_REVEAL_WINDOW().call()) + 1)
                    for cid_id in late:
                        sf.finalize(payer, cid_id)
            sf.pay_eth(payer, ETHER)
            start = sf.charter.functions.currentEpochStart().call()
            now = chain.w3.eth.get_block("latest")["timestamp"]
            chain.increase_time(start + 7 * DAY - now)
        points: Counter[str] = Counter()
        pay: Counter[str] = Counter()
        for a in people:
            points[group[a.address]] += sf.standing_of(a.address)  # genesis included
            pay[group[a.address]] += sf.claimable(a.address)
        total_value, total_points, total_pay = sum(value.values()), sum(points.values()), sum(pay.values())
        out = {
            g: {
                "heads": sum(1 for a in people if group[a.address] == g),
                "value": value[g] / total_value,
                "standing": points[g] / total_points,
                "pay": pay[g] / total_pay,
            }
            for g in ("founders", "honest", "ring")
        }
        for _opening, exc in sf.refused_reveals:
            refused[f"reveal: {exc.name}"] += 1
        out["refused"] = dict(refused)  # type: ignore[assignment]
        return out
    finally:
        node.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=16)
    parser.add_argument("--ring", type=int, default=5, help="ring members (one of them a founder); 0: all honest")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--reviews", type=int, default=6, help="items each reviewer rates per wave")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--panel", type=int, default=5, help="panelSize (100: everyone sits, self-selected review)")
    args = parser.parse_args()
    if args.ring == 1 or args.members < args.ring + 3:
        parser.error("--ring is 0 or at least 2, and --members must leave room for the two honest founders and it")
    started = time.monotonic()
    out = simulate(args.members, args.ring, args.epochs, args.reviews, args.seed, args.panel)
    refused = out.pop("refused")
    print("| group | members | share of the value created | share of the standing at the end | share of the pay |")
    print("|---|---:|---:|---:|---:|")
    for g, row in out.items():
        if not row["heads"]:
            continue
        print(f"| {g} | {row['heads']:.0f} | {row['value']:.1%} | {row['standing']:.1%} | {row['pay']:.1%} |")
    print(f"\nreviews and submissions the contracts refused: {refused}")
    print(f"({args.members} members, ring of {args.ring}, {args.epochs} epochs, panels of {args.panel}, "
          f"seed {args.seed}; "
          f"{time.monotonic() - started:.0f} s on anvil)")  # fmt: skip


if __name__ == "__main__":
    main()
