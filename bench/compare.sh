#!/usr/bin/env bash
# Runs Almanac's comparison against its peers and regenerates the results in
# docs/benchmarks.md. A thin wrapper around `almanac-bench`:
#
#   1. builds `almanac` and `almanac-bench` in release mode (SKIP_BUILD=1 reuses them);
#   2. `almanac-bench compare`: Almanac, influxd 1.6.7 and VictoriaMetrics
#      (Debian packages `influxdb` and `victoria-metrics`, installed with
#      apt-get when missing), one after the other in temporary directories on
#      loopback: the same TSBS cpu-only data set (100 hosts × 12 h, 10 s),
#      4 clients, 5,000-line gzip batches, then the TSBS devops queries;
#      writes bench/results/compare-<date>.json;
#   3. `almanac-bench cardinality` (unless SKIP_CARDINALITY=1): 10k → 100k → 1M
#      series, Almanac and influxd; writes bench/results/cardinality-<date>.json;
#   4. `almanac-bench report`: rewrites the generated sections of
#      docs/benchmarks.md and the SVG charts in bench/results/.
#
# Knobs (environment): SCALE=100 DURATION=12h WORKERS=4 BATCH_SIZE=5000
#   QUERIES=20 QUERY_WORKERS=4 TARGETS=almanac,influxd,victoria-metrics
#   STEPS=10000,100000,1000000 LINES_PER_STEP=1000000 BIN_DIR=target/release
#   SKIP_BUILD=1 SKIP_CARDINALITY=1 RESULTS_DIR=bench/results
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SCALE="${SCALE:-100}"
DURATION="${DURATION:-12h}"
WORKERS="${WORKERS:-4}"
BATCH_SIZE="${BATCH_SIZE:-5000}"
QUERIES="${QUERIES:-20}"
QUERY_WORKERS="${QUERY_WORKERS:-4}"
TARGETS="${TARGETS:-almanac,influxd,victoria-metrics}"
STEPS="${STEPS:-10000,100000,1000000}"
LINES_PER_STEP="${LINES_PER_STEP:-1000000}"
RESULTS_DIR="${RESULTS_DIR:-bench/results}"
BIN_DIR="${BIN_DIR:-${CARGO_TARGET_DIR:-target}/release}"

log() { printf '==> %s\n' "$*" >&2; }

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    log "cargo build --release --bin almanac -p almanac-bench"
    cargo build --release --bin almanac -p almanac-bench
fi
ALMANAC="$BIN_DIR/almanac"
BENCH="$BIN_DIR/almanac-bench"
for bin in "$ALMANAC" "$BENCH"; do
    [[ -x "$bin" ]] || { echo "missing $bin (build it, or unset SKIP_BUILD)" >&2; exit 1; }
done

log "compare"
"$BENCH" compare --almanac-bin "$ALMANAC" --targets "$TARGETS" \
    --scale "$SCALE" --duration "$DURATION" --workers "$WORKERS" --batch-size "$BATCH_SIZE" \
    --queries "$QUERIES" --query-workers "$QUERY_WORKERS" --results-dir "$RESULTS_DIR"

if [[ "${SKIP_CARDINALITY:-0}" != 1 ]]; then
    log "cardinality"
    "$BENCH" cardinality --almanac-bin "$ALMANAC" --steps "$STEPS" \
        --lines-per-step "$LINES_PER_STEP" --workers "$WORKERS" --batch-size "$BATCH_SIZE" \
        --results-dir "$RESULTS_DIR"
fi

log "report"
"$BENCH" report --results-dir "$RESULTS_DIR" --doc docs/benchmarks.md
