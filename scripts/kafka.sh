#!/usr/bin/env bash
# kafka.sh runs a private single-node Apache Kafka broker in one directory,
# for tests: KRaft mode, one process that is both broker and controller,
# listening on 127.0.0.1 only. The jars come from Maven Central through
# Maven (scripts/kafka/pom.xml) and are cached outside the repository, in
# ${XDG_CACHE_HOME:-$HOME/.cache}/chatd/kafka-<version>, so only the first
# start downloads anything.
#
#   scripts/kafka.sh start DIR   start (formatting storage if new); prints host:port
#   scripts/kafka.sh stop DIR    stop; the data stays, so start resumes it
#   scripts/kafka.sh addr DIR    prints the address of the broker in DIR
#
# Layout of DIR: data/ (the log directories), port and controller_port
# (kept across restarts while they stay free, so clients find the broker
# again), server.properties and log4j2.properties (rewritten on every
# start), server.log (the broker's log), pid.
# Only the address goes to stdout; everything else goes to stderr, so
# `export CHAT_TEST_KAFKA_BROKERS=$(scripts/kafka.sh start /tmp/kafka-dev)`
# works. Needs Java 17 or newer and Maven (installed with apt as root).
#
# Environment: KAFKA_HEAP_OPTS (default -Xms256m -Xmx512m) and
# KAFKA_JVM_OPTS (extra JVM flags); KAFKA_START_TIMEOUT seconds (90).
set -euo pipefail
shopt -s inherit_errexit

prog=kafka.sh
root=$(cd "$(dirname "$0")/.." && pwd -P)
pom=$root/scripts/kafka/pom.xml

source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"

usage() {
	echo "usage: scripts/kafka.sh start|stop|addr DIR" >&2
	exit 2
}

# java_major prints the major version of the java on PATH, or nothing.
java_major() {
	command -v java >/dev/null 2>&1 || return 0
	java -XshowSettings:properties -version 2>&1 |
		awk -F'= ' '/java.specification.version/ { split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]) }'
}

tools_ok() {
	local major
	major=$(java_major)
	[[ -n $major && $major -ge 17 ]] && command -v mvn >/dev/null 2>&1
}

# ensure_tools makes sure Java 17+ and Maven are there, installing Debian's
# packages when they are missing and we are root (as on CI machines).
ensure_tools() {
	tools_ok && return 0
	if is_root && command -v apt-get >/dev/null 2>&1; then
		note "Java 17+ or Maven is missing; installing Debian's default-jre-headless and maven"
		{
			apt-get update
			DEBIAN_FRONTEND=noninteractive apt-get install -y default-jre-headless maven
		} >&2 || true
		tools_ok && return 0
	fi
	local found
	found=$(java_major)
	die "the test broker needs Java 17 or newer and Maven (found java ${found:-none}, mvn $(command -v mvn || echo none)); install them, e.g. 'sudo apt-get install -y default-jre-headless maven'"
}

kafka_version() {
	sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom" | head -n 1
}

