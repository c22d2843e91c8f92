#!/usr/bin/env bash
# pg.sh manages a private PostgreSQL cluster in one directory, for `make run`
# and for tests, so a developer needs nothing but the repo (and Debian's
# postgresql package, which this script installs when it can).
#
#   scripts/pg.sh start DIR   start (creating if needed); prints the URL
#   scripts/pg.sh stop DIR    fast shutdown; nothing to do if not running
#   scripts/pg.sh url DIR     prints the URL of the cluster in DIR
#
# Layout of DIR: data/ (the cluster), sock/ (unix socket), port (the TCP
# port, kept across restarts while it stays free), log (server log).
# Only the URL goes to stdout; everything else goes to stderr, so
# `export CHAT_TEST_DATABASE_URL=$(scripts/pg.sh start .data/pg)` works.
set -euo pipefail

prog=pg.sh
# lib.sh (die, note, ports, waiting, argument handling); pgembed prepends
# it when it runs this script from the binary.
declare -F dispatch >/dev/null || source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"

usage() {
	echo "usage: scripts/pg.sh start|stop|url DIR | database DIR NAME" >&2
	exit 2
}

# as_pg runs a command as the user that owns the cluster. PostgreSQL refuses
# to run as root, so root hands the work to the postgres system user.
as_pg() {
	if is_root; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# major_of prints the major version of the server binaries in a directory.
major_of() {
	"$1/initdb" --version 2>/dev/null | awk '{print $NF}' | cut -d. -f1
}

# find_bindir prints the directory of the newest initdb/pg_ctl pair found on
# PATH or under /usr/lib/postgresql, preferring the version that created the
# cluster in DIR when there is one (a data directory only runs under its own
# major version).
find_bindir() {
	local dir=$1 candidates=() d best="" best_major=-1 m want=""
	if [[ -f $dir/data/PG_VERSION ]]; then
		want=$(cat "$dir/data/PG_VERSION")
	fi
	if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
		candidates+=("$(dirname "$(readlink -f "$(command -v initdb)")")")
	fi
	for d in /usr/lib/postgresql/*/bin; do
		[[ -x $d/initdb && -x $d/pg_ctl ]] && candidates+=("$d")
	done
	for d in "${candidates[@]+"${candidates[@]}"}"; do
		m=$(major_of "$d") || continue
		[[ -n $m ]] || continue
		if [[ -n $want && $m == "$want" ]]; then
			echo "$d"
			return 0
		fi
		if ((m > best_major)); then
			best=$d
			best_major=$m
		fi
	done
	if [[ -n $want && -n $best ]]; then
		die "the cluster in $dir/data needs PostgreSQL $want, found only $best_major in $best"
	fi
	[[ -n $best ]] && echo "$best"
	return 0
}

# ensure_bindir prints the server binaries' directory, installing Debian's
# postgresql package first when there are none and we are allowed to.
ensure_bindir() {
	local dir=$1 bindir
	bindir=$(find_bindir "$dir")
	if [[ -z $bindir ]]; then
		note "no PostgreSQL server found (initdb, pg_ctl)"
		apt_install postgresql
		bindir=$(find_bindir "$dir")
		[[ -n $bindir ]] || die "postgresql installed but initdb/pg_ctl still not found"
	fi
	echo "$bindir"
}

ensure_pg_user() {
	is_root || return 0
	if ! id -u postgres >/dev/null 2>&1; then
		note "creating system user postgres"
		useradd --system --user-group --no-create-home --shell /bin/sh postgres
	fi
}

# open_path_for_pg makes every directory above DIR traversable by the
# postgres user. DIR may live under a private home such as /root (mode 700);
# then the server, running as postgres, could not reach its own data. Only
# the search bit for others (o+x) is added, and only on the components from
# / down to DIR's parent: nothing becomes listable or readable that was not.
open_path_for_pg() {
	local dir=$1 p=""
	is_root || return 0
	local IFS=/
	local parts
	read -r -a parts <<<"${dir#/}"
	local n=${#parts[@]} i
	for ((i = 0; i < n - 1; i++)); do
		p="$p/${parts[i]}"
		if ! runuser -u postgres -- test -x "$p"; then
			note "chmod o+x $p so the postgres user can reach $dir"
			chmod o+x "$p"
		fi
	done
}

url_for() {
	echo "postgres://postgres@127.0.0.1:$1/postgres?sslmode=disable"
}

is_running() {
	local bindir=$1 dir=$2
	[[ -f $dir/data/PG_VERSION ]] || return 1
	as_pg "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

init_cluster() {
	local bindir=$1 dir=$2
	note "creating a cluster in $dir/data"
	as_pg "$bindir/initdb" -D "$dir/data" -U postgres -E UTF8 --locale=C \
		--auth-local=trust --auth-host=trust --no-sync >&2
	# Settings that change per start (port, socket) live in chatd.conf, which
	# start rewrites; passing them through pg_ctl -o would break on paths
	# with spaces.
	echo "include_if_exists = 'chatd.conf'" | as_pg tee -a "$dir/data/postgresql.conf" >/dev/null
}

# write_settings writes the per-start settings. The socket goes inside DIR
# unless that path is longer than a unix socket address allows (about 107
# bytes); then the socket is turned off, since clients use TCP anyway.
write_settings() {
	local dir=$1 port=$2 sockdir=$dir/sock quoted
	local sockpath="$sockdir/.s.PGSQL.$port"
	if ((${#sockpath} > 100)); then
		note "socket path $sockpath is too long; listening on TCP only"
		quoted=""
	else
		as_pg mkdir -p "$sockdir"
		quoted=${sockdir//\'/\'\'}
	fi
	as_pg tee "$dir/data/chatd.conf" >/dev/null <<EOF
# Written by scripts/pg.sh on every start; edits are lost.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$quoted'
max_connections = 200
shared_buffers = '128MB'
log_min_messages = warning
EOF
}

start() {
	local dir=$1 bindir port attempt
	mkdir -p "$dir"
	ensure_pg_user
	bindir=$(ensure_bindir "$dir")
	if is_root; then
		chown postgres:postgres "$dir"
		open_path_for_pg "$dir"
	fi
	if is_running "$bindir" "$dir"; then
		[[ -f $dir/port ]] || die "a server runs in $dir/data but $dir/port is missing"
		url_for "$(cat "$dir/port")"
		return 0
	fi
	if [[ ! -f $dir/data/PG_VERSION ]]; then
		init_cluster "$bindir" "$dir"
	fi
	for attempt in 1 2 3; do
		port=$(keep_or_pick "$dir/port")
		write_settings "$dir" "$port"
		as_pg touch "$dir/log"
		if as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 start >&2; then
			url_for "$port"
			return 0
		fi
		# Another process may have taken the port between the check and the
		# start; anything else is reported with the tail of the server log.
		if ! grep -q "could not bind" "$dir/log" 2>/dev/null; then
			break
		fi
		note "port $port was taken during start (attempt $attempt)"
		rm -f "$dir/port"
	done
	tail -n 20 "$dir/log" >&2 || true
	die "could not start PostgreSQL in $dir (log: $dir/log)"
}

stop() {
	local dir=$1 bindir
	[[ -f $dir/data/PG_VERSION ]] || return 0
	bindir=$(find_bindir "$dir")
	[[ -n $bindir ]] || die "no PostgreSQL binaries to stop the cluster in $dir"
	if is_running "$bindir" "$dir"; then
		as_pg "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >&2
	fi
}

url() {
	local dir=$1
	[[ -f $dir/port ]] || die "no cluster has been started in $dir"
	url_for "$(cat "$dir/port")"
}

# database creates database NAME in the running cluster in DIR (a shard of
# scripts/cluster.sh, say) unless it exists, and prints its URL.
database() {
	local dir=$1 name=${2:-} bindir port
	[[ $name =~ ^[a-z_][a-z0-9_]*$ ]] || die "database name '$name': use a-z, 0-9 and _"
	port=$(cat "$dir/port" 2>/dev/null) || die "no cluster has been started in $dir"
	bindir=$(find_bindir "$dir")
	if [[ -z $("$bindir/psql" -XAtq "$(url_for "$port")" -c "SELECT 1 FROM pg_database WHERE datname = '$name'") ]]; then
		"$bindir/psql" -Xq "$(url_for "$port")" -c "CREATE DATABASE $name" >&2 || die "could not create database $name"
	fi
	echo "postgres://postgres@127.0.0.1:$port/$name?sslmode=disable"
}

dispatch "start stop url database" "$@"
