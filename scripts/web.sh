#!/usr/bin/env bash
# web.sh: build and test the web client (web/, on the SDK in clients/typescript).
#
#   scripts/web.sh build        npm ci from the lock files, build the SDK and
#                               the static export into web/out, unless the
#                               sources are unchanged since the last build
#   scripts/web.sh background   the same in the background with progress
#                               lines prefixed "web |", for make run; says
#                               so and returns at once without Node.js
#   scripts/web.sh test         build, then the browser tests: Playwright
#                               (playwright-core) driving Debian's chromium
#                               (installed with apt-get when missing, as
#                               root) against real chatd processes; needs
#                               CHAT_TEST_DATABASE_URL (make test sets it)
set -euo pipefail
cd "$(dirname "$0")/.."
prog=web.sh
export SCARF_ANALYTICS=false DO_NOT_TRACK=1 NEXT_TELEMETRY_DISABLED=1

source scripts/lib.sh

have_node() {
	command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 &&
		(($(node -p 'process.versions.node.split(".")[0]') >= 20))
}

# sources_hash: everything the export is built from.
sources_hash() {
	{
		node --version
		find web clients/typescript \
			-path '*/node_modules' -prune -o -path web/out -prune -o -path web/.next -prune -o \
			-path clients/typescript/dist -prune -o -path clients/typescript/build -prune -o \
			-path clients/typescript/spec/generated -prune -o -path web/tests -prune -o \
			-type f ! -name '*.tsbuildinfo' ! -name next-env.d.ts -print0 | sort -z | xargs -0 sha256sum
	} | sha256sum | cut -d' ' -f1
}

build() {
	have_node || die "the web client needs Node.js 20 or later with npm (e.g. apt-get install -y nodejs npm)"
	local hash
	hash=$(sources_hash)
	if [[ -f web/out/index.html && -f web/out/.chatd-stamp && $(cat web/out/.chatd-stamp) == "$hash" ]]; then
		echo "$prog: web/out is up to date" >&2
		return 0
	fi
	echo "$prog: [1/3] installing the SDK's and the web client's packages (npm ci)" >&2
	scripts/npm-ci.sh clients/typescript
	scripts/npm-ci.sh web
	echo "$prog: [2/3] building the SDK (clients/typescript/dist)" >&2
	(cd clients/typescript && node_modules/.bin/tsc -p tsconfig.json)
	echo "$prog: [3/3] building the static export (next build, about a minute or two)" >&2
	rm -f web/out/.chatd-stamp # a build cut short must not look finished
	(cd web && node_modules/.bin/next build >&2)
	echo "$hash" >web/out/.chatd-stamp
	echo "$prog: web client built into web/out" >&2
}

case ${1:-} in
build) build ;;
background)
	if ! have_node; then
		echo "$prog: Node.js 20+ with npm not found: chatd starts without its web client; / says how to get it" >&2
		exit 0
	fi
	# chatd starts at once and serves web/out as soon as the build is there.
	# Niced, so the build yields the CPU to chatd's own start.
	(nice -n 10 bash scripts/web.sh build 2>&1 | sed -u 's/^/web | /' >&2 || echo "web | the build failed; / keeps saying how to build it" >&2) &
	;;
test)
	build
	if [[ ! -x /usr/bin/chromium ]]; then
		note "the browser tests need Debian's chromium (/usr/bin/chromium)"
		apt_install chromium
	fi
	[[ -n ${CHAT_TEST_DATABASE_URL:-} ]] || die "the browser tests need CHAT_TEST_DATABASE_URL (run make test)"
	if [[ -z ${CHATD_BIN:-} ]]; then
		tmp=$(mktemp -d /tmp/chat-web.XXXXXX)
		trap 'rm -rf "$tmp"' EXIT
		${GO:-go} build -o "$tmp/chatd" ./cmd/chatd
		export CHATD_BIN=$tmp/chatd
	fi
	echo "== web: browser tests (playwright-core, Debian chromium)"
	CHAT_WEB_DIR=$PWD/web/out node --test --test-concurrency=1 --test-reporter=spec web/tests/
	;;
*)
	echo "usage: scripts/web.sh build|background|test" >&2
	exit 2
	;;
esac
