"""Gas of governance: Starfish's governor (votes = decaying points) next to a plain OpenZeppelin 5
Governor on an ERC20Votes token, same settings, same anvil, same run; and what a past-votes lookup
costs as a member's history grows (it must stay O(log n)).

    .venv/bin/python benchmarks/gas_governance.py [--history 1,10,100,1000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from starfish_dao.chain.backends import AnvilNode, RpcBackend
from starfish_dao.chain.client import Starfish
from starfish_dao.chain.deployment import _deploy_one, create_address, deploy
from starfish_dao.chain.governance import Governance
from starfish_dao.chain.tx import send
from starfish_dao.domain.charter import POINT, CharterConfig, Founder, GovernanceSettings
from starfish_dao.domain.typed_data import DOMAIN_TYPE
from starfish_dao.domain.unixfs import cid_of

ETHER = 10**18
G = GovernanceSettings()


def _funded(chain: RpcBackend) -> Any:
    account = Account.create()
    chain.fund(account.address, 1000 * ETHER)
    return account


def _gas(receipt: Any) -> int:
    return int(receipt["gasUsed"])


def _call(w3: Any, account: Any, fn: Any) -> Any:
    return send(w3, account, {"to": fn.address, "data": fn._encode_transaction_data()})


def _ballot(w3: Any, governor: Any, name: str, voter: Any, pid: int, support: int) -> bytes:
    nonce = governor.functions.nonces(voter.address).call()
    typed = {
        "types": {"EIP712Domain": DOMAIN_TYPE, "Ballot": [
            {"name": "proposalId", "type": "uint256"}, {"name": "support", "type": "uint8"},
            {"name": "voter", "type": "address"}, {"name": "nonce", "type": "uint256"},
        ]},
        "primaryType": "Ballot",
        "domain": {"name": name, "version": "1", "chainId": w3.eth.chain_id, "verifyingContract": governor.address},
        "message": {"proposalId": pid, "support": support, "voter": voter.address, "nonce": nonce},
    }  # fmt: skip
    return bytes(voter.sign_message(encode_typed_data(full_message=typed)).signature)


def _cycle(chain: RpcBackend, governor: Any, name: str, voters: list[Any], target: Any, relay: Any) -> dict[str, int]:
    """Two proposals through the whole cycle; the second's figures (steady state) are kept."""
    w3 = chain.w3
    rows: dict[str, int] = {}
    for round_ in range(2):
        description = f"round {round_} {time.monotonic_ns()}"
        fn = target
        targets, values, datas = [fn.address], [0], [bytes.fromhex(fn._encode_transaction_data()[2:])]
        receipt = _call(w3, voters[0], governor.functions.propose(targets, values, datas, description))
        pid = int(governor.events.ProposalCreated().process_receipt(receipt)[0]["args"]["proposalId"])
        rows["propose"] = _gas(receipt)
        chain.increase_time(G.voting_delay + 1)
        rows["castVote"] = _gas(_call(w3, voters[0], governor.functions.castVote(pid, 1)))
        signature = _ballot(w3, governor, name, voters[1], pid, 1)
        rows["castVoteBySig (relayed)"] = _gas(
            _call(w3, relay, governor.functions.castVoteBySig(pid, 1, voters[1].address, signature))
        )
        chain.increase_time(G.voting_period + 1)
        digest = w3.keccak(text=description)
        rows["queue"] = _gas(_call(w3, relay, governor.functions.queue(targets, values, datas, digest)))
        chain.increase_time(G.timelock_delay + 1)
        rows["execute"] = _gas(_call(w3, relay, governor.functions.execute(targets, values, datas, digest)))
    return rows


