"""Deploy a Starfish DAO and write deployments/<chainId>.json (the same manifest `starfish deploy` writes).

    bash scripts/brownie.sh run scripts/deploy.py --network starfish-anvil
    .venv/bin/python scripts/deploy.py

The deployer key comes from STARFISH_KEY_FILE (a keystore; password in STARFISH_KEY_PASSWORD) or
STARFISH_PRIVATE_KEY. Founders and their genesis points from STARFISH_FOUNDERS="0xA:100,0xB:100"
(default: the deployer with 100 points).
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

try:
    from scripts._context import ROOT, web3
except ImportError:  # run as a plain file
    from _context import ROOT, web3  # type: ignore[no-redef]

from starfish_dao import keys
from starfish_dao.chain.deployment import Deployment, deploy
from starfish_dao.domain.charter import POINT, CharterConfig, Founder, Params
from starfish_dao.ipfs.local import LocalStore


def main() -> Deployment:
    w3 = web3()
    key_file = os.environ.get("STARFISH_KEY_FILE")
    account = keys.load(Path(key_file) if key_file else None)
    founders = []
    for item in filter(None, os.environ.get("STARFISH_FOUNDERS", f"{account.address}:100").split(",")):
        address, _, points = item.partition(":")
        founders.append(Founder(w3.to_checksum_address(address.strip()), int(Decimal(points or "0") * POINT)))
    document = LocalStore().add_file(ROOT / "starfish_dao" / "demo_files" / "charter.md")
    cfg = CharterConfig(Params(), document.bytes, (), tuple(founders), account.address)
    deployment = deploy(w3, account, cfg)
    path = deployment.save()
    for role, address in deployment.addresses.items():
        print(f"{role:<10} {address}")
    print(f"manifest: {path}")
    return deployment


if __name__ == "__main__":
    main()
