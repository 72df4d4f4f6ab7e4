#!/usr/bin/env bash
# Runs brownie for this project: its own venv (brownie pins web3 7.16.0 and eth-account 0.13.7),
# the pinned solc-js compiler behind bin/solc, and brownie's home inside the Starfish data directory
# instead of ~/.brownie. Usage: bash scripts/brownie.sh compile | run scripts/deploy.py --network NAME
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
DATA="${STARFISH_HOME:-$HOME/.starfish}"
mkdir -p "$DATA"
DATA="$(cd "$DATA" && pwd)"
if [ ! -x .venv-brownie/bin/brownie ]; then
  echo "brownie: creating .venv-brownie (eth-brownie 1.22.2)" >&2
  python3 -m venv .venv-brownie
  .venv-brownie/bin/python -m pip install --quiet --disable-pip-version-check "eth-brownie==1.22.2" 2>&1 | grep -v "is ignored" >&2 || true
  # the starfish library itself, without its own dependency pins: brownie's web3 serves it
  .venv-brownie/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e . 2>&1 | grep -v "is ignored" >&2 || true
  .venv-brownie/bin/python -m pip install --quiet --disable-pip-version-check rich 2>&1 | grep -v "is ignored" >&2 || true
fi
[ -d node_modules/solc ] || npm ci --no-audit --no-fund --loglevel=error
mkdir -p "$DATA/brownie/solc"
ln -sf "$ROOT/bin/solc" "$DATA/brownie/solc/solc-v0.8.30"
export SOLCX_BINARY_PATH="$DATA/brownie/solc"
export HOME="$DATA/brownie"          # brownie writes ~/.brownie: keep it in the data directory
export STARFISH_HOME="$DATA"
exec "$ROOT/.venv-brownie/bin/brownie" "$@"
