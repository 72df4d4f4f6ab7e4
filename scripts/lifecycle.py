"""The whole lifecycle on a dev chain: deploy, join, submit, review, finalize, pay, claim, leave —
then every number checked against the reference model. It is `starfish demo`, on whatever chain
the script is pointed at.

    bash scripts/brownie.sh run scripts/lifecycle.py --network starfish-anvil
    .venv/bin/python scripts/lifecycle.py

Needs a dev node (anvil): members are funded with anvil_setBalance and time moves with
evm_increaseTime.
"""

from __future__ import annotations

try:
    from scripts._context import endpoint, web3
except ImportError:  # run as a plain file
    from _context import endpoint, web3  # type: ignore[no-redef]

from starfish_dao.chain.backends import RpcBackend
from starfish_dao.demo import run_demo


def main() -> bool:
    backend = RpcBackend(endpoint(web3()), name="anvil (via script)")
    result = run_demo(backend, seed=11)
    if not result.ok:
        raise SystemExit(f"{len(result.failures)} checks differ from the reference model")
    return result.ok


if __name__ == "__main__":
    main()
