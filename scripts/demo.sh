#!/usr/bin/env bash
# The main job: set up, then run the full lifecycle on the embedded defaults (a managed anvil,
# the embedded IPFS store), verified against the reference model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/starfish demo "$@"
