#!/usr/bin/env bash
# The Flux-vs-InfluxQL figure of docs/benchmarks.md ("Flux vs InfluxQL"):
#
#   1. starts `almanac server` (release) on a fresh data directory;
#   2. loads the TSBS cpu-only data set (SCALE hosts × DURATION, 10 s);
#   3. stops the server with SIGTERM (the write buffer is persisted to
#      Parquet) and starts it again, so queries read files as in production;
#   4. `almanac-bench query --lang both`: every TSBS query type in InfluxQL
#      then in Flux, one worker, answers cross-checked, the Flux/InfluxQL
#      median ratio per type printed and written to
#      bench/results/flux-vs-influxql-<date>.json.
#
# Usage: bash bench/flux_vs_influxql.sh
# Knobs (environment): SCALE=10 DURATION=12h QUERIES=10 TYPES=all
#   BIN_DIR=target/release PORT=<free port> KEEP=1 RESULTS_DIR=bench/results
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SCALE="${SCALE:-10}"
DURATION="${DURATION:-12h}"
QUERIES="${QUERIES:-10}"
TYPES="${TYPES:-all}"
RESULTS_DIR="${RESULTS_DIR:-bench/results}"
BIN_DIR="${BIN_DIR:-${CARGO_TARGET_DIR:-target}/release}"
ALMANAC="$BIN_DIR/almanac"
BENCH="$BIN_DIR/almanac-bench"
for bin in "$ALMANAC" "$BENCH"; do
    [[ -x "$bin" ]] || { echo "missing $bin (cargo build --release -p almanac -p almanac-bench)" >&2; exit 1; }
done

log() { printf '==> %s\n' "$*" >&2; }

TMP="$(mktemp -d "${TMPDIR:-/tmp}/almanac-fluxbench.XXXXXX")"
SERVER_PID=""
cleanup() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [[ "${KEEP:-0}" == 1 ]]; then log "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if [[ -z "${PORT:-}" ]]; then
    for _ in $(seq 1 100); do
        candidate=$((20000 + RANDOM % 20000))
        port_in_use "$candidate" || { PORT=$candidate; break; }
    done
fi
URL="http://127.0.0.1:$PORT"

start_server() {
    "$ALMANAC" server --data-dir "$TMP/data" --http-bind "127.0.0.1:$PORT" >>"$TMP/server.log" 2>&1 &
    SERVER_PID=$!
    for i in $(seq 1 600); do
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$TMP/server.log" >&2; exit 1; }
        port_in_use "$PORT" && return 0
        sleep 0.1
    done
    echo "server did not listen on $PORT within 60 s" >&2
    exit 1
}

GEN=(--scale "$SCALE" --duration "$DURATION")
log "loading ${GEN[*]} into $URL"
start_server
"$BENCH" load --url "$URL" --create-db --workers 4 --gzip --quiet "${GEN[@]}"
log "restarting (persist to Parquet)"
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || true
SERVER_PID=""
start_server
mkdir -p "$RESULTS_DIR"
OUT="$RESULTS_DIR/flux-vs-influxql-$(date -u +%F).json"
log "almanac-bench query --lang both ${GEN[*]} --queries $QUERIES --workers 1"
"$BENCH" query --url "$URL" --lang both --types "$TYPES" --queries "$QUERIES" --workers 1 \
    "${GEN[@]}" --json "$OUT"
log "wrote $OUT"
