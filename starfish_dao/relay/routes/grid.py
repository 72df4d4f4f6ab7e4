"""`/v1/grid`: the community's hosts, who counts this epoch and why not, and how many files each holds,
recomputed from the chain by the one function everyone uses (`domain/grid.py`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from starfish_dao.domain.grid import gateway_of
from starfish_dao.domain.unixfs import CID
from starfish_dao.relay.routes.deps import RelayDep, model_of

grid = APIRouter(prefix="/v1/grid", tags=["grid"])


@grid.get("", summary="Hosts, this epoch's assignment, and why a registered host does not count")
def get_grid(relay: RelayDep) -> dict[str, Any]:
    with relay.state.lock:
        m = model_of(relay)
        now = max(relay.state.head_time, m.now)
        epoch = m.epoch_at(now)
        assignment = m.grid.assignment(m, epoch)
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
    }
