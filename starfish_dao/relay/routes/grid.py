"""`/v1/grid`: the community's hosts, who counts this epoch and why not, and how many files each holds,
recomputed from the chain by the one function everyone uses (`domain/grid.py`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from starfish_dao.domain.grid import CHALLENGES, PASS_MIN, gateway_of
from starfish_dao.domain.unixfs import CID, cid_text
from starfish_dao.relay.routes.deps import RelayDep, model_of

grid = APIRouter(prefix="/v1/grid", tags=["grid"])


@grid.get("", summary="Hosts, this epoch's assignment, and why a registered host does not count")
def get_grid(relay: RelayDep) -> dict[str, Any]:
    with relay.state.lock:
        m = model_of(relay)
        now = max(relay.state.head_time, m.now)
        epoch = m.epoch_at(now)
        assignment = m.grid.assignment(m, epoch)
        paid: dict[str, dict[str, str]] = {}
        for (_, host, token), amount in m.hosting_claims.items():
            book = paid.setdefault(host, {})
            book[token] = str(int(book.get(token, "0")) + amount)
        # every revealed result below all challenges: shown as it is revealed, with its evidence
        failures = [
            {"epoch": e, "host": h, "checker": r.checker, "passes": r.passes, "challenges": CHALLENGES,
             "evidence": cid_text(r.evidence, "") if r.evidence else None, "contested": r.contested}
            for (e, h), reveals in sorted(m.grid.reveals.items()) for r in reveals
            if r.passes < CHALLENGES or r.contested
        ][-64:]  # fmt: skip
        hosts = []
        for address, record in sorted(m.grid.hosts.items()):
            eligible = assignment is not None and address in assignment.hosts
            hosts.append({
                "address": address,
                "endpoint": record.endpoint.decode(errors="replace"),
                "gateway": gateway_of(record.endpoint),
                "since": record.since,
                "counts": eligible,
                "why": None if assignment is None or eligible else assignment.ineligible.get(address),
                "holds": len(assignment.of(address)) if eligible and assignment else 0,
                "checks": [
                    {"epoch": e, "revealed": t.revealed, "agreeing": t.votes, "passes": t.passes, "held": t.held,
                     "attested": t.attested, "units": t.units}
                    for (e, h), t in sorted(m.grid.tallies.items())[-64:] if h == address
                ],
                "paid": paid.get(address, {}),
            })  # fmt: skip
        seeds = {str(e): str(s.seed) for e, s in sorted(m.grid.seeds.items())[-8:]}
        files = [str(CID.from_bytes(c)) for c in assignment.files] if assignment else []
    return {
        "deployed": "grid" in relay.sf.deployment.addresses,
        "epoch": epoch,
        "assigned": assignment is not None,
        "why": None if assignment else f"epoch {epoch - 1}'s seed is not fixed yet",
        "replicas": assignment.replicas if assignment else m.params.host_replicas,
        "files": files,
        "hosts": hosts,
        "seeds": seeds,
        "failures": failures,
        "challenges": CHALLENGES,
        "passMin": PASS_MIN,
    }
