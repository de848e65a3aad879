#!/usr/bin/env bash
# `make test`: builds, starts a private broker on a free port (unless SLUICE_BROKERS names a cluster),
# runs every test against it, and stops the broker by PID whatever happens.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PKG_CONFIG_PATH="$ROOT/.deps/pkgconfig"

echo "==> swift build --build-tests"
swift build --build-tests ${SWIFT_BUILD_FLAGS:-}
BIN="$(swift build --show-bin-path)"

if [ -z "${SLUICE_BROKERS:-}" ]; then
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    STATE="$ROOT/.build/test-broker"
    trap '"$BIN/sluice" broker down --port "$PORT" --state-dir "$STATE"' EXIT
    "$BIN/sluice" broker up --port "$PORT" --state-dir "$STATE"
    export SLUICE_BROKERS="127.0.0.1:$PORT" SLUICE_TEST_BROKER=tansu
else
    echo "==> using SLUICE_BROKERS=$SLUICE_BROKERS"
fi
export SLUICE_BIN="$BIN"

echo "==> swift test"
swift test --skip-build ${SWIFT_TEST_FLAGS:-}
