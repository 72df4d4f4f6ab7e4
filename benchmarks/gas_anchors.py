"""Starfish's gas next to the systems people use today, measured in one run on one anvil.

Anchors, from npm packages pinned in benchmarks/anchors/package.json (installed on first use):

- the Ethereum Attestation Service (`@ethereum-attestation-service/eas-contracts`), deployed from
  the bytecode EAS publishes: `attest` and `attestByDelegation`, next to our review, direct and relayed;
- OpenZeppelin 4.9's `PaymentSplitter` (npm alias `@openzeppelin/contracts-v4`): `release` next to
  our claim, and one ETH receipt with 10 / 1,000 / 10,000 payees, next to ours with as many point holders;
- OpenZeppelin 5's `ERC2771Forwarder` (the root package.json's `@openzeppelin/contracts`): the
  overhead of `execute` over calling the target directly, next to the overhead of a signed action
  (`reviewBySig` sent by a relay) over the direct `review`.

PaymentSplitter, the forwarder and its target are compiled with the same compiler and settings as
Starfish (solc 0.8.30 via bin/solc, optimizer 1,000 runs, cancun). EAS pins solc 0.8.29 exactly, so
it runs as published. Every figure is steady state: the second operation of its kind, so that
first-time storage writes, which every design pays once, do not decide the comparison.

    .venv/bin/python benchmarks/gas_anchors.py [--holders 10,1000,10000] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from eth_abi.abi import encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import gas as starfish_gas  # noqa: E402 - benchmarks/gas.py: our own operations

from starfish_dao.chain.backends import AnvilNode, RpcBackend  # noqa: E402
from starfish_dao.chain.build import SETTINGS, _run_solc  # noqa: E402
from starfish_dao.chain.deployment import _deploy_one  # noqa: E402
from starfish_dao.chain.tx import send  # noqa: E402
from starfish_dao.domain.typed_data import DOMAIN_TYPE  # noqa: E402
from starfish_dao.domain.unixfs import cid_of  # noqa: E402

ANCHORS = HERE / "anchors"
MODULES = ANCHORS / "node_modules"
EAS_ARTIFACTS = MODULES / "@ethereum-attestation-service" / "eas-contracts" / "artifacts" / "contracts"
ETHER = 10**18

COUNTER = """// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;
import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
/// A minimal ERC-2771 recipient: one counter per (trusted-forwarder-reported) sender.
contract Counter2771 is ERC2771Context {
    mapping(address => uint256) public count;
    constructor(address forwarder) ERC2771Context(forwarder) {}
    function bump() external { count[_msgSender()] += 1; }
}
"""


def install_anchors() -> None:
    if (EAS_ARTIFACTS / "EAS.sol" / "EAS.json").exists() and (MODULES / "@openzeppelin" / "contracts-v4").is_dir():
        return
    print("gas_anchors: installing the anchor packages (npm ci in benchmarks/anchors, about 200 MB)", file=sys.stderr)
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error", "--ignore-scripts"], cwd=ANCHORS, check=True
    )


def compile_anchors() -> dict[str, dict[str, Any]]:
    """PaymentSplitter (OZ 4.9), ERC2771Forwarder (OZ 5) and a recipient, with Starfish's settings."""
    v4 = "@openzeppelin/contracts-v4/finance/PaymentSplitter.sol"
    fwd = "@openzeppelin/contracts/metatx/ERC2771Forwarder.sol"
    sources = {
        v4: {"content": (MODULES / v4).read_text()},
        fwd: {"content": (HERE.parent / "node_modules" / fwd).read_text()},
        "bench/Counter2771.sol": {"content": COUNTER},
    }
    settings = {
        **SETTINGS,
        "remappings": [
            "@openzeppelin/contracts-v4/=benchmarks/anchors/node_modules/@openzeppelin/contracts-v4/",
            "@openzeppelin/contracts/=node_modules/@openzeppelin/contracts/",
        ],
        "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}},
    }
    spec = {"language": "Solidity", "sources": sources, "settings": settings}
    out = json.loads(_run_solc(["--standard-json", "--base-path", str(HERE.parent)], json.dumps(spec)))
    errors = [e["formattedMessage"] for e in out.get("errors", []) if e["severity"] == "error"]
    if errors:
        raise SystemExit("compiling the anchors failed:\n" + "\n".join(errors))
    found = {}
    for path, name in ((v4, "PaymentSplitter"), (fwd, "ERC2771Forwarder"), ("bench/Counter2771.sol", "Counter2771")):
        c = out["contracts"][path][name]
        found[name] = {"abi": c["abi"], "bytecode": "0x" + c["evm"]["bytecode"]["object"]}
    return found


def eas_artifact(name: str) -> dict[str, Any]:
    art = json.loads((EAS_ARTIFACTS / f"{name}.sol" / f"{name}.json").read_text())
    return {"abi": art["abi"], "bytecode": art["bytecode"]}


def _gas(receipt: Any) -> int:
    return int(receipt["gasUsed"])


