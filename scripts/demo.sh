#!/usr/bin/env bash
# `make demo`: the main job on the embedded default. Starts a local broker (unless SLUICE_BROKERS names a
# cluster), validates, plans and deploys an example graph twice (the second deploy changes nothing),
# then undeploys it and stops the broker it started (KEEP_BROKER=1 keeps it running).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SPEC="${SPEC:-examples/specs/fanout-join.yaml}"
SLUICE="$(swift build --show-bin-path)/sluice"
PORT="${BROKER_PORT:-9092}"

if [ -z "${SLUICE_BROKERS:-}" ]; then
    "$SLUICE" broker up --port "$PORT"
    [ "${KEEP_BROKER:-0}" = 1 ] || trap '"$SLUICE" broker down --port "$PORT"' EXIT
    export SLUICE_BROKERS="127.0.0.1:$PORT"
fi

echo; echo "==> sluice validate $SPEC"; "$SLUICE" validate "$SPEC"
echo; echo "==> sluice validate examples/invalid/unknown-reference.yaml (must fail)"
"$SLUICE" validate examples/invalid/unknown-reference.yaml || true
echo; echo "==> sluice topology $SPEC"; "$SLUICE" topology "$SPEC"
echo; echo "==> sluice deploy $SPEC"; "$SLUICE" deploy "$SPEC"
echo; echo "==> sluice deploy $SPEC (again: nothing changes)"; "$SLUICE" deploy "$SPEC"
echo; echo "==> sluice broker status"; "$SLUICE" broker status --port "$PORT"
echo; echo "==> sluice undeploy $SPEC --delete-topics"; "$SLUICE" undeploy "$SPEC" --delete-topics
