# lib.sh: the helpers every script of this repository shares (pg.sh,
# etcd.sh, kafka.sh, bench.sh, cluster.sh, ...). It is sourced, never run;
# pgembed embeds it together with pg.sh, so the local PostgreSQL of
# `make run` and the one of `make test` run the very same code. Set
# `prog` (the script's name, for messages) before sourcing it.

die() {
	echo "${prog:-script}: $*" >&2
	exit 1
}

note() {
	echo "${prog:-script}: $*" >&2
}

is_root() {
	[[ $(id -u) -eq 0 ]]
}

port_free() {
	# A successful connect means something listens there already.
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# pick_port prints a free TCP port on 127.0.0.1, chosen at random above
# 20000, so that parallel test runs rarely collide, and below the kernel's
# ephemeral range: a service's port stays free while the service is down
# (killed in a test, restarting), because no outgoing connection takes it
# as its local port meanwhile. Ports it printed before in this shell are
# not printed again.
picked_ports=" "
pick_port() {
	local p i lo=20000 hi=60000 eph
	eph=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 0)
	((eph > lo + 1000)) && hi=$eph
	for ((i = 0; i < 200; i++)); do
		p=$((lo + RANDOM % (hi - lo)))
		if [[ $picked_ports != *" $p "* ]] && port_free "$p"; then
			picked_ports="$picked_ports$p "
			echo "$p"
			return 0
		fi
	done
	die "found no free TCP port on 127.0.0.1"
}

# apt_install PACKAGE...: installs Debian packages as root; otherwise says
# what is missing and stops. It waits up to 10 minutes for another apt
# (a parallel test run's) to release dpkg's lock.
apt_install() {
	if ! is_root || ! command -v apt-get >/dev/null 2>&1; then
		die "$* missing; install it, e.g. 'sudo apt-get install -y $*'"
	fi
	note "installing Debian's $*"
	{
		apt-get update
		DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y "$@"
	} >&2
}

# keep_or_pick prints the port stored in FILE if it is still free, or a new
# one, and stores it: a service restarted in the same directory keeps its
# address while it can.
keep_or_pick() {
	local file=$1 p=""
	if [[ -f $file ]]; then
		p=$(cat "$file")
		if ! port_free "$p"; then
			note "port $p is taken now; picking another"
			p=""
		fi
	fi
	[[ -n $p ]] || p=$(pick_port)
	echo "$p" >"$file"
	echo "$p"
}

# wait_until TENTHS PID CMD...: polls CMD every 0.1 s until it succeeds
# (0), the process PID is gone (1) or TENTHS polls passed (1). PID may be
# empty when there is no process to watch.
wait_until() {
	local tries=$1 pid=$2 i
	shift 2
	for ((i = 0; i < tries; i++)); do
		[[ -z $pid ]] || kill -0 "$pid" 2>/dev/null || return 1
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# http_ok URL: the URL answers 2xx.
http_ok() {
	curl -fsS -o /dev/null "$1" 2>/dev/null
}

# absolute_dir DIR prints DIR as an absolute, resolved path (the servers
# run as another user in another working directory).
absolute_dir() {
	local dir=$1
	case $dir in
	/*) ;;
	*) dir=$PWD/$dir ;;
	esac
	if [[ -d $dir ]]; then
		(cd "$dir" && pwd -P)
	else
		readlink -m "$dir"
	fi
}

# dispatch COMMANDS "$@": the argument handling of the service scripts,
# `script.sh COMMAND DIR`. COMMANDS is a space-separated list of the
# functions allowed as COMMAND; each is called with the absolute DIR and
# the arguments after it.
dispatch() {
	local commands=" $1 " cmd dir
	shift
	[[ $# -ge 2 && -n $2 && $commands == *" $1 "* ]] || usage
	cmd=$1
	dir=$(absolute_dir "$2")
	"$cmd" "$dir" "${@:3}"
}
