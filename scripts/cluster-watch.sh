#!/usr/bin/env bash
# cluster-watch.sh (scripts/cluster.sh watch): a live view of the local
# cluster of `make cluster`, redrawn every second from each node's
# /metrics: whether it answers, its connections, how it sees the ring
# (members and their shares of the users) and how often its ring changed,
# followed by the last ring changes as they happened.
#
#   CLUSTER_BASE_PORT=8081 CLUSTER_NODES=3   as for scripts/cluster.sh
#   WATCH_EVERY=1                            seconds between redraws
set -euo pipefail
cd "$(dirname "$0")/.."

BASE_PORT=${CLUSTER_BASE_PORT:-8081}
NODES=${CLUSTER_NODES:-3}
EVERY=${WATCH_EVERY:-1}
DIR=.data/cluster
declare -A last_ring=()
events=()

# nodes prints the node numbers to poll: 1..CLUSTER_NODES and any node
# started later (it has a log file).
nodes() {
	local f n
	{
		seq 1 "$NODES"
		for f in "$DIR"/node-*.log; do
			[[ -f $f ]] || continue
			n=${f##*/node-}
			echo "${n%.log}"
		done
	} | sort -nu
}

# summary METRICS prints "connections ring_nodes ring_changes shares...",
# the shares as member=percent sorted by member.
summary() {
	awk '
		$1 == "chatd_ws_connections" { conns = $2 }
		$1 ~ /^chatd_ring_nodes/ { nodes = $2 }
		$1 ~ /^chatd_ring_changes_total/ { changes = $2 }
		$1 ~ /^chatd_ring_share\{/ {
			if (match($1, /member="[^"]*"/)) {
				m = substr($1, RSTART + 8, RLENGTH - 9)
				shares[m] = sprintf("%s=%.1f%%", m, $2 * 100)
			}
		}
		END {
			printf "%d %d %d", conns, nodes, changes
			for (m in shares) printf " %s", shares[m]
			printf "\n"
		}'
}

# sorted WORDS... prints the words sorted, on one line.
sorted() {
	printf '%s\n' "$@" | sort | paste -sd ' ' -
}

while true; do
	table=$(printf '%-8s %-6s %-6s %11s %10s %8s  %s\n' NODE PORT STATE CONNECTIONS RING_NODES CHANGES "RING SHARES (as this node sees them)")
	total=0
	for n in $(nodes); do
		port=$((BASE_PORT + n - 1))
		if ! metrics=$(curl -fsS --max-time 1 "http://127.0.0.1:$port/metrics" 2>/dev/null); then
			table+=$'\n'$(printf '%-8s %-6s %-6s' "node-$n" "$port" down)
			if [[ -n ${last_ring[$n]:-} && ${last_ring[$n]} != down ]]; then
				events+=("$(date +%T) node-$n stopped answering")
			fi
			last_ring[$n]=down
			continue
		fi
		read -r conns ring_nodes changes shares <<<"$(summary <<<"$metrics")"
		# shellcheck disable=SC2086 # the shares are words on purpose
		shares=$(sorted $shares)
		total=$((total + conns))
		table+=$'\n'$(printf '%-8s %-6s %-6s %11d %10d %8d  %s' "node-$n" "$port" up "$conns" "$ring_nodes" "$changes" "$shares")
		if [[ ${last_ring[$n]:-} != "$shares" ]]; then
			if [[ -n ${last_ring[$n]:-} ]]; then
				events+=("$(date +%T) node-$n now sees $ring_nodes node(s): $shares")
			fi
			last_ring[$n]=$shares
		fi
	done
	if ((${#events[@]} > 12)); then
		events=("${events[@]: -12}")
	fi
	clear
	echo "make cluster, $(date +%T); Ctrl-C leaves the view (the cluster keeps running)"
	echo
	echo "$table"
	echo
	echo "connections on all nodes: $total"
	echo
	echo "ring changes (newest last):"
	for e in "${events[@]+"${events[@]}"}"; do
		echo "  $e"
	done
	sleep "$EVERY" # the redraw interval
done
