#!/usr/bin/env bash
# Reproduces Almanac's ingest figure end to end:
#
#   1. builds every binary of the workspace in release mode;
#   2. generates the TSBS devops cpu-only data set (100 hosts, 12 h, 10 s:
#      432,000 lines, 4.32 M field values) to a temporary directory;
#   3. starts `almanac server` on a fresh data directory;
#   4. loads the data with 4 workers in gzip batches of 5000 lines (v1 /write);
#   5. reads the server's peak RSS, CPU time and metrics, then sends SIGTERM
#      (a graceful shutdown persists the write buffer to Parquet) while
#      polling VmHWM until the process exits;
#   6. measures the Parquet files on disk, prints values/s, bytes per field
#      value and peak RSS, and writes bench/results/ingest-<date>.json.
#
# Usage: bash bench/ingest.sh
# Knobs (environment): SCALE=100 DURATION=12h INTERVAL=10s SEED=123
#   WORKERS=4 BATCH_SIZE=5000 API=v1 PORT=<free port> SKIP_BUILD=1 (use the
#   binaries already in target/release) KEEP=1 (keep the temporary directory)
#   RESULTS_DIR=bench/results
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SCALE="${SCALE:-100}"
DURATION="${DURATION:-12h}"
INTERVAL="${INTERVAL:-10s}"
SEED="${SEED:-123}"
START="${START:-2016-01-01T00:00:00Z}"
WORKERS="${WORKERS:-4}"
BATCH_SIZE="${BATCH_SIZE:-5000}"
API="${API:-v1}"
RESULTS_DIR="${RESULTS_DIR:-bench/results}"
BIN_DIR="${BIN_DIR:-target/release}"

log() { printf '==> %s\n' "$*" >&2; }

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    log "cargo build --release --workspace --bins"
    cargo build --release --workspace --bins
fi
ALMANAC="$ROOT/$BIN_DIR/almanac"
BENCH="$ROOT/$BIN_DIR/almanac-bench"
for bin in "$ALMANAC" "$BENCH"; do
    [[ -x "$bin" ]] || { echo "missing $bin (build it, or unset SKIP_BUILD)" >&2; exit 1; }
done

TMP="$(mktemp -d "${TMPDIR:-/tmp}/almanac-ingest.XXXXXX")"
DATA="$TMP/data"
LP="$TMP/cpu-only.lp"
SERVER_PID=""
POLL_PID=""

cleanup() {
    if [[ -n "$POLL_PID" ]] && kill -0 "$POLL_PID" 2>/dev/null; then
        kill "$POLL_PID" 2>/dev/null || true
    fi
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [[ "${KEEP:-0}" == 1 ]]; then
        log "kept $TMP"
    else
        rm -rf "$TMP"
    fi
}
trap cleanup EXIT

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if [[ -z "${PORT:-}" ]]; then
    for _ in $(seq 1 100); do
        candidate=$((20000 + RANDOM % 20000))
        if ! port_in_use "$candidate"; then
            PORT=$candidate
            break
        fi
    done
    [[ -n "${PORT:-}" ]] || { echo "no free port found" >&2; exit 1; }
fi
URL="http://127.0.0.1:$PORT"

GEN_ARGS=(--use-case cpu-only --scale "$SCALE" --seed "$SEED" --interval "$INTERVAL"
    --start "$START" --duration "$DURATION")

log "generating: almanac-bench gen ${GEN_ARGS[*]} --out $LP"
gen_started=$(date +%s.%N)
"$BENCH" gen "${GEN_ARGS[@]}" --out "$LP"
gen_seconds=$(awk -v a="$gen_started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
lp_bytes=$(stat -c %s "$LP")
log "generated $(wc -l <"$LP") lines, $lp_bytes bytes in ${gen_seconds}s"

log "starting: almanac server --data-dir $DATA --http-bind 127.0.0.1:$PORT"
"$ALMANAC" server --data-dir "$DATA" --http-bind "127.0.0.1:$PORT" >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
for i in $(seq 1 300); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "server exited during startup:" >&2
        cat "$TMP/server.log" >&2
        exit 1
    fi
    port_in_use "$PORT" && break
    sleep 0.1
    [[ $i == 300 ]] && { echo "server did not listen on $PORT within 30 s" >&2; exit 1; }
done

# VmHWM only grows; keep its latest value until the process is gone, so the
# persistence done during shutdown is covered too.
HWM_FILE="$TMP/vmhwm-kib"
(
    while [[ -r "/proc/$SERVER_PID/status" ]]; do
        v=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$SERVER_PID/status" 2>/dev/null || true)
        [[ -n "$v" ]] && echo "$v" >"$HWM_FILE"
        sleep 0.1
    done
) &
POLL_PID=$!

stat_value() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }

