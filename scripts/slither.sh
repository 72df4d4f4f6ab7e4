#!/usr/bin/env bash
# Static analysis: Slither over contracts/ (OpenZeppelin and the test fixtures in contracts/test are
# filtered out), compiled by the pinned solc-js behind bin/solc through crytic-compile's solc-json
# platform. Slither gets its own venv (it pins web3 7). Every High or Medium finding must be triaged
# in docs/security.md, or this exits 1. Usage: bash scripts/slither.sh [--setup | extra slither arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv-slither/bin/slither ]; then
  echo "slither: creating .venv-slither (slither-analyzer 0.11.6)" >&2
  python3 -m venv .venv-slither
  .venv-slither/bin/python -m pip install --quiet --disable-pip-version-check \
    "slither-analyzer==0.11.6" "crytic-compile==0.4.2" 2>&1 | grep -v "is ignored" >&2 || true
fi
[ "${1:-}" = "--setup" ] && exit 0
[ -d node_modules/solc ] || npm ci --no-audit --no-fund --loglevel=error
mkdir -p build
# the same sources and settings as the real build (python -m starfish_dao.chain.build), with the
# outputs crytic-compile needs (AST, source maps) instead of ours
.venv/bin/python - <<'PY'
import json
from starfish_dao.chain.build import standard_json_input

spec = standard_json_input()
spec["settings"].pop("outputSelection")  # crytic-compile asks for ASTs and source maps itself
with open("build/slither-input.json", "w") as f:
    json.dump(spec, f)
PY
rm -f build/slither.json
# crytic-compile asks `forge config` whenever a foundry.toml is present (scripts/forge.sh's), even with
# the solc-json framework forced: the npm forge must be on PATH
export PATH="$PWD/node_modules/.bin:$PATH"
# slither exits non-zero whenever it reports anything; the triage below decides
.venv-slither/bin/slither build/slither-input.json --compile-force-framework solc-json --solc bin/solc \
  --solc-disable-warnings --filter-paths "node_modules|contracts/test" --json build/slither.json \
  --exclude-dependencies "$@" >build/slither.txt 2>&1 || true
exec .venv/bin/python scripts/slither_triage.py build/slither.json docs/security.md
