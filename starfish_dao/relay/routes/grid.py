"""`/v1/grid`: the community's hosts, who counts this epoch and why not, and how many files each holds,
recomputed from the chain by the one function everyone uses (`domain/grid.py`)."""

from __future__ import annotations

import threading
import time
from typing import Any

from fastapi import APIRouter

from starfish_dao.domain.charter import Parameter
from starfish_dao.domain.grid import CHALLENGES, PASS_MIN, gateway_of, services_of
from starfish_dao.domain.unixfs import CID, cid_text
from starfish_dao.relay.routes.deps import RelayDep, model_of

grid = APIRouter(prefix="/v1/grid", tags=["grid"])

#: seconds a probe of a member's relay or page is shown before it is asked again
SERVICE_PROBE_TTL = 60.0


class ServiceWatch:
    """The members' declared relays and pages, probed by the same function the committees use
    (`hosting.probe_service`), in a thread of its own: a request never waits on another machine;
    it shows the last answer (or none yet) and starts a new round when that one is stale."""

    def __init__(self) -> None:
        self.results: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}
        self._busy = threading.Lock()

    def shown(self, targets: list[tuple[str, str]], ceiling_ms: int) -> dict[tuple[str, str], dict[str, Any]]:
        now = time.monotonic()
        stale = [t for t in targets if now - self.results.get(t, (-1e9, {}))[0] > SERVICE_PROBE_TTL]
        if stale and self._busy.acquire(blocking=False):
            threading.Thread(target=self._round, args=(stale, ceiling_ms), name="service-probes", daemon=True).start()
        return {t: self.results[t][1] for t in targets if t in self.results}

    def _round(self, targets: list[tuple[str, str]], ceiling_ms: int) -> None:
        from starfish_dao.hosting import probe_service

        try:
            for kind, url in targets:
                self.results[(kind, url)] = (time.monotonic(), probe_service(kind, url, ceiling_ms).as_json())
        finally:
            self._busy.release()


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
        hosts: list[dict[str, Any]] = []
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
                "services": [{"kind": k, "url": u} for k, u in services_of(record.endpoint).items()],
            })  # fmt: skip
        seeds = {str(e): str(s.seed) for e, s in sorted(m.grid.seeds.items())[-8:]}
        ceiling = m.grid.parameter(m, Parameter.TTFB_CEILING_MS, now)
        files = [str(CID.from_bytes(c)) for c in assignment.files] if assignment else []
    watch = getattr(relay, "service_watch", None)
    if watch is None:
        watch = relay.service_watch = ServiceWatch()  # type: ignore[attr-defined]
    declared: list[dict[str, Any]] = [s for h in hosts for s in h["services"]]
    probed = watch.shown([(str(s["kind"]), str(s["url"])) for s in declared], ceiling)
    for s in declared:  # the last answer of each (none until the first round of probes comes back)
        s["probe"] = probed.get((str(s["kind"]), str(s["url"])))
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