"$BENCH" server-stats --pid "$SERVER_PID" >"$TMP/stats-before.txt"
# Other work on the machine skews the figure: record how busy it was.
loadavg=$(cut -d' ' -f1-3 /proc/loadavg)

LOAD_CMD=("$BENCH" load --url "$URL" --db benchmark --create-db --workers "$WORKERS"
    --batch-size "$BATCH_SIZE" --gzip --api "$API" --file "$LP" --json "$TMP/load.json")
log "loading: ${LOAD_CMD[*]}"
load_status=0
"${LOAD_CMD[@]}" || load_status=$?

"$BENCH" server-stats --url "$URL" --pid "$SERVER_PID" >"$TMP/stats-after.txt"
cat "$TMP/stats-after.txt" >&2

log "SIGTERM: graceful shutdown persists the write buffer"
shutdown_started=$(date +%s.%N)
kill -TERM "$SERVER_PID"
server_status=0
wait "$SERVER_PID" || server_status=$?
shutdown_seconds=$(awk -v a="$shutdown_started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
SERVER_PID=""
wait "$POLL_PID" 2>/dev/null || true
POLL_PID=""
if [[ $server_status != 0 ]]; then
    echo "server exited with status $server_status; log:" >&2
    tail -50 "$TMP/server.log" >&2
fi
if grep -qiE ' (ERROR|WARN) ' "$TMP/server.log"; then
    log "server log warnings/errors:"
    grep -iE ' (ERROR|WARN) ' "$TMP/server.log" | tail -20 >&2
fi

parquet_files=$(find "$DATA" -name '*.parquet' | wc -l)
parquet_bytes=0
if [[ $parquet_files -gt 0 ]]; then
    parquet_bytes=$(find "$DATA" -name '*.parquet' -print0 | xargs -0 du -cb | tail -1 | cut -f1)
fi
data_dir_bytes=$(du -sb "$DATA" | cut -f1)

json_number() { grep -o "\"$1\": *[-0-9.eE+]*" "$TMP/load.json" | head -1 | sed 's/.*: *//'; }
lines=$(json_number lines)
field_values=$(json_number field_values)
values_per_sec=$(json_number values_per_sec)
rows_per_sec=$(json_number rows_per_sec)
wall_seconds=$(json_number wall_seconds)
failed_batches=$(json_number failed_batches)

hwm_before_bytes=$(stat_value peak_rss_bytes "$TMP/stats-after.txt")
hwm_final_kib=$(cat "$HWM_FILE" 2>/dev/null || echo 0)
peak_rss_bytes=$(awk -v a="$hwm_before_bytes" -v b="$((hwm_final_kib * 1024))" 'BEGIN { print (a > b ? a : b) }')
cpu_before=$(stat_value cpu_seconds "$TMP/stats-before.txt")
cpu_after=$(stat_value cpu_seconds "$TMP/stats-after.txt")
lines_stored=$(stat_value almanac_write_lines_total "$TMP/stats-after.txt")

bytes_per_value=$(awk -v p="$parquet_bytes" -v n="$field_values" 'BEGIN { printf "%.4f", (n > 0 ? p / n : 0) }')
peak_rss_mib=$(awk -v b="$peak_rss_bytes" 'BEGIN { printf "%.1f", b / 1048576 }')
load_peak_rss_mib=$(awk -v b="$hwm_before_bytes" 'BEGIN { printf "%.1f", b / 1048576 }')
server_cpu_seconds=$(awk -v a="$cpu_before" -v b="$cpu_after" 'BEGIN { printf "%.2f", b - a }')

json_string() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g' | tr -d '\n\r\t'; }
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
mem_total_kib=$(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)
git_rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n "$(git status --porcelain -- crates src Cargo.toml Cargo.lock 2>/dev/null)" ]]; then
    git_rev="$git_rev-dirty"
