#!/usr/bin/env bash
# Machine-checked promises of the contracts (contracts/test/forge): forge's invariant (stateful fuzz)
# suites of the splitter, registry and charter, then halmos's symbolic proofs (`check_` functions of
# the `*Symbolic` contracts) and their reachability guards. forge 1.7.1 comes from npm (package.json)
# and compiles with the pinned solc-js behind bin/solc (foundry.toml); halmos 0.3.3 and z3 get their
# own venv (.venv-halmos). Nothing is downloaded at run time.
# Usage: bash scripts/forge.sh [--setup | forge | halmos]   (default: forge, then halmos)
# Budget knobs: FOUNDRY_INVARIANT_RUNS / FOUNDRY_INVARIANT_DEPTH (foundry.toml: 64 x 40), for a long
# run e.g. FOUNDRY_INVARIANT_RUNS=1000 FOUNDRY_INVARIANT_DEPTH=100; HALMOS_DEEP=1 adds the depth-2
# splitter proofs (`check_deep_*`, thousands of paths: about 10 minutes each on two cores);
# HALMOS_TIMEOUT (per assertion query, default 300s).
set -euo pipefail
cd "$(dirname "$0")/.."
# one run at a time (pytest -n 2 may start the forge and the halmos step together): they share the
# venv, and the build in forge-out/ and forge-cache/
mkdir -p forge-cache
exec 9>forge-cache/.lock
flock 9
if [ ! -x .venv-halmos/bin/halmos ]; then
  echo "forge.sh: creating .venv-halmos (halmos 0.3.3, z3-solver)" >&2
  python3 -m venv .venv-halmos
  .venv-halmos/bin/python -m pip install --quiet --disable-pip-version-check \
    "halmos==0.3.3" "z3-solver==4.12.6.0" 2>&1 | grep -v "is ignored" >&2 || true
fi
[ -x node_modules/.bin/forge ] || npm ci --no-audit --no-fund --loglevel=error
[ "${1:-}" = "--setup" ] && exit 0
# halmos runs `forge build` itself and finds z3 on PATH
export PATH="$PWD/node_modules/.bin:$PWD/.venv-halmos/bin:$PATH"
what="${1:-all}"

if [ "$what" = all ] || [ "$what" = forge ]; then
  echo "== forge test (invariants: ${FOUNDRY_INVARIANT_RUNS:-64} runs x ${FOUNDRY_INVARIANT_DEPTH:-40} calls)"
  forge test --no-match-contract 'Symbolic$'
fi

if [ "$what" = all ] || [ "$what" = halmos ]; then
  halmos_run() {
    halmos --root . --forge-build-out forge-out --solver z3 --loop 8 \
      --solver-timeout-assertion "${HALMOS_TIMEOUT:-300s}" --match-contract 'Symbolic$' "$@"
  }
  if [ -n "${HALMOS_DEEP:-}" ]; then skip='reachable'; guards='^check_reachable'; else skip='reachable|deep'; guards='^check_reachable_(?!deep)'; fi
  echo "== halmos (symbolic proofs)"
  halmos_run --match-test "^check_(?!$skip)" 2>&1 | grep -v "parsing failure\|^\s*'ast'\|wiki/warnings#parsing-error"
  # A proof over no path proves nothing: each `check_reachable_*` asserts that the end of its
  # sequence cannot be reached with money moved, and halmos must find the counterexample.
  echo "== halmos (reachability guards: each must FAIL with a counterexample)"
  out="$(halmos_run --match-test "$guards" 2>&1 || true)"
  printf '%s\n' "$out" | grep -E "\[(PASS|FAIL|ERROR|TIMEOUT)\]|result" || true
  if printf '%s\n' "$out" | grep -qE "\[(PASS|ERROR|TIMEOUT)\]" || ! printf '%s\n' "$out" | grep -q "\[FAIL\]"; then
    echo "forge.sh: a reachability guard was not refuted: the proofs above may be vacuous" >&2
    exit 1
  fi
  echo "reachability guards: all refuted"
fi
