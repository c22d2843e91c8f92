#!/usr/bin/env bash
# patroni.sh manages a local Patroni cluster of PostgreSQL members (one
# primary, synchronous standbys) over an etcd, in one directory, for
# `make ha` and the failover tests (Debian's patroni and postgresql
# packages are installed when missing and we are root).
#
#   scripts/patroni.sh start DIR ETCD_URL [N]   create (N members, default 3)
#                                               or start again; prints the
#                                               multi-host URL of the cluster
#   scripts/patroni.sh start-member DIR NAME    start one member's Patroni again
#   scripts/patroni.sh stop DIR                 stop every member
#   scripts/patroni.sh url DIR                  prints the multi-host URL
#   scripts/patroni.sh install                  only install what is missing
#
# Layout of DIR: members.json ([{"name","restUrl","pgPort","dataDir"}]),
# scope (the cluster's name in etcd), etcd_url, and per member NAME/:
# patroni.yml, data/ (PostgreSQL's data directory), patroni.log, pid.
# Only the URL goes to stdout; `patronictl -c DIR/NAME/patroni.yml list`
# shows the cluster.
#
# Timing (bootstrap.dcs, see docs/operations.md): loop_wait 1 s makes the
# primary's Patroni notice a crashed postmaster within a second, and
# primary_start_timeout 0 makes it hand over at once instead of restarting
# PostgreSQL in place; ttl 10 s bounds the failover when a whole node
# (Patroni included) dies; retry_timeout 4 s keeps loop_wait + 2 x
# retry_timeout within ttl, as Patroni requires. failsafe_mode keeps the
# primary writable through an etcd outage while it still reaches every
# member over their REST APIs.
set -euo pipefail

prog=patroni.sh

source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"

usage() {
	echo "usage: scripts/patroni.sh start DIR ETCD_URL [N] | start-member DIR NAME | stop DIR | url DIR | install" >&2
	exit 2
}

# as_pg runs a command as the postgres system user when we are root
# (PostgreSQL refuses to run as root); setpriv execs, so a recorded pid is
# Patroni's own.
as_pg() {
	if is_root; then
		setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
	else
		"$@"
	fi
}