def _call(w3: Any, account: LocalAccount, fn: Any, value: int = 0) -> Any:
    return send(w3, account, {"to": fn.address, "data": fn._encode_transaction_data(), "value": value})


def _funded(chain: RpcBackend) -> LocalAccount:
    account = Account.create()
    chain.fund(account.address, 10_000 * ETHER)
    return account


def measure_eas(chain: RpcBackend) -> dict[str, int]:
    """EAS attest and attestByDelegation with our review's payload (contribution id, stars, comment CID)."""
    w3 = chain.w3
    deployer, attester, relay, author = (_funded(chain) for _ in range(4))
    registry_address, _ = _deploy_one(w3, deployer, "SchemaRegistry", artifact=eas_artifact("SchemaRegistry"))
    eas_address, _ = _deploy_one(w3, deployer, "EAS", registry_address, artifact=eas_artifact("EAS"))
    registry = w3.eth.contract(address=registry_address, abi=eas_artifact("SchemaRegistry")["abi"])
    eas = w3.eth.contract(address=eas_address, abi=eas_artifact("EAS")["abi"])
    schema_text = "uint256 contribution,uint8 stars,bytes commentCid"
    zero = "0x" + "00" * 20
    registered = _call(w3, deployer, registry.functions.register(schema_text, zero, False))
    schema_uid = bytes(registry.events.Registered().process_receipt(registered)[0]["args"]["uid"])
    comment = cid_of(b"comment").bytes

    def request(i: int) -> tuple[str, int, bool, bytes, bytes, int]:
        data = encode(["uint256", "uint8", "bytes"], [i, 4, comment])
        return (author.address, 0, False, b"\0" * 32, data, 0)

    rows: dict[str, int] = {}
    for i in range(2):
        rows["attest"] = _gas(_call(w3, attester, eas.functions.attest((schema_uid, request(i)))))
    name, version = eas.functions.eip712Domain().call()[1:3]
    for i in range(2, 4):
        data = request(i)
        nonce = eas.functions.getNonce(attester.address).call()
        deadline = 2**64 - 1
        typed = {
            "types": {
                "EIP712Domain": DOMAIN_TYPE,
                "Attest": [
                    {"name": "attester", "type": "address"},
                    {"name": "schema", "type": "bytes32"},
                    {"name": "recipient", "type": "address"},
                    {"name": "expirationTime", "type": "uint64"},
                    {"name": "revocable", "type": "bool"},
                    {"name": "refUID", "type": "bytes32"},
                    {"name": "data", "type": "bytes"},
                    {"name": "value", "type": "uint256"},
                    {"name": "nonce", "type": "uint256"},
                    {"name": "deadline", "type": "uint64"},
                ],
            },
            "primaryType": "Attest",
            "domain": {"name": name, "version": version, "chainId": w3.eth.chain_id, "verifyingContract": eas_address},
            "message": {
                "attester": attester.address,
                "schema": schema_uid,
                "recipient": data[0],
                "expirationTime": 0,
                "revocable": False,
                "refUID": b"\0" * 32,
                "data": data[4],
                "value": 0,
                "nonce": nonce,
                "deadline": deadline,
            },
        }
        sig = attester.sign_message(encode_typed_data(full_message=typed))
        signature = (sig.v, sig.r.to_bytes(32, "big"), sig.s.to_bytes(32, "big"))
        fn = eas.functions.attestByDelegation((schema_uid, data, signature, attester.address, deadline))
        rows["attestByDelegation"] = _gas(_call(w3, relay, fn))
    return rows


def measure_payment_splitter(chain: RpcBackend, art: dict[str, Any], sizes: list[int]) -> dict[str, Any]:
    """OZ 4.9 PaymentSplitter: one ETH receipt per payee count (fixed at deployment), and `release`."""
    w3 = chain.w3
    deployer, payer = _funded(chain), _funded(chain)
    receipts = {}
    release = 0
    for n in sizes:
        payees = [to_checksum_address("0x" + (0x1000 + i).to_bytes(20, "big").hex()) for i in range(n)]
        member = _funded(chain)
        payees[0] = member.address
        address, _ = _deploy_one(w3, deployer, "PaymentSplitter", payees, [1] * n, artifact=art)
        splitter = w3.eth.contract(address=address, abi=art["abi"])
        send(w3, payer, {"to": address, "value": ETHER, "data": b""})
        receipts[n] = _gas(send(w3, payer, {"to": address, "value": ETHER, "data": b""}))
        if n == sizes[0]:
            fn = splitter.get_function_by_signature("release(address)")
            _call(w3, member, fn(member.address))  # the first release writes fresh slots
            send(w3, payer, {"to": address, "value": ETHER, "data": b""})
            release = _gas(_call(w3, member, fn(member.address)))
    return {"receipts": receipts, "release": release}


