#!/usr/bin/env bash
# `make demo`: the main job on the embedded default. Starts a local broker (unless SLUICE_BROKERS names a
# cluster), deploys the linear example graph, starts one worker process per node, publishes inputs, reads
# every output back, then stops the workers (by PID), undeploys and stops the broker it started
# (KEEP_BROKER=1 keeps the broker running).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SPEC="${SPEC:-examples/specs/linear.yaml}"
COUNT="${COUNT:-1000}"
SLUICE="$(swift build --show-bin-path)/sluice"
PORT="${BROKER_PORT:-9092}"
LOGS="$ROOT/.sluice/demo"
mkdir -p "$LOGS"
WORKERS=()

cleanup() {
    for pid in "${WORKERS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${WORKERS[@]}"; do wait "$pid" 2>/dev/null || true; done
    "$SLUICE" undeploy "$SPEC" --delete-topics >/dev/null 2>&1 || true
    if [ -n "${STARTED_BROKER:-}" ] && [ "${KEEP_BROKER:-0}" != 1 ]; then "$SLUICE" broker down --port "$PORT"; fi
}
trap cleanup EXIT

if [ -z "${SLUICE_BROKERS:-}" ]; then
    "$SLUICE" broker up --port "$PORT"
    STARTED_BROKER=1
    export SLUICE_BROKERS="127.0.0.1:$PORT"
fi

echo; echo "==> sluice validate $SPEC"; "$SLUICE" validate "$SPEC"
echo; echo "==> sluice topology $SPEC"; "$SLUICE" topology "$SPEC"
echo; echo "==> sluice deploy $SPEC"; "$SLUICE" deploy "$SPEC"
echo; echo "==> sluice deploy $SPEC (again: nothing changes)"; "$SLUICE" deploy "$SPEC"

echo; echo "==> one worker process per node (logs in $LOGS)"
for node in parse enrich store; do
    "$SLUICE" worker "$SPEC" --node "$node" >"$LOGS/$node.log" 2>&1 &
    WORKERS+=($!)
    echo "    sluice worker $SPEC --node $node   (pid $!)"
done

echo; echo "==> sluice publish $SPEC --input events --count $COUNT"
"$SLUICE" publish "$SPEC" --input events --count "$COUNT"

echo; echo "==> sluice tail $SPEC --output stored --count $COUNT --summary"
"$SLUICE" tail "$SPEC" --output stored --count "$COUNT" --summary --idle 30
echo; echo "==> first outputs"; "$SLUICE" tail "$SPEC" --output stored --count 3
echo; echo "==> stopping workers (SIGTERM: drain, commit, leave the group) and undeploying"