# jar_has CLASS_PATH prints the jar in LIBS holding a class file; zip
# archives keep entry names uncompressed, so grep finds them.
jar_has() {
	local libs=$1 entry=$2 jar
	for jar in "$libs"/*.jar; do
		if grep -qaF "$entry" "$jar"; then
			echo "$jar"
			return 0
		fi
	done
	return 1
}

# find_main prints the first of the candidate classes present in LIBS:
# the storage tool moved between packages across Kafka versions.
find_main() {
	local libs=$1 class
	shift
	for class in "$@"; do
		if jar_has "$libs" "${class//.//}.class" >/dev/null; then
			echo "$class"
			return 0
		fi
	done
	return 1
}

# ensure_libs prints the cache directory holding libs/ (the broker's jars)
# and main-classes, fetching them once per pom content. A lock keeps
# parallel first starts from fetching twice.
ensure_libs() {
	local version cache stamp
	version=$(kafka_version)
	[[ -n $version ]] || die "no <kafka.version> in $pom"
	cache=${XDG_CACHE_HOME:-$HOME/.cache}/chatd/kafka-$version
	stamp=$(sha256sum "$pom" | cut -d' ' -f1)
	mkdir -p "$cache"
	(
		flock 9
		if [[ -f $cache/complete && $(cat "$cache/complete") == "$stamp" ]]; then
			exit 0
		fi
		note "fetching Apache Kafka $version and its dependencies from Maven Central into $cache (once)"
		rm -rf "$cache/libs.tmp"
		if ! mvn -q -B -Dstyle.color=never -f "$pom" dependency:copy-dependencies -DincludeScope=runtime \
			-DoutputDirectory="$cache/libs.tmp" >&2; then
			die "mvn could not fetch org.apache.kafka:kafka_2.13:$version (see above)"
		fi
		local storage server
		server=$(find_main "$cache/libs.tmp" kafka.Kafka) || die "no kafka.Kafka class in the fetched jars"
		storage=$(find_main "$cache/libs.tmp" kafka.tools.StorageTool org.apache.kafka.tools.StorageTool \
			org.apache.kafka.storage.StorageTool) || die "no StorageTool class in the fetched jars"
		rm -rf "$cache/libs"
		mv "$cache/libs.tmp" "$cache/libs"
		printf 'server=%s\nstorage=%s\n' "$server" "$storage" >"$cache/main-classes"
		echo "$stamp" >"$cache/complete"
	) 9>"$cache/lock" || exit 1
	echo "$cache"
}

# running_pid prints the broker's pid if the process in DIR/pid is alive
# and is this directory's broker (a recycled pid is not).
running_pid() {
	local dir=$1 pid
	[[ -f $dir/pid ]] || return 1
	pid=$(cat "$dir/pid")
	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$dir/server.properties" || return 1
	echo "$pid"
}

write_config() {
	local dir=$1 port=$2 cport=$3
	cat >"$dir/server.properties" <<EOF
# Written by scripts/kafka.sh on every start; edits are lost.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
# chatd creates its topics itself, with its own partition count.
auto.create.topics.enable=false
num.partitions=1
# One broker: every internal topic has one replica.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Tests start many consumer groups: join at once.
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
# Small and quick for tests.
log.segment.bytes=16777216
log.retention.hours=24
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
background.threads=4
EOF
	cat >"$dir/log4j2.properties" <<EOF
# Written by scripts/kafka.sh on every start; edits are lost.
status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = $dir/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.request.name = kafka.request.logger
logger.request.level = WARN
EOF
}

# format_storage formats a new data directory (KRaft needs it once).
format_storage() {
	local dir=$1 libs=$2 storage=$3 id
	[[ -f $dir/data/meta.properties ]] && return 0
	# A cluster id is 16 random bytes in URL-safe base64 without padding;
	# like Kafka's own random-uuid, avoid a leading '-', which the tool's
	# argument parser would take for an option.
	id=-
	while [[ $id == -* ]]; do
		id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
	done
	note "formatting KRaft storage in $dir/data"
	if ! java -Dlog4j2.configurationFile="$dir/log4j2.properties" -cp "$libs/*" "$storage" \
		format -t "$id" -c "$dir/server.properties" >"$dir/format.log" 2>&1; then
		cat "$dir/format.log" >&2
		die "formatting storage in $dir/data failed"
	fi
}

show_log() {
	local dir=$1
	tail -n 30 "$dir/server.log" >&2 2>/dev/null || true
	tail -n 10 "$dir/stdout.log" >&2 2>/dev/null || true
}

# started: the broker logged that it started and accepts connections.
started() {
	local dir=$1 port=$2
	grep -q "Kafka Server started" "$dir/server.log" 2>/dev/null && ! port_free "$port"
}

# wait_ready waits until the broker started, or fails when the process
# dies or the timeout passes.
wait_ready() {
	local dir=$1 pid=$2 port=$3 timeout=${KAFKA_START_TIMEOUT:-90}
	wait_until $((timeout * 10)) "$pid" started "$dir" "$port" && return 0
	kill -0 "$pid" 2>/dev/null || return 1
	show_log "$dir"
	kill -KILL "$pid" 2>/dev/null || true
	die "the broker in $dir did not start within ${timeout}s (log: $dir/server.log)"
}

start() {
	local dir=$1 cache libs server storage port cport pid attempt
	mkdir -p "$dir"
	if pid=$(running_pid "$dir"); then
		[[ -f $dir/port ]] || die "a broker runs in $dir but $dir/port is missing"
		echo "127.0.0.1:$(cat "$dir/port")"
		return 0
	fi
	ensure_tools
	cache=$(ensure_libs)
	libs=$cache/libs
	server=$(sed -n 's/^server=//p' "$cache/main-classes")
	storage=$(sed -n 's/^storage=//p' "$cache/main-classes")
	for attempt in 1 2 3; do
		port=$(keep_or_pick "$dir/port")
		cport=$(keep_or_pick "$dir/controller_port")
		if [[ $port == "$cport" ]]; then
			rm -f "$dir/controller_port"
			continue
		fi
		write_config "$dir" "$port" "$cport"
		format_storage "$dir" "$libs" "$storage"
		[[ -f $dir/server.log ]] && mv "$dir/server.log" "$dir/server.log.prev"
		# shellcheck disable=SC2086 # the options are word lists on purpose
		setsid java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m} -XX:+UseSerialGC -Djava.awt.headless=true \
			${KAFKA_JVM_OPTS:-} -Dlog4j2.configurationFile="$dir/log4j2.properties" \
			-cp "$libs/*" "$server" "$dir/server.properties" \
			</dev/null >"$dir/stdout.log" 2>&1 &
		pid=$!
		echo "$pid" >"$dir/pid"
		if wait_ready "$dir" "$pid" "$port"; then
			note "Apache Kafka broker running in $dir (pid $pid)"
			echo "127.0.0.1:$port"
			return 0
		fi
		# Another process may have taken a port between the check and the
		# start; anything else is reported with the log.
		if ! grep -qs "Address already in use" "$dir/server.log" "$dir/stdout.log"; then
			break
		fi
		note "a port was taken during start (attempt $attempt)"
		rm -f "$dir/port" "$dir/controller_port"
	done
	rm -f "$dir/pid"
	show_log "$dir"
	die "could not start the Kafka broker in $dir (log: $dir/server.log)"
}

stop() {
	local dir=$1 pid i
	if ! pid=$(running_pid "$dir"); then
		rm -f "$dir/pid"
		return 0
	fi
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		note "the broker in $dir did not stop within 30s; killing it"
		kill -KILL "$pid" 2>/dev/null || true
		while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
	fi
	rm -f "$dir/pid"
}

addr() {
	local dir=$1
	[[ -f $dir/port ]] || die "no broker has been started in $dir"
	echo "127.0.0.1:$(cat "$dir/port")"
}

dispatch "start stop addr" "$@"
