#!/usr/bin/env bash
# Registers an anvil node with brownie as network NAME (default starfish-anvil) at URL
# (default http://127.0.0.1:8545). `brownie networks add` is the supported way: a `networks:`
# section in brownie-config.yaml crashes this brownie. Re-running replaces the entry.
set -euo pipefail
cd "$(dirname "$0")/.."
URL="${1:-http://127.0.0.1:8545}"
NAME="${2:-starfish-anvil}"
CHAIN_ID="${3:-31337}"
bash scripts/brownie.sh networks delete "$NAME" >/dev/null 2>&1 || true
bash scripts/brownie.sh networks add Ethereum "$NAME" host="$URL" chainid="$CHAIN_ID" >/dev/null
echo "brownie network $NAME -> $URL (chain $CHAIN_ID)"
