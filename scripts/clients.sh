#!/usr/bin/env bash
# clients.sh: the TypeScript SDK (clients/typescript) and the web client
# (web/) in make test, against the throwaway services scripts/test.sh
# started (CHAT_TEST_DATABASE_URL, CHAT_TEST_KAFKA_BROKERS,
# CHAT_TEST_ETCD_ENDPOINTS):
#   - SDK: unit tests on a fake socket; its types, frame names and close
#     codes checked against api/asyncapi.yaml; end-to-end tests against real
#     chatd processes (send/receive, duplicates, token refresh, restart,
#     a 4010 redirect between two nodes);
#   - web: the static export built, then Playwright (playwright-core)
#     drives Debian's chromium against chatd serving it.
# node_modules come from the committed lock files (npm ci), reused while
# the lock file and the node version stay the same.
#
#   scripts/clients.sh [sdk|web|all]   (default all)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
prog=clients.sh
what=${1:-all}
GO=${GO:-go}
export SCARF_ANALYTICS=false DO_NOT_TRACK=1 NEXT_TELEMETRY_DISABLED=1

source scripts/lib.sh

command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
	die "the client tests need Node.js 20 or later with npm (scripts/check-specs.sh installs them as root)"
(($(node -p 'process.versions.node.split(".")[0]') >= 20)) || die "Node.js $(node --version) is too old; 20 or later is needed"

tmp=$(mktemp -d /tmp/chat-clients.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

echo "== building chatd for the client tests"
$GO build -o "$tmp/chatd" ./cmd/chatd
export CHATD_BIN=$tmp/chatd

sdk() {
	local dir=clients/typescript
	scripts/npm-ci.sh "$dir"
	cd "$dir"
	echo "== SDK: build, drift check against api/asyncapi.yaml"
	node_modules/.bin/tsc -p tsconfig.json
	node spec/generate.mjs
	node_modules/.bin/tsc -p spec/tsconfig.json
	echo "== SDK: unit tests"
	rm -rf build # no compiled test outlives its source
	node_modules/.bin/tsc -p tsconfig.test.json
	node --test --test-reporter=dot build/test/unit/
	echo "== SDK: end-to-end tests against real chatd"
	[[ -n ${CHAT_TEST_DATABASE_URL:-} && -n ${CHAT_TEST_ETCD_ENDPOINTS:-} ]] ||
		die "the SDK's end-to-end tests need CHAT_TEST_DATABASE_URL and CHAT_TEST_ETCD_ENDPOINTS (run make test)"
	node --test --test-concurrency=1 --test-reporter=spec build/test/e2e/
	cd "$root"
}

case $what in
sdk) sdk ;;
web) scripts/web.sh test ;;
all)
	sdk
	scripts/web.sh test
	;;
*) die "usage: scripts/clients.sh [sdk|web|all]" ;;
esac
