#!/usr/bin/env bash
# run.sh: check that the admin REST API keeps the promise of
# api/openapi.yaml, with Schemathesis (a third-party fuzzer, pinned in
# requirements.txt) and all its checks, against a throwaway chatd of its
# own: a private PostgreSQL (scripts/pg.sh), the in-process development
# broker (KAFKA_BROKERS unset), a single node (ETCD_ENDPOINTS unset).
#
# Before fuzzing, chatbench creates users, a group and a direct channel
# with messages over the public WebSocket protocol, so that the document's
# links (listChannels -> getChannel -> listChannelMessages, ...) lead to
# real rows. Then two runs: one with a fixed seed, one with a fresh random
# seed (printed, to replay a failure: SCHEMATHESIS_SEED=N). Each must end
# with no failure, and the first must have reached the reading operations
# with 2xx answers through the links (check-reached.py).
#
# SCHEMATHESIS_EXAMPLES (default 30) is the examples per operation; the
# issue's acceptance run used 200.
set -euo pipefail
cd "$(dirname "$0")/../.."

prog=schemathesis/run.sh
GO=${GO:-go}
examples=${SCHEMATHESIS_EXAMPLES:-30}
fixed_seed=20261206
random_seed=${SCHEMATHESIS_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}

bin=$(scripts/schemathesis/install.sh)
work=$(mktemp -d /tmp/chat-schemathesis.XXXXXX)
chatd_pid=""
cleanup() {
	local rc=$?
	if ((rc != 0)) && [[ -d $work ]]; then
		kept=$(mktemp -d /tmp/chat-schemathesis-failed.XXXXXX)
		cp "$work"/*.har "$work"/*.log "$kept"/ 2>/dev/null || true
		echo "$prog: reports and logs kept in $kept" >&2
	fi
	if [[ -n $chatd_pid ]]; then
		kill "$chatd_pid" 2>/dev/null || true
		wait "$chatd_pid" 2>/dev/null || true
	fi
	scripts/pg.sh stop "$work/pg" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

echo "$prog: building chatd and chatbench" >&2
$GO build -o "$work/chatd" ./cmd/chatd
$GO build -o "$work/chatbench" ./cmd/chatbench

db_url=$(scripts/pg.sh start "$work/pg" 2>"$work/pg.log") || {
	cat "$work/pg.log" >&2
	exit 1
}
port=$(free_port)
base=http://127.0.0.1:$port
admin_token=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
(
	unset KAFKA_BROKERS ETCD_ENDPOINTS CHAT_PPROF_ADDR
	export DATABASE_URL=$db_url CHAT_ADMIN_TOKEN=$admin_token \
		CHAT_JWT_SECRET=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n') \
		CHAT_HTTP_ADDR=127.0.0.1:$port CHAT_EMBEDDED_KAFKA_ADDR=127.0.0.1:$(free_port) \
		CHAT_DATA_DIR=$work/data
	exec "$work/chatd"
) >"$work/chatd.log" 2>&1 &
chatd_pid=$!

# Poll readiness with a deadline: startup runs the migrations.
deadline=$((SECONDS + 60))
until curl -fsS "$base/readyz" >/dev/null 2>&1; do
	if ! kill -0 "$chatd_pid" 2>/dev/null || ((SECONDS > deadline)); then
		tail -20 "$work/chatd.log" >&2
		echo "$prog: chatd did not become ready on $base" >&2
		exit 1
	fi
	sleep 0.2
done
echo "$prog: chatd ready on $base" >&2

# seed adds a group of three and a direct channel, with messages; before
# each run, as a run removes members.
seed() {
	local args=(-url "$base" -admin-token "$admin_token" -source-base "" -rate 20 -duration 1s -drain 10s)
	"$work/chatbench" -scenario group -groups 1 -group-size 3 "${args[@]}" >"$work/seed.log" 2>&1 &&
		"$work/chatbench" -scenario direct -pairs 1 "${args[@]}" >>"$work/seed.log" 2>&1 || {
		cat "$work/seed.log" >&2
		echo "$prog: seeding users and channels with chatbench failed" >&2
		return 1
	}
}
seed

# A user token for GET /v1/gateway, the one operation the admin token does
# not open. The repository's schemathesis.toml plus that operation's
# header make the configuration of this run.
user_id=$(curl -fsS -H "Authorization: Bearer $admin_token" "$base/admin/v1/users?limit=1" | python3 -c 'import json, sys; print(json.load(sys.stdin)["users"][0]["id"])')
export CHATD_USER_TOKEN
CHATD_USER_TOKEN=$(curl -fsS -X POST -H "Authorization: Bearer $admin_token" "$base/admin/v1/users/$user_id/tokens" | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
{
	cat schemathesis.toml
	printf '\n[[operations]]\ninclude-operation-id = ["getGateway"]\nheaders = { Authorization = "Bearer ${CHATD_USER_TOKEN}" }\n'
} >"$work/schemathesis.toml"

run() { # run SEED HAR
	"$bin/schemathesis" --config-file "$work/schemathesis.toml" --no-color run api/openapi.yaml \
		--url "$base" -H "Authorization: Bearer $admin_token" --checks all \
		-n "$examples" --seed "$1" --report har --report-har-path "$2" \
		--output-truncate true >"$work/run.log" 2>&1 || {
		cat "$work/run.log"
		echo "$prog: Schemathesis found failures with --seed $1 (SCHEMATHESIS_SEED=$1 gives the second run that seed)" >&2
		return 1
	}
	sed -n '/^=* SUMMARY =*$/,$p' "$work/run.log"
}

echo "== Schemathesis, $examples examples per operation, fixed seed $fixed_seed"
run "$fixed_seed" "$work/fixed.har"
"$bin/python" scripts/schemathesis/check-reached.py "$work/fixed.har"
echo "== Schemathesis, $examples examples per operation, random seed $random_seed"
seed
run "$random_seed" "$work/random.har"
