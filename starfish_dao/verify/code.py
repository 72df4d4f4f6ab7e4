"""Is the deployed code the committed build, and are the contracts wired as the manifest says?

Runtime code is compared byte for byte with the artifact's deployed bytecode, with the immutables
(addresses fixed at construction, which the compiler leaves as zeros) masked on both sides. The
trailing CBOR metadata (which hashes the sources) is compared too: a difference only there means
the same instructions built from different sources, and is reported as such.
"""

from __future__ import annotations

from typing import Any

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from starfish_dao.chain import artifacts
from starfish_dao.chain.client import Starfish
from starfish_dao.chain.deployment import roles_of
from starfish_dao.verify.state import Check


def _masked(code: bytes, immutables: dict[str, list[dict[str, int]]]) -> bytes:
    out = bytearray(code)
    for refs in immutables.values():
        for ref in refs:
            start, length = int(ref["start"]), int(ref["length"])
            out[start : start + length] = bytes(length)
    return bytes(out)


def _metadata_split(code: bytes) -> tuple[bytes, bytes]:
    """(instructions, metadata): solc ends the runtime code with CBOR metadata and its 2-byte length."""
    if len(code) < 2:
        return code, b""
    length = int.from_bytes(code[-2:], "big") + 2
    if length > len(code):
        return code, b""
    return code[:-length], code[-length:]


def compare_code(onchain: bytes, artifact: dict[str, Any]) -> tuple[bool, str]:
    expected = bytes.fromhex(artifact["deployedBytecode"][2:])
    immutables = artifact.get("immutableReferences", {})
    if not onchain:
        return False, "no code at this address"
    if len(onchain) != len(expected):
        return False, f"code length {len(onchain)} differs from the build's {len(expected)}"
    got, want = _masked(onchain, immutables), _masked(expected, immutables)
    if got == want:
        return True, ""
    got_ops, got_meta = _metadata_split(got)
    want_ops, want_meta = _metadata_split(want)
    if got_ops == want_ops and got_meta != want_meta:
        return False, "same instructions, different metadata: built from different sources"
    return False, "the instructions differ from the committed build"


def check_code(sf: Starfish) -> list[Check]:
    checks: list[Check] = []
    w3 = sf.w3
    for role, name in roles_of(sf.deployment.addresses).items():
        address = sf.deployment.addresses[role]
        code = bytes(w3.eth.get_code(to_checksum_address(address)))
        ok, why = compare_code(code, artifacts.load(name))
        checks.append(Check(f"{role} {address}", f"runtime code is the committed {name} build", ok, True, "code", why))
        recorded = sf.deployment.code_hashes.get(role)
        if recorded:
            actual = "0x" + keccak(code).hex()
            checks.append(Check(f"{role} {address}", "code hash recorded in the manifest", actual, recorded, "code"))
    return checks


def check_wiring(sf: Starfish) -> list[Check]:
    a = sf.deployment.addresses
    checks: list[Check] = []

    def read(role: str, fn: str) -> Any:
        try:
            return getattr(sf.contracts[role].functions, fn)().call()
        except Exception as exc:  # noqa: BLE001 - a contract that is not ours may not answer
            return f"unreadable ({type(exc).__name__})"

    splitter = read("splitter", "wiring")
    registry = read("registry", "wiring")
    expect = [
        ("splitter", "charter", splitter[0] if isinstance(splitter, list) else splitter, a["charter"]),
        ("splitter", "registry", splitter[1] if isinstance(splitter, list) else splitter, a["registry"]),
        ("registry", "charter", registry[0] if isinstance(registry, list) else registry, a["charter"]),
        ("registry", "membership", registry[1] if isinstance(registry, list) else registry, a["membership"]),
        ("registry", "splitter", registry[2] if isinstance(registry, list) else registry, a["splitter"]),
        ("membership", "charter", read("membership", "charter"), a["charter"]),
    ]
    if "grid" in a:
        grid = read("grid", "wiring")
        for i, other in enumerate(("charter", "membership", "splitter")):
            expect.append(("grid", other, grid[i] if isinstance(grid, list) else grid, a[other]))
    for role, other, got, want in expect:
        checks.append(Check(f"{role} {a[role]}", f"points at the manifest's {other}", got, want, "wiring"))
    governance = read("charter", "governance")
    recorded = sf.deployment.charter.get("governance")
    if recorded:
        note = "" if governance == recorded else "governance moved since deployment (see GovernanceTransferred)"
        checks.append(Check("charter", "governance address", governance, governance, "wiring", note))
    return checks
