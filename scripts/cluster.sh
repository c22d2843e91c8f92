#!/usr/bin/env bash
# make cluster: a local cluster to watch the consistent hash ring work:
# etcd, one PostgreSQL and three chatd nodes on 127.0.0.1 sharing the
# in-process development broker (node 1 hosts it at CHAT_EMBEDDED_KAFKA_ADDR,
# the others join it). Ctrl-C stops the nodes and etcd; PostgreSQL keeps
# its data under .data/cluster/pg for the next run.
#
#   CLUSTER_BASE_PORT=8081   node i listens on BASE_PORT + i - 1
#   CLUSTER_NODES=3          how many nodes
#
# Then, for example:
#   curl -s -H "Authorization: Bearer $CHAT_ADMIN_TOKEN" localhost:8081/admin/v1/cluster
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
BASE_PORT=${CLUSTER_BASE_PORT:-8081}
NODES=${CLUSTER_NODES:-3}
DIR=.data/cluster
# Development secrets, fixed so tokens survive a restart of the cluster.
export CHAT_ADMIN_TOKEN=${CHAT_ADMIN_TOKEN:-cluster-dev-admin-token}
export CHAT_JWT_SECRET=${CHAT_JWT_SECRET:-cluster-dev-jwt-secret-0123}
export CHAT_CLUSTER_SECRET=${CHAT_CLUSTER_SECRET:-cluster-dev-node-secret-0123}
pids=()

prog=cluster.sh
source scripts/lib.sh

cleanup() {
	local pid
	for pid in "${pids[@]+"${pids[@]}"}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]+"${pids[@]}"}"; do
		wait "$pid" 2>/dev/null || true
	done
	scripts/etcd.sh stop "$DIR/etcd" || true
	scripts/pg.sh stop "$DIR/pg" || true
}
trap cleanup EXIT

mkdir -p "$DIR"
$GO build -o bin/chatd ./cmd/chatd
export DATABASE_URL
DATABASE_URL=$(scripts/pg.sh start "$DIR/pg")
export ETCD_ENDPOINTS
ETCD_ENDPOINTS=$(scripts/etcd.sh start "$DIR/etcd")

for ((i = 1; i <= NODES; i++)); do
	port=$((BASE_PORT + i - 1))
	CHAT_NODE_ID=node-$i CHAT_HTTP_ADDR=127.0.0.1:$port CHAT_DATA_DIR=$DIR/node-$i \
		bin/chatd 2> >(sed -u "s/^/node-$i | /" >&2) &
	pids+=($!)
	# Node 1 hosts the development broker; the others join it once it serves.
	wait_until 600 "$!" http_ok "http://127.0.0.1:$port/readyz" || {
		note "node-$i did not become ready"
		exit 1
	}
done

note "etcd at $ETCD_ENDPOINTS; nodes on ports $BASE_PORT..$((BASE_PORT + NODES - 1))"
note "admin token: $CHAT_ADMIN_TOKEN"
note "the ring: curl -s -H 'Authorization: Bearer $CHAT_ADMIN_TOKEN' http://127.0.0.1:$BASE_PORT/admin/v1/cluster"
note "Ctrl-C stops the cluster"
wait -n "${pids[@]}" || true
note "a node stopped; stopping the cluster"
