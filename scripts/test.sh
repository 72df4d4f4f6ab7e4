#!/usr/bin/env bash
# Set up, then lint, type-check and run the whole test suite (real anvil nodes, started by the tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# the integration tests start a real IPFS node (js-ipfs, Kubo RPC API); it has its own package.json
# so that the normal setup stays light
if [ ! -x ipfs-node/node_modules/.bin/jsipfs ] || [ ipfs-node/package-lock.json -nt ipfs-node/node_modules/.package-lock.json ]; then
  echo "setup: npm install in ipfs-node (a real IPFS node for the integration tests)"
  # `npm install` follows the committed lock file; `npm ci` refuses this tree because an optional
  # dependency deep inside js-ipfs names a GitHub tarball that cannot be fetched (and is skipped)
  (cd ipfs-node && npm install --no-audit --no-fund --loglevel=error)
fi
# the gas anchors (EAS, OpenZeppelin 4.9) for benchmarks/gas_anchors.py and its test
if [ ! -d benchmarks/anchors/node_modules/@ethereum-attestation-service ] || [ benchmarks/anchors/package-lock.json -nt benchmarks/anchors/node_modules/.package-lock.json ]; then
  echo "setup: npm ci in benchmarks/anchors (EAS and OpenZeppelin 4.9, the gas anchors)"
  (cd benchmarks/anchors && npm ci --no-audit --no-fund --loglevel=error --ignore-scripts)
fi
# brownie (optional, its own venv: it pins web3 7.16.0 exactly) for the brownie tests
bash scripts/brownie.sh --version >/dev/null
# Slither (its own venv: it pins web3 7) for the static-analysis gate, tests/test_slither.py
bash scripts/slither.sh --setup

# a real browser for the page's tests (tests/relay/page/test_page.py): Debian's chromium, driven by the
# Python playwright package (its own browser download cannot work offline)
if [ ! -x "${STARFISH_CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "setup: installing chromium with apt-get (the page's browser tests)"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

# the suite writes chains, IPFS repos and browser profiles: say how much room there is (a full disk
# once failed CI, filled by anvil, which leaves older block states in ~/.foundry/anvil/tmp for ever;
# this project's nodes keep theirs in their own directories and remove them: chain/backends.py)
free_gib=$(df -Pk . | awk 'NR==2 {print int($4 / 1048576)}')
echo "== disk: ${free_gib} GiB free"
if [ "$free_gib" -lt 4 ]; then
  echo "warning: less than 4 GiB free; the tests may fail with 'No space left on device'" >&2
  if [ -d "$HOME/.foundry/anvil/tmp" ]; then
    echo "  anvil's leftovers of other runs: $(du -sh "$HOME/.foundry/anvil/tmp" | cut -f1) in ~/.foundry/anvil/tmp (safe to remove when no anvil runs)" >&2
  fi
fi

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy (strict)"
.venv/bin/mypy
echo "== pytest"
exec .venv/bin/python -m pytest -n 2 "$@"
