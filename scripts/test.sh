#!/usr/bin/env bash
# make test: start a throwaway PostgreSQL cluster, Apache Kafka broker and etcd
# (the failover tests start Patroni clusters over that etcd themselves),
# run every test package against them in parallel, then the TypeScript SDK's
# and the web client's tests (scripts/clients.sh), fuzz the admin REST API
# against its OpenAPI document (Schemathesis) and the frame decoder and
# the command path
# briefly, stop them all.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
FUZZTIME=${FUZZTIME:-10s}
PGDIR=$(mktemp -d /tmp/chat-test-pg.XXXXXX)
KAFKADIR=$(mktemp -d /tmp/chat-test-kafka.XXXXXX)
ETCDDIR=$(mktemp -d /tmp/chat-test-etcd.XXXXXX)

cleanup() {
	scripts/etcd.sh stop "$ETCDDIR" >/dev/null 2>&1 || true
	rm -rf "$ETCDDIR"
	scripts/kafka.sh stop "$KAFKADIR" >/dev/null 2>&1 || true
	rm -rf "$KAFKADIR"
	scripts/pg.sh stop "$PGDIR" >/dev/null 2>&1 || true
	rm -rf "$PGDIR"
}
trap cleanup EXIT

echo "== checks: gofmt, go vet, generated code"
make --no-print-directory lint
make --no-print-directory check-generated
scripts/check-monitoring.sh # alert rules (promtool) and the dashboard
scripts/check-specs.sh # OpenAPI and AsyncAPI documents, checked by pinned npm tools

echo "== starting a throwaway PostgreSQL in $PGDIR"
CHAT_TEST_DATABASE_URL=$(scripts/pg.sh start "$PGDIR")
export CHAT_TEST_DATABASE_URL

echo "== starting a throwaway Apache Kafka broker in $KAFKADIR"
CHAT_TEST_KAFKA_BROKERS=$(scripts/kafka.sh start "$KAFKADIR")
export CHAT_TEST_KAFKA_BROKERS

echo "== starting a throwaway etcd in $ETCDDIR"
CHAT_TEST_ETCD_ENDPOINTS=$(scripts/etcd.sh start "$ETCDDIR")
export CHAT_TEST_ETCD_ENDPOINTS

echo "== checking for Patroni (the failover tests start clusters of their own)"
if scripts/patroni.sh install; then
	export CHAT_TEST_HA=1
elif [[ -n ${CI:-} ]]; then
	exit 1
else
	echo "== Patroni is missing (see above): the failover tests are skipped"
fi

echo "== go test (race detector on)"
$GO test -race -count=1 -timeout 15m ./...

echo "== the end-to-end suite again, each server over 3 shard databases"
CHAT_TEST_SHARDS=3 $GO test -race -count=1 -timeout 15m ./cmd/chatd/

echo "== clients: the TypeScript SDK and the web client against real chatd"
scripts/clients.sh

echo "== the admin REST API against api/openapi.yaml (Schemathesis, its own chatd)"
scripts/schemathesis/run.sh

echo "== fuzzing the frame decoder and the whole command path for $FUZZTIME each"
$GO test ./interfaces/protocol -run '^$' -fuzz '^FuzzDecode$' -fuzztime "$FUZZTIME"
$GO test ./interfaces/ws -run '^$' -fuzz '^FuzzCommandPath$' -fuzztime "$FUZZTIME"
