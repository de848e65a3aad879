#!/usr/bin/env bash
# Benchmarks: `bash scripts/bench.sh kafka|pipeline|all [sluice-bench options]`, run by `make bench-kafka` (the Kafka
# layer vs rdkafka_performance) and `make bench` (all = pipeline: sluice workers end to end vs a C relay chain, a delay
# node, worker memory) after `make release`. The table goes to stdout, progress to stderr.
#
# The benchmark binary starts a fresh Tansu broker (on a free port) for each measurement and stops it by PID;
# brokers live in a state directory of their own, and the EXIT trap stops any that are left (Ctrl-C, a crash).
#
#   BENCH_COUNT=200000 make bench-kafka      messages per measurement (default 1000000 for kafka: a 200,000-message
#                                            run lasts ~0.2 s and swings by ±40%; 200000 for the pipeline)
#   BENCH_REPEATS=3 make bench-kafka         measurements per cell; the table shows the median (default 3 for
#                                            kafka, 1 for pipeline)
#   SLUICE_BENCH_BIN=.build-bench/release    where sluice-bench and sluice are (default .build/release)
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
export PKG_CONFIG_PATH=${PKG_CONFIG_PATH:-$ROOT/.deps/pkgconfig}
BIN=${SLUICE_BENCH_BIN:-$ROOT/.build/release}
RELAY_SRC=Benchmarks/c-relay/relay.c
RELAY_BIN=$ROOT/.build-bench/c-relay/relay

usage() {
    echo "usage: bash scripts/bench.sh kafka|pipeline|all [sluice-bench options]" >&2
    exit 2
}

STATE=$(mktemp -d "${TMPDIR:-/tmp}/sluice-bench.XXXXXX")

# Stops every broker whose PID file is still in $STATE, through `sluice broker down` (by PID).
stop_brokers() {
    local pidfile port
    for pidfile in "$STATE"/broker-*.pid; do
        [[ -e $pidfile ]] || continue
        port=${pidfile##*/broker-}
        port=${port%.pid}
        if [[ -x $BIN/sluice ]]; then
            "$BIN/sluice" broker down --port "$port" --state-dir "$STATE" >&2 || true
        else
            kill "$(cat "$pidfile")" 2>/dev/null || true
        fi
    done
    rm -rf "$STATE"
}
trap stop_brokers EXIT
trap 'exit 130' INT TERM

# Builds the C relay, the baseline of the relay row; fails (status 1) without its source.
build_c_relay() {
    if [[ ! -f $RELAY_SRC ]]; then
        echo "note: $RELAY_SRC not found: the relay row shows n/a for C" >&2
        return 1
    fi
    if [[ ! $RELAY_BIN -nt $RELAY_SRC ]]; then
        mkdir -p "$(dirname "$RELAY_BIN")"
        # shellcheck disable=SC2046  # pkg-config prints several flags
        cc -O2 -o "$RELAY_BIN" "$RELAY_SRC" $(pkg-config --cflags --libs rdkafka) ||
            { echo "error: cannot compile $RELAY_SRC" >&2; exit 1; }
    fi
}

bench_kafka() {
    local relay=()
    if build_c_relay; then relay=(--c-relay "$RELAY_BIN"); fi
    "$BIN/sluice-bench" kafka \
        --count "${BENCH_COUNT:-1000000}" --repeats "${BENCH_REPEATS:-3}" --state-dir "$STATE" \
        --c-tool "$ROOT/.deps/bin/rdkafka_performance" "${relay[@]}" "$@"
}

# Worker processes (and C relays) are started and stopped by PID by sluice-bench itself; their logs are kept in the
# state directory until the run ends.
bench_pipeline() {
    local relay=()
    if build_c_relay; then relay=(--c-relay "$RELAY_BIN"); fi
    "$BIN/sluice-bench" pipeline \
        --count "${BENCH_COUNT:-200000}" --repeats "${BENCH_REPEATS:-1}" --state-dir "$STATE" \
        --sluice "$BIN/sluice" "${relay[@]}" "$@"
}

# Other brokers or workers share the 2 cores with the measurement: even an idle broker left over from a test run
# lowered a day of results. Say so up front rather than print skewed tables silently.
warn_about_other_processes() {
    local others
    others=$(pgrep -a -f 'bin/tansu broker|sluice worker|c-relay/relay' || true)
    if [[ -n $others ]]; then
        echo "warning: other brokers or workers are running and will skew the results:" >&2
        echo "$others" | cut -c1-160 | sed 's/^/  /' >&2
    fi
}

[[ $# -ge 1 ]] || usage
warn_about_other_processes
what=$1
shift
case $what in
    kafka) bench_kafka "$@" ;;
    pipeline) bench_pipeline "$@" ;;
    all) bench_kafka && bench_pipeline ;;
    *) usage ;;
esac
