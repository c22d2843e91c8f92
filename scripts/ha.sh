#!/usr/bin/env bash
# make ha: the replicated store with automatic failover, to watch it work:
# etcd, a Patroni cluster of three PostgreSQL members (one primary, a
# synchronous standby, a replica; scripts/patroni.sh) and one chatd on
# 127.0.0.1:8080 that reaches the cluster through a multi-host URL and
# follows the primary. Ctrl-C stops chatd, the members and etcd; the data
# stays under .data/ha for the next run.
#
#   CHAT_HTTP_ADDR=127.0.0.1:8080   where chatd listens
#
# Then, in another terminal:
#   patronictl -c .data/ha/pg1/patroni.yml list        # who leads
#   cat .data/ha/members.json                          # REST URLs, ports, data dirs
#   kill -9 $(head -1 <leader's dataDir>/postmaster.pid)
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
DIR=$PWD/.data/ha
export CHAT_HTTP_ADDR=${CHAT_HTTP_ADDR:-127.0.0.1:8080}
# Development secrets, fixed so tokens survive a restart.
export CHAT_ADMIN_TOKEN=${CHAT_ADMIN_TOKEN:-ha-dev-admin-token-0123}
export CHAT_JWT_SECRET=${CHAT_JWT_SECRET:-ha-dev-jwt-secret-0123456}
export CHAT_DATA_DIR=$DIR/chatd
chatd_pid=""

note() { echo "ha.sh: $*" >&2; }

cleanup() {
	if [[ -n $chatd_pid ]]; then
		kill -TERM "$chatd_pid" 2>/dev/null || true
		wait "$chatd_pid" 2>/dev/null || true
	fi
	scripts/patroni.sh stop "$DIR" || true
	scripts/etcd.sh stop "$DIR/etcd" || true
}
trap cleanup EXIT

mkdir -p "$DIR"
$GO build -o bin/chatd ./cmd/chatd
etcd=$(scripts/etcd.sh start "$DIR/etcd")
note "etcd at $etcd; starting the Patroni cluster (the first start runs initdb and two base backups)"
export DATABASE_URL
DATABASE_URL=$(scripts/patroni.sh start "$DIR" "$etcd")

bin/chatd 2> >(sed -u "s/^/chatd | /" >&2) &
chatd_pid=$!
for ((i = 0; i < 600; i++)); do
	kill -0 "$chatd_pid" 2>/dev/null || {
		note "chatd stopped during start"
		exit 1
	}
	curl -fsS "http://$CHAT_HTTP_ADDR/readyz" >/dev/null 2>&1 && break
	sleep 0.1
done

note "chatd on http://$CHAT_HTTP_ADDR, DATABASE_URL=$DATABASE_URL"
note "admin token: $CHAT_ADMIN_TOKEN"
note "members: $DIR/members.json"
note "watch it:  watch -n1 patronictl -c $DIR/pg1/patroni.yml list"
patronictl -c "$DIR/pg1/patroni.yml" list >&2 || true
note "kill the primary: kill -9 \$(head -1 <the leader's dataDir>/postmaster.pid); Ctrl-C stops everything"
wait "$chatd_pid" || true
chatd_pid=""
note "chatd stopped; stopping the cluster"
