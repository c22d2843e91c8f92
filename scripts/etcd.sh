#!/usr/bin/env bash
# etcd.sh manages a private single-member etcd in one directory, for tests
# and `make cluster`, so a developer needs nothing but the repo (and
# Debian's etcd-server package, which this script installs when it can).
#
#   scripts/etcd.sh start DIR   start (creating if needed); prints the client URL
#   scripts/etcd.sh stop DIR    stop; nothing to do if not running
#
# Layout of DIR: data/ (the member), pid, client_port, peer_port, log.
# Only the client URL goes to stdout; everything else goes to stderr, so
# `export CHAT_TEST_ETCD_ENDPOINTS=$(scripts/etcd.sh start /tmp/etcd)` works.
set -euo pipefail

prog=etcd.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"

usage() {
	echo "usage: scripts/etcd.sh start|stop DIR" >&2
	exit 2
}

ensure_etcd() {
	command -v etcd >/dev/null 2>&1 && return 0
	if ! is_root; then
		die "no etcd server found; install it, e.g. 'sudo apt-get install -y etcd-server'"
	fi
	note "no etcd server found; installing Debian's etcd-server package"
	{
		apt-get update
		DEBIAN_FRONTEND=noninteractive apt-get install -y etcd-server
	} >&2
	command -v etcd >/dev/null 2>&1 || die "etcd-server installed but etcd still not found"
}

url_for() {
	echo "http://127.0.0.1:$1"
}

is_running() {
	local dir=$1 pid
	[[ -f $dir/pid ]] || return 1
	pid=$(cat "$dir/pid")
	kill -0 "$pid" 2>/dev/null
}

# healthy asks etcd's /health endpoint over plain bash TCP (no etcdctl or
# curl needed); a member with a leader answers {"health":"true"}.
healthy() {
	local port=$1 reply
	reply=$(
		exec 2>/dev/null
		exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
		printf 'GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
		timeout 2 cat <&3
	) || return 1
	[[ $reply == *'"health":"true"'* ]]
}

start() {
	local dir=$1 cport pport attempt pid
	mkdir -p "$dir"
	ensure_etcd
	if is_running "$dir"; then
		url_for "$(cat "$dir/client_port")"
		return 0
	fi
	for attempt in 1 2 3; do
		cport=$(pick_port)
		pport=$(pick_port)
		[[ $cport != "$pport" ]] || continue
		echo "$cport" >"$dir/client_port"
		echo "$pport" >"$dir/peer_port"
		# setsid: the server outlives this script and ignores the caller's
		# terminal signals; stop kills it by the pid recorded here.
		setsid etcd \
			--name chatd-etcd \
			--data-dir "$dir/data" \
			--listen-client-urls "$(url_for "$cport")" \
			--advertise-client-urls "$(url_for "$cport")" \
			--listen-peer-urls "$(url_for "$pport")" \
			--initial-advertise-peer-urls "$(url_for "$pport")" \
			--initial-cluster "chatd-etcd=$(url_for "$pport")" \
			--logger zap --log-level warn \
			>"$dir/log" 2>&1 </dev/null &
		pid=$!
		echo "$pid" >"$dir/pid"
		if wait_until 300 "$pid" healthy "$cport"; then
			url_for "$cport"
			return 0
		fi
		if ! grep -q "address already in use" "$dir/log" 2>/dev/null; then
			break
		fi
		note "a port was taken during start (attempt $attempt)"
		kill "$pid" 2>/dev/null || true
	done
	tail -n 20 "$dir/log" >&2 || true
	stop "$dir"
	die "could not start etcd in $dir (log: $dir/log)"
}

stop() {
	local dir=$1 pid i
	is_running "$dir" || {
		rm -f "$dir/pid"
		return 0
	}
	pid=$(cat "$dir/pid")
	kill "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$dir/pid"
}

dispatch "start stop" "$@"