def measure_cycles(chain: RpcBackend) -> tuple[dict[str, int], dict[str, int]]:
    w3 = chain.w3
    people = [_funded(chain) for _ in range(4)]
    relay = _funded(chain)
    cfg = CharterConfig(document_cid=cid_of(b"charter").bytes,
                        founders=tuple(Founder(p.address, 1000 * POINT) for p in people[:3]))  # fmt: skip
    sf = Starfish(w3, deploy(w3, people[0], cfg))
    governor = Governance(sf).governor
    ours = _cycle(chain, governor, "Starfish Governor", people, sf.charter.functions.setParameter(4, 1000), relay)
    # the anchor: OpenZeppelin's ERC20Votes token and Governor, the same settings, the same timelock
    deployer = people[3]
    token_address, _ = _deploy_one(w3, deployer, "PlainVotesToken")
    token = w3.eth.contract(address=token_address, abi=_abi("PlainVotesToken"))
    for p in people[:3]:
        _call(w3, deployer, token.functions.mint(p.address, 1000 * ETHER))
        _call(w3, p, token.functions.delegate(p.address))  # ERC20Votes counts only delegated balances
    nonce = w3.eth.get_transaction_count(deployer.address)
    timelock, _ = _deploy_one(w3, deployer, "StarfishTimelock", G.timelock_delay, create_address(deployer.address,
                                                                                               nonce + 1))  # fmt: skip
    plain_address, _ = _deploy_one(w3, deployer, "PlainGovernor", token_address, timelock)
    plain = w3.eth.contract(address=plain_address, abi=_abi("PlainGovernor"))
    chain.increase_time(1)
    anchor = _cycle(chain, plain, "Plain Governor", people, token.functions.mint(people[0].address, 1), relay)
    return ours, anchor


def _abi(name: str) -> list[dict[str, Any]]:
    from starfish_dao.chain import artifacts

    return artifacts.abi(name)


def measure_lookups(chain: RpcBackend, sizes: list[int]) -> list[tuple[int, int, int]]:
    """(checkpoints, gas of getPastVotes in the middle of the history, gas at the latest) for a
    member whose votes changed `n` times (delegating back and forth)."""
    w3 = chain.w3
    rows = []
    for n in sizes:
        a, b, deployer = _funded(chain), _funded(chain), _funded(chain)
        cfg = CharterConfig(document_cid=cid_of(b"charter").bytes,
                            founders=(Founder(a.address, 10 * POINT), Founder(b.address, 10 * POINT)))  # fmt: skip
        sf = Starfish(w3, deploy(w3, deployer, cfg))
        sf.join(a)
        sf.join(b)
        times = []
        checkpoints = 1  # b's genesis; each round trip of a's delegation adds two
        while checkpoints < n:
            _call(w3, a, sf.splitter.functions.delegate(b.address))
            _call(w3, a, sf.splitter.functions.delegate(a.address))
            checkpoints += 2
            times.append(sf.now())
            chain.increase_time(1)
        chain.increase_time(1)
        middle = times[len(times) // 2] if times else sf.now() - 1
        fn = sf.splitter.functions.getPastVotes
        mid = int(
            w3.eth.estimate_gas({"to": sf.splitter.address, "data": fn(b.address, middle)._encode_transaction_data()})
        )
        latest = int(w3.eth.estimate_gas({"to": sf.splitter.address,
                                          "data": fn(b.address, sf.now() - 1)._encode_transaction_data()}))  # fmt: skip
        rows.append((checkpoints, mid, latest))
    return rows


def measure(sizes: list[int]) -> dict[str, Any]:
    os.environ.setdefault("STARFISH_HOME", tempfile.mkdtemp(prefix="starfish-gov-"))
    node = AnvilNode.scratch("anvil-gov-", extra_args=("--disable-code-size-limit",)).start()
    try:
        chain = RpcBackend(node.url, node=node)
        started = time.time()
        ours, anchor = measure_cycles(chain)
        lookups = measure_lookups(chain, sizes)
        return {"ours": ours, "anchor": anchor, "lookups": lookups, "seconds": time.time() - started}
    finally:
        node.stop()


def render(m: dict[str, Any]) -> str:
    lines = ["| operation | Starfish governor | plain OZ Governor + ERC20Votes | ratio |", "|---|---:|---:|---:|"]
    for op, gas in m["ours"].items():
        anchor = m["anchor"][op]
        lines.append(f"| {op} | {gas:,} | {anchor:,} | {gas / anchor:.2f} |")
    lines += ["", "| vote checkpoints of the member | getPastVotes, mid-history | getPastVotes, latest |",
              "|---:|---:|---:|"]  # fmt: skip
    for n, mid, latest in m["lookups"]:
        lines.append(f"| {n:,} | {mid:,} | {latest:,} |")
    lines.append(f"\n(measured on one anvil in {m['seconds']:.0f} s; lookups are eth_estimateGas of the view)")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--history", default="1,10,100,1000")
    args = parser.parse_args()
    print(render(measure([int(x) for x in args.history.split(",")])))


if __name__ == "__main__":
    main()
