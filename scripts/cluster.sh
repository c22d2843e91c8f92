#!/usr/bin/env bash
# make cluster: a local cluster to watch the consistent hash ring work:
# etcd, one PostgreSQL holding the directory and CLUSTER_SHARDS shard
# databases, the development broker (cmd/devbroker, a process of its own)
# and CLUSTER_NODES chatd nodes on 127.0.0.1. A node that dies
# leaves the others running; Ctrl-C stops everything. PostgreSQL keeps its
# data under .data/cluster/pg for the next run.
#
#   scripts/cluster.sh [up]     start the cluster and follow the nodes' logs
#   scripts/cluster.sh kill N   SIGKILL node N: a crash; the others drop it
#                               from the ring when its etcd lease expires
#   scripts/cluster.sh stop N   SIGTERM node N: it leaves the ring at once
#                               and closes its connections with 1012
#   scripts/cluster.sh start N  start node N again (or a new one, N > 3)
#   scripts/cluster.sh watch    live view: nodes, ring shares, connections
#                               and ring changes, from every node's /metrics
#   scripts/cluster.sh owners   which node owns each of 12 demo users (made
#                               on first use), asked of a live node
#
#   CLUSTER_BASE_PORT=8081   node i listens on BASE_PORT + i - 1
#   CLUSTER_NODES=3          how many nodes `up` starts
#   CLUSTER_SHARDS=3         how many shard databases a new cluster's
#                            channels are spread over (its first start
#                            decides; the directory keeps the map)
#
# The walk-through is in docs/consistent-hashing.md.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
BASE_PORT=${CLUSTER_BASE_PORT:-8081}
NODES=${CLUSTER_NODES:-3}
SHARDS=${CLUSTER_SHARDS:-3}
DIR=.data/cluster
# Development secrets, fixed so tokens survive a restart of the cluster.
export CHAT_ADMIN_TOKEN=${CHAT_ADMIN_TOKEN:-cluster-dev-admin-token}
export CHAT_JWT_SECRET=${CHAT_JWT_SECRET:-cluster-dev-jwt-secret-0123}
export CHAT_CLUSTER_SECRET=${CHAT_CLUSTER_SECRET:-cluster-dev-node-secret-0123}

prog=cluster.sh
source scripts/lib.sh

node_port() { echo $((BASE_PORT + $1 - 1)); }
pid_of() { cat "$DIR/$1.pid" 2>/dev/null || true; }

# alive NAME: the process of NAME's pid file runs.
alive() {
	local pid
	pid=$(pid_of "$1")
	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null
}

gone() { ! alive "$1"; }

check_node() {
	[[ $1 =~ ^[1-9][0-9]*$ ]] || die "node number expected, got '$1'"
	[[ -f $DIR/env ]] || die "no cluster is running here; start one with 'make cluster'"
}

# start_node N: runs node N in a session of its own (so that Ctrl-C in
# another terminal does not reach it), logging to $DIR/node-N.log.
start_node() {
	local n=$1 port pid
	check_node "$n"
	alive "node-$n" && die "node-$n runs already (pid $(pid_of "node-$n"))"
	port=$(node_port "$n")
	# shellcheck source=/dev/null
	source "$DIR/env"
	DATABASE_URL=$DATABASE_URL ETCD_ENDPOINTS=$ETCD_ENDPOINTS KAFKA_BROKERS=$KAFKA_BROKERS \
		CHAT_SHARD_URLS=$CHAT_SHARD_URLS CHAT_NODE_ID=node-$n CHAT_HTTP_ADDR=127.0.0.1:$port CHAT_DATA_DIR=$DIR/node-$n \
		setsid bin/chatd >>"$DIR/node-$n.log" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$DIR/node-$n.pid"
	wait_until 600 "$pid" http_ok "http://127.0.0.1:$port/readyz" ||
		die "node-$n did not become ready; see $DIR/node-$n.log"
	note "node-$n ready on port $port (pid $pid)"
}

# signal_node SIGNAL N: sends SIGNAL and waits until the node is gone.
signal_node() {
	local sig=$1 n=$2
	check_node "$n"
	alive "node-$n" || die "node-$n is not running"
	kill "-$sig" "$(pid_of "node-$n")"
	wait_until 300 "" gone "node-$n" || die "node-$n still runs 30 s after SIG$sig"
	rm -f "$DIR/node-$n.pid"
	note "node-$n stopped (SIG$sig)"
}

