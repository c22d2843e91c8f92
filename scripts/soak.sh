#!/usr/bin/env bash
# soak.sh: memory soak of chatd on its embedded defaults (what `make run`
# starts: local PostgreSQL, in-process broker). It runs cmd/chatbench's
# direct scenario at SOAK_RATE messages/s for SOAK_DURATION, then idles
# for SOAK_COOLDOWN, and every SOAK_EVERY prints chatd's resident memory
# and Go heap in use, read from its /metrics. Flat memory means both stop
# growing after the first minutes and stay there after the load stops.
#
#   SOAK_DURATION=30m SOAK_RATE=500 SOAK_EVERY=30s SOAK_IDLE_SAMPLES=4
#   SOAK_OUT=FILE   also write the samples there (TSV)
set -euo pipefail
cd "$(dirname "$0")/.."
prog=soak.sh
source scripts/lib.sh

GO=${GO:-go}
DURATION=${SOAK_DURATION:-30m}
RATE=${SOAK_RATE:-500}
EVERY=${SOAK_EVERY:-30s}
IDLE_SAMPLES=${SOAK_IDLE_SAMPLES:-4}
OUT=${SOAK_OUT:-/dev/null}
TMP=$(mktemp -d /tmp/chatd-soak.XXXXXX)
ADMIN_TOKEN=soak-admin-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
JWT_SECRET=soak-jwt-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
CHATD_PID=""
BENCH_PID=""

cleanup() {
	if [[ -n $BENCH_PID ]]; then kill "$BENCH_PID" 2>/dev/null || true; fi
	if [[ -n $CHATD_PID ]] && kill -0 "$CHATD_PID" 2>/dev/null; then
		kill -TERM "$CHATD_PID"
		# chatd stops its embedded PostgreSQL on SIGTERM.
		wait_until 600 "$CHATD_PID" false || true
		kill -KILL "$CHATD_PID" 2>/dev/null || true
		scripts/pg.sh stop "$TMP/data/pg" >/dev/null 2>&1 || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT

echo "== building chatd and chatbench"
$GO build -o "$TMP/chatd" ./cmd/chatd
$GO build -o "$TMP/chatbench" ./cmd/chatbench

port=$(pick_port)
kport=$(pick_port)
BASE=http://127.0.0.1:$port
mkdir -p "$TMP/data"
env -u DATABASE_URL -u KAFKA_BROKERS \
	CHAT_DATA_DIR="$TMP/data" \
	CHAT_HTTP_ADDR="127.0.0.1:$port" \
	CHAT_EMBEDDED_KAFKA_ADDR="127.0.0.1:$kport" \
	CHAT_ADMIN_TOKEN="$ADMIN_TOKEN" \
	CHAT_JWT_SECRET="$JWT_SECRET" \
	CHAT_SEND_RATE=1000000 \
	CHAT_SEND_BURST=1000000 \
	CHAT_HEARTBEAT_INTERVAL=5m \
	"$TMP/chatd" >"$TMP/chatd.log" 2>&1 &
CHATD_PID=$!
if ! wait_until 1200 "$CHATD_PID" http_ok "$BASE/readyz"; then
	tail -n 30 "$TMP/chatd.log" >&2
	die "chatd did not become ready"
fi

# metric NAME prints the value of an unlabelled series of /metrics.
metric() {
	curl -fsS "$BASE/metrics" | awk -v n="$1" '$1 == n { printf "%.0f", $2 }'
}

sample() {
	local phase=$1 rss heap sent
	rss=$(metric process_resident_memory_bytes)
	heap=$(metric go_memstats_heap_inuse_bytes)
	sent=$(curl -fsS "$BASE/metrics" | awk '/^chatd_ws_commands_total\{.*type="send_message"/ && /result="ok"/ { s += $2 } END { printf "%.0f", s }')
	printf '%s\t%s\t%d\t%d\t%s\n' "$(date -u +%H:%M:%S)" "$phase" $((rss >> 20)) $((heap >> 20)) "$sent" | tee -a "$OUT"
}

echo "== direct messages at $RATE/s for $DURATION, then $IDLE_SAMPLES idle samples"
printf 'time\tphase\trss_MiB\theap_inuse_MiB\tmessages_sent\n' | tee "$OUT"
sample start
"$TMP/chatbench" -url "$BASE" -admin-token "$ADMIN_TOKEN" -scenario direct \
	-pairs 100 -rate "$RATE" -duration "$DURATION" -json "$TMP/report.json" >"$TMP/bench.log" 2>&1 &
BENCH_PID=$!
while kill -0 "$BENCH_PID" 2>/dev/null; do
	sleep "$EVERY" # the sampling interval
	sample load
done
bench_status=0
wait "$BENCH_PID" || bench_status=$?
BENCH_PID=""
for ((i = 0; i < IDLE_SAMPLES; i++)); do
	sleep "$EVERY"
	sample idle
done
echo "== chatbench (exit $bench_status):"
tail -n 25 "$TMP/bench.log"
exit "$bench_status"