fi
date_utc=$(date -u +%Y-%m-%d)
mkdir -p "$RESULTS_DIR"
RESULT="$RESULTS_DIR/ingest-$date_utc.json"
command_line="SCALE=$SCALE DURATION=$DURATION INTERVAL=$INTERVAL SEED=$SEED WORKERS=$WORKERS BATCH_SIZE=$BATCH_SIZE API=$API bash bench/ingest.sh"
{
    printf '{\n'
    printf '  "benchmark": "ingest",\n'
    printf '  "date": "%s",\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    printf '  "git_rev": "%s",\n' "$(json_string "$git_rev")"
    printf '  "command": "%s",\n' "$(json_string "$command_line")"
    printf '  "machine": {"nproc": %s, "mem_total_kib": %s, "cpu_model": "%s", "kernel": "%s", "rustc": "%s", "loadavg_before_load": "%s"},\n' \
        "$(nproc)" "$mem_total_kib" "$(json_string "$cpu_model")" "$(json_string "$(uname -r)")" \
        "$(json_string "$(rustc --version 2>/dev/null || echo unknown)")" "$loadavg"
    printf '  "dataset": {"use_case": "cpu-only", "scale": %s, "seed": %s, "interval": "%s", "start": "%s", "duration": "%s", "lines": %s, "field_values": %s, "line_protocol_bytes": %s},\n' \
        "$SCALE" "$SEED" "$INTERVAL" "$START" "$DURATION" "$lines" "$field_values" "$lp_bytes"
    printf '  "values_per_sec": %s,\n' "$values_per_sec"
    printf '  "rows_per_sec": %s,\n' "$rows_per_sec"
    printf '  "load_wall_seconds": %s,\n' "$wall_seconds"
    printf '  "failed_batches": %s,\n' "$failed_batches"
    printf '  "lines_stored": %s,\n' "${lines_stored:-null}"
    printf '  "parquet_files": %s,\n' "$parquet_files"
    printf '  "parquet_bytes": %s,\n' "$parquet_bytes"
    printf '  "bytes_per_value": %s,\n' "$bytes_per_value"
    printf '  "data_dir_bytes_after_shutdown": %s,\n' "$data_dir_bytes"
    printf '  "peak_rss_bytes": %s,\n' "$peak_rss_bytes"
    printf '  "peak_rss_bytes_before_shutdown": %s,\n' "$hwm_before_bytes"
    printf '  "server_cpu_seconds_during_load": %s,\n' "$server_cpu_seconds"
    printf '  "shutdown_seconds": %s,\n' "$shutdown_seconds"
    printf '  "server_exit_status": %s,\n' "$server_status"
    printf '  "load": '
    sed '2,$s/^/  /' "$TMP/load.json"
    printf '}\n'
} >"$RESULT"

cat <<EOF

Almanac ingest benchmark ($date_utc, $(nproc) cores, $((mem_total_kib / 1048576)) GiB, ${cpu_model:-unknown CPU}, load average $loadavg)
command:          $command_line
load command:     almanac-bench load --url $URL --db benchmark --create-db --workers $WORKERS --batch-size $BATCH_SIZE --gzip --api $API --file cpu-only.lp
data set:         TSBS cpu-only, $SCALE hosts, $DURATION at $INTERVAL: $lines lines, $field_values field values
values/s:         $(printf '%.0f' "$values_per_sec")  (rows/s $(printf '%.0f' "$rows_per_sec"), $(printf '%.2f' "$wall_seconds") s wall)
bytes/value:      $bytes_per_value  ($parquet_bytes bytes in $parquet_files Parquet files)
peak RSS:         $peak_rss_mib MiB  ($load_peak_rss_mib MiB before shutdown)
server CPU:       ${server_cpu_seconds}s during the load; shutdown took ${shutdown_seconds}s
lines stored:     ${lines_stored:-?} (server metric)
result:           $RESULT
EOF

status=0
if [[ $load_status != 0 || $server_status != 0 ]]; then
    echo "FAILED: load exit $load_status, server exit $server_status" >&2
    status=1
fi
if [[ "${lines_stored%.*}" != "$lines" ]]; then
    echo "FAILED: server stored ${lines_stored:-?} lines, sent $lines" >&2
    status=1
fi
exit $status