stop_all() {
	local f name
	for f in "$DIR"/node-*.pid "$DIR"/broker.pid; do
		[[ -f $f ]] || continue
		name=$(basename "$f" .pid)
		if alive "$name"; then
			kill -TERM "$(pid_of "$name")" 2>/dev/null || true
			wait_until 300 "" gone "$name" || kill -KILL "$(pid_of "$name")" 2>/dev/null || true
		fi
		rm -f "$f"
	done
	[[ -n ${TAIL_PID:-} ]] && kill "$TAIL_PID" 2>/dev/null
	rm -f "$DIR/env"
	scripts/etcd.sh stop "$DIR/etcd" || true
	scripts/pg.sh stop "$DIR/pg" || true
}

up() {
	[[ -f $DIR/env ]] && alive broker && die "a cluster runs already; 'scripts/cluster.sh watch' shows it"
	mkdir -p "$DIR"
	trap stop_all EXIT
	# Ctrl-C or SIGTERM end the script through its EXIT trap.
	trap 'exit 130' INT
	trap 'exit 143' TERM
	$GO build -buildvcs=auto -o bin/chatd ./cmd/chatd
	$GO build -o bin/devbroker ./cmd/devbroker
	local pg etcd kport
	pg=$(scripts/pg.sh start "$DIR/pg")
	etcd=$(scripts/etcd.sh start "$DIR/etcd")
	kport=$(pick_port)
	setsid bin/devbroker -addr "127.0.0.1:$kport" >>"$DIR/broker.log" 2>&1 </dev/null &
	echo $! >"$DIR/broker.pid"
	wait_until 100 "$!" port_busy "$kport" || die "the development broker did not start; see $DIR/broker.log"
	local shards=() i
	for ((i = 1; i <= SHARDS; i++)); do
		shards+=("s$i=$(scripts/pg.sh database "$DIR/pg" "chat_shard_$i")")
	done
	printf 'DATABASE_URL=%q\nETCD_ENDPOINTS=%q\nKAFKA_BROKERS=%q\nCHAT_SHARD_URLS=%q\n' "$pg" "$etcd" "127.0.0.1:$kport" \
		"$(IFS=,; echo "${shards[*]}")" >"$DIR/env"
	for ((i = 1; i <= NODES; i++)); do
		: >"$DIR/node-$i.log"
		start_node "$i"
	done
	note "etcd at $etcd; broker at 127.0.0.1:$kport; nodes on ports $BASE_PORT..$((BASE_PORT + NODES - 1))"
	note "admin token: $CHAT_ADMIN_TOKEN"
	note "in another terminal: scripts/cluster.sh watch | kill N | stop N | start N"
	note "Ctrl-C stops the cluster; the nodes' logs follow"
	tail -n 0 -F "$DIR"/node-*.log &
	TAIL_PID=$!
	# Nodes come and go (kill, start); the cluster lives until Ctrl-C.
	while alive broker; do
		sleep 1 # waiting for Ctrl-C
	done
	note "the development broker stopped; see $DIR/broker.log"
}

port_busy() { ! port_free "$1"; }

# owners: the owner of each demo user, from GET /v1/gateway on the first
# node that answers (every node computes the same ring).
owners() {
	local n port="" i id token answer
	for n in $(seq 1 "$NODES"); do
		if http_ok "http://127.0.0.1:$(node_port "$n")/readyz"; then
			port=$(node_port "$n")
			break
		fi
	done
	[[ -n $port ]] || die "no node answers"
	for i in $(seq -w 1 12); do
		id=demo-user-$i
		# 201 the first time, 409 after: either way the user exists.
		curl -sS -o /dev/null -X POST -H "Authorization: Bearer $CHAT_ADMIN_TOKEN" \
			-H 'Content-Type: application/json' -d "{\"id\":\"$id\",\"name\":\"$id\"}" \
			"http://127.0.0.1:$port/admin/v1/users"
		token=$(curl -fsS -X POST -H "Authorization: Bearer $CHAT_ADMIN_TOKEN" \
			"http://127.0.0.1:$port/admin/v1/users/$id/tokens" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
		answer=$(curl -fsS -H "Authorization: Bearer $token" "http://127.0.0.1:$port/v1/gateway")
		printf '%s -> %s\n' "$id" "$(sed -n 's/.*"nodeId":"\([^"]*\)".*/\1/p' <<<"$answer")"
	done
}

case ${1:-up} in
up) up ;;
kill) signal_node KILL "${2:?usage: scripts/cluster.sh kill N}" ;;
stop) signal_node TERM "${2:?usage: scripts/cluster.sh stop N}" ;;
start) start_node "${2:?usage: scripts/cluster.sh start N}" ;;
watch) exec scripts/cluster-watch.sh ;;
owners) owners ;;
*)
	echo "usage: scripts/cluster.sh [up] | kill N | stop N | start N | watch | owners" >&2
	exit 2
	;;
esac