# find_bindir prints the newest Debian PostgreSQL binary directory with
# everything Patroni runs (pg_rewind for a returning primary).
find_bindir() {
	local d m best="" best_major=0
	for d in /usr/lib/postgresql/*/bin; do
		[[ -x $d/postgres && -x $d/initdb && -x $d/pg_ctl && -x $d/pg_rewind && -x $d/pg_basebackup ]] || continue
		m=$(basename "$(dirname "$d")")
		[[ $m =~ ^[0-9]+$ ]] || continue
		if ((m > best_major)); then
			best=$d
			best_major=$m
		fi
	done
	echo "$best"
}

ensure_tools() {
	command -v patroni >/dev/null 2>&1 || apt_install patroni
	command -v patroni >/dev/null 2>&1 || die "patroni installed but still not on PATH"
	[[ -n $(find_bindir) ]] || apt_install postgresql
	[[ -n $(find_bindir) ]] || die "no PostgreSQL server binaries under /usr/lib/postgresql"
	if is_root && ! id -u postgres >/dev/null 2>&1; then
		useradd --system --user-group --no-create-home --shell /bin/sh postgres
	fi
}

# open_path_for_pg lets the postgres user traverse every directory above
# DIR (o+x only, nothing becomes listable), as scripts/pg.sh does.
open_path_for_pg() {
	local dir=$1 p="" i
	is_root || return 0
	local IFS=/
	local parts
	read -r -a parts <<<"${dir#/}"
	for ((i = 0; i < ${#parts[@]} - 1; i++)); do
		p="$p/${parts[i]}"
		runuser -u postgres -- test -x "$p" || chmod o+x "$p"
	done
}

# write_member writes NAME's patroni.yml. Passwords are required by
# Patroni's schema; the local pg_hba trusts 127.0.0.1 (development and
# tests only: docs/operations.md says what production uses).
write_member() {
	local dir=$1 name=$2 pgport=$3 restport=$4 etcd=$5 scope=$6 bindir=$7 sock
	local mdir=$dir/$name
	mkdir -p "$mdir"
	sock=$mdir
	# A unix socket path is limited to about 107 bytes.
	((${#sock} + 20 < 100)) || sock=/tmp
	cat >"$mdir/patroni.yml" <<EOF
# Written by scripts/patroni.sh.
scope: $scope
namespace: /chatd/
name: $name
log:
  level: WARNING
restapi:
  listen: 127.0.0.1:$restport
  connect_address: 127.0.0.1:$restport
etcd3:
  hosts: ${etcd#http://}
watchdog:
  mode: off
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 1
    retry_timeout: 4
    primary_start_timeout: 0
    maximum_lag_on_failover: 1048576
    failsafe_mode: true
    synchronous_mode: true
    synchronous_mode_strict: false
    synchronous_node_count: 1
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        wal_level: replica
        wal_log_hints: 'on'
        hot_standby: 'on'
        max_connections: 200
        max_wal_senders: 10
        max_replication_slots: 10
        wal_keep_size: 128MB
        synchronous_commit: 'on'
  initdb:
    - encoding: UTF8
    - locale: C
    - data-checksums
  pg_hba:
    - host replication replicator 127.0.0.1/32 trust
    - host all all 127.0.0.1/32 trust
    - local all all trust
postgresql:
  listen: 127.0.0.1:$pgport
  connect_address: 127.0.0.1:$pgport
  data_dir: $mdir/data
  bin_dir: $bindir
  pgpass: $mdir/pgpass
  authentication:
    superuser:
      username: postgres
      password: local-dev-only
    replication:
      username: replicator
      password: local-dev-only
    rewind:
      username: postgres
      password: local-dev-only
  parameters:
    unix_socket_directories: '$sock'
    shared_buffers: 64MB
    log_min_messages: warning
  use_pg_rewind: true
EOF
	echo "$pgport" >"$mdir/pg_port"
	echo "$restport" >"$mdir/rest_port"
}

members() {
	local dir=$1 f
	for f in "$dir"/*/patroni.yml; do
		[[ -f $f ]] && basename "$(dirname "$f")"
	done
}

is_running() {
	local mdir=$1 pid
	[[ -f $mdir/pid ]] || return 1
	pid=$(cat "$mdir/pid")
	kill -0 "$pid" 2>/dev/null
}

start_member() {
	local dir=$1 name=$2 mdir=$1/$2
	[[ -f $mdir/patroni.yml ]] || die "no member $name in $dir"
	is_running "$mdir" && return 0
	if is_root; then
		chown -R postgres:postgres "$mdir"
	fi
	local cmd=(patroni "$mdir/patroni.yml")
	is_root && cmd=(setpriv --reuid=postgres --regid=postgres --init-groups -- "${cmd[@]}")
	# setsid: the member outlives this script and ignores the terminal's
	# signals; stop ends it by the recorded pid (setsid, env and setpriv
	# exec, so $! is Patroni's own). env -C: Patroni starts in its own
	# directory, which the postgres user can enter; the caller's (a clone
	# under a 0700 mktemp directory, say) may not be, and Patroni's worker
	# processes change into their parent's directory when they start.
	HOME=$mdir setsid env -C "$mdir" "${cmd[@]}" >>"$mdir/patroni.log" 2>&1 </dev/null &
	echo $! >"$mdir/pid"
}

write_members_json() {
	local dir=$1 name sep="" out="["
	for name in $(members "$dir"); do
		out+="$sep{\"name\":\"$name\",\"restUrl\":\"http://127.0.0.1:$(cat "$dir/$name/rest_port")\",\"pgPort\":$(cat "$dir/$name/pg_port"),\"dataDir\":\"$dir/$name/data\"}"
		sep=","
	done
	echo "$out]" >"$dir/members.json"
}

url() {
	local dir=$1 name hosts="" sep=""
	for name in $(members "$dir"); do
		hosts+="${sep}127.0.0.1:$(cat "$dir/$name/pg_port")"
		sep=","
	done
	[[ -n $hosts ]] || die "no cluster has been created in $dir"
	echo "postgres://postgres@$hosts/postgres?sslmode=disable&target_session_attrs=read-write"
}

