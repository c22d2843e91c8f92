#!/usr/bin/env bash
# npm-ci.sh DIR: install DIR's node_modules from its committed lock file
# (npm ci, no install scripts) unless they are already the ones it pins for
# this node version; a stamp in node_modules remembers which.
set -euo pipefail
dir=${1:?usage: scripts/npm-ci.sh DIR}
export SCARF_ANALYTICS=false DO_NOT_TRACK=1
stamp="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1) $(node --version)"
if [[ ! -f $dir/node_modules/.chatd-stamp || $(cat "$dir/node_modules/.chatd-stamp") != "$stamp" ]]; then
	echo "npm-ci.sh: npm ci in $dir" >&2
	(cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
	echo "$stamp" >"$dir/node_modules/.chatd-stamp"
fi