def measure_forwarder(chain: RpcBackend, arts: dict[str, dict[str, Any]]) -> dict[str, int]:
    """ERC2771Forwarder.execute(request to bump()) against bump() called directly, both steady state."""
    w3 = chain.w3
    deployer, direct, signer, relay = (_funded(chain) for _ in range(4))
    forwarder_address, _ = _deploy_one(
        w3, deployer, "ERC2771Forwarder", "starfish-bench", artifact=arts["ERC2771Forwarder"]
    )
    counter_address, _ = _deploy_one(w3, deployer, "Counter2771", forwarder_address, artifact=arts["Counter2771"])
    forwarder = w3.eth.contract(address=forwarder_address, abi=arts["ERC2771Forwarder"]["abi"])
    counter = w3.eth.contract(address=counter_address, abi=arts["Counter2771"]["abi"])
    rows: dict[str, int] = {}
    for _ in range(2):
        rows["direct"] = _gas(_call(w3, direct, counter.functions.bump()))
    data = counter.functions.bump()._encode_transaction_data()
    for _ in range(2):
        nonce = forwarder.functions.nonces(signer.address).call()
        deadline = 2**48 - 1
        gas_limit = 100_000
        typed = {
            "types": {
                "EIP712Domain": DOMAIN_TYPE,
                "ForwardRequest": [
                    {"name": "from", "type": "address"},
                    {"name": "to", "type": "address"},
                    {"name": "value", "type": "uint256"},
                    {"name": "gas", "type": "uint256"},
                    {"name": "nonce", "type": "uint256"},
                    {"name": "deadline", "type": "uint48"},
                    {"name": "data", "type": "bytes"},
                ],
            },
            "primaryType": "ForwardRequest",
            "domain": {
                "name": "starfish-bench",
                "version": "1",
                "chainId": w3.eth.chain_id,
                "verifyingContract": forwarder_address,
            },
            "message": {
                "from": signer.address,
                "to": counter_address,
                "value": 0,
                "gas": gas_limit,
                "nonce": nonce,
                "deadline": deadline,
                "data": bytes.fromhex(data[2:]),
            },
        }
        sig = signer.sign_message(encode_typed_data(full_message=typed)).signature
        request = (signer.address, counter_address, 0, gas_limit, deadline, bytes.fromhex(data[2:]), bytes(sig))
        rows["execute"] = _gas(_call(w3, relay, forwarder.functions.execute(request)))
    assert counter.functions.count(signer.address).call() == 2, "the forwarder did not act for the signer"
    return rows


def measure(sizes: list[int]) -> dict[str, Any]:
    install_anchors()
    arts = compile_anchors()
    os.environ.setdefault("STARFISH_HOME", tempfile.mkdtemp(prefix="starfish-anchors-"))
    node = AnvilNode.scratch(
        "anvil-anchors-", extra_args=("--disable-block-gas-limit", "--disable-code-size-limit")
    ).start()
    try:
        chain = RpcBackend(node.url, node=node)
        ours = {name: gas for name, gas, _ in starfish_gas.measure_ops(chain)}
        our_receipts = dict(starfish_gas.measure_receipts(chain, sizes))
        eas = measure_eas(chain)
        splitter = measure_payment_splitter(chain, arts["PaymentSplitter"], sizes)
        forwarder = measure_forwarder(chain, arts)
    finally:
        node.stop()
    return {
        "ours": ours,
        "our_receipts": our_receipts,
        "eas": eas,
        "payment_splitter": splitter,
        "forwarder": forwarder,
    }


def table(m: dict[str, Any]) -> list[tuple[str, int, str, int]]:
    """(what, Starfish gas, anchor, anchor gas) rows."""
    ours, eas, ps, fw = m["ours"], m["eas"], m["payment_splitter"], m["forwarder"]
    rows = [
        ("sealed review: seal + reveal (direct)", ours["review"], "EAS attest", eas["attest"]),
        (
            "sealed review (seal signed, sent by a relay; + reveal)",
            ours["reviewBySig (relayed)"],
            "EAS attestByDelegation",
            eas["attestByDelegation"],
        ),
        ("claim (ETH)", ours["claim (ETH)"], "PaymentSplitter.release (ETH)", ps["release"]),
    ]
    for n, gas in m["our_receipts"].items():
        rows.append(
            (f"ETH receipt, {n:,} point holders", gas, f"PaymentSplitter receive, {n:,} payees", ps["receipts"][n])
        )
    rows.append((
        "signed-action overhead (sealReviewBySig − sealReview)",
        ours["reviewBySig (relayed)"] - ours["review"],
        "ERC2771Forwarder.execute overhead (execute − direct call)",
        fw["execute"] - fw["direct"],
    ))  # fmt: skip
    return rows


def render(m: dict[str, Any]) -> str:
    lines = ["| operation | Starfish gas | anchor | anchor gas | Starfish / anchor |", "|---|---:|---|---:|---:|"]
    for what, gas, anchor, theirs in table(m):
        lines.append(f"| {what} | {gas:,} | {anchor} | {theirs:,} | {gas / theirs:.2f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--holders", default="10,1000,10000", help="point holders / payees, comma-separated")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args()
    sizes = [int(x) for x in args.holders.split(",")]
    started = time.time()
    m = measure(sizes)
    print(render(m))
    print(f"\n(measured on one anvil in {time.time() - started:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps(m, indent=1, default=str))


if __name__ == "__main__":
    main()