# wait_healthy polls the members' REST APIs until one leads, every other
# one streams from it and one of them is a synchronous standby.
wait_healthy() {
	local dir=$1 n=$2 i name
	for ((i = 0; i < 1800; i++)); do
		for name in $(members "$dir"); do
			is_running "$dir/$name" || {
				note "the Patroni of $name exited"
				return 1
			}
		done
		if python3 - "$dir" "$n" <<'EOF' 2>/dev/null; then
import json, sys, urllib.request
members = json.load(open(sys.argv[1] + "/members.json"))
for m in members:
    try:
        c = json.load(urllib.request.urlopen(m["restUrl"] + "/cluster", timeout=1))
    except Exception:
        continue
    roles = [x.get("role") for x in c.get("members", []) if x.get("state") in ("running", "streaming")]
    ok = len(roles) == int(sys.argv[2]) and roles.count("leader") == 1 and "sync_standby" in roles
    sys.exit(0 if ok else 1)
sys.exit(1)
EOF
			return 0
		fi
		sleep 0.1
	done
	return 1
}

start() {
	local dir=$1 etcd=$2 n=${3:-3} bindir scope i name
	mkdir -p "$dir"
	ensure_tools
	bindir=$(find_bindir)
	open_path_for_pg "$dir"
	is_root && chown postgres:postgres "$dir"
	if [[ ! -f $dir/scope ]]; then
		# A fresh name per cluster: a cluster created again in a fresh
		# directory must not find the old one's keys in a shared etcd.
		scope=chatd-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
		for ((i = 1; i <= n; i++)); do
			write_member "$dir" "pg$i" "$(pick_port)" "$(pick_port)" "$etcd" "$scope" "$bindir"
		done
		echo "$scope" >"$dir/scope"
		echo "$etcd" >"$dir/etcd_url"
	fi
	if [[ $(cat "$dir/etcd_url") != "$etcd" ]]; then
		# The same etcd data on a new port (scripts/etcd.sh picks one per start).
		note "etcd moved to $etcd"
		for name in $(members "$dir"); do
			sed -i "s|^  hosts: .*|  hosts: ${etcd#http://}|" "$dir/$name/patroni.yml"
		done
		echo "$etcd" >"$dir/etcd_url"
	fi
	write_members_json "$dir"
	local names
	mapfile -t names < <(members "$dir")
	# The first member to get the leader key bootstraps (initdb); the
	# others wait for it and clone it with pg_basebackup.
	for name in "${names[@]}"; do
		start_member "$dir" "$name"
	done
	if ! wait_healthy "$dir" "${#names[@]}"; then
		for name in $(members "$dir"); do
			note "--- $name: tail of $dir/$name/patroni.log"
			tail -n 15 "$dir/$name/patroni.log" >&2 || true
		done
		die "the Patroni cluster in $dir did not become healthy"
	fi
	url "$dir"
}

stop_member() {
	local mdir=$1 pid i
	if is_running "$mdir"; then
		pid=$(cat "$mdir/pid")
		# Patroni stops PostgreSQL (fast shutdown) before it exits.
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 300; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$mdir/pid"
	# A postmaster left behind (Patroni killed first) is stopped too.
	if [[ -f $mdir/data/postmaster.pid ]]; then
		as_pg "$(find_bindir)/pg_ctl" -D "$mdir/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
}

stop() {
	local dir=$1 name
	for name in $(members "$dir"); do
		stop_member "$dir/$name" &
	done
	wait
}

if [[ ${1:-} == install && $# -eq 1 ]]; then
	ensure_tools
	exit 0
fi
[[ $# -ge 2 ]] || usage
cmd=$1
dir=$2
case $dir in
/*) ;;
*) dir=$PWD/$dir ;;
esac
dir=$(readlink -m "$dir")

case $cmd in
start)
	[[ $# -ge 3 ]] || usage
	start "$dir" "$3" "${4:-3}"
	;;
start-member)
	[[ $# -eq 3 ]] || usage
	start_member "$dir" "$3"
	;;
stop) stop "$dir" ;;
url) url "$dir" ;;
*) usage ;;
esac
