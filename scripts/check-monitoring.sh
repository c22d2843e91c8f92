#!/usr/bin/env bash
# check-monitoring.sh: checks the Prometheus alert rules with promtool
# (Debian's prometheus package, installed when missing and run as root).
# That every metric the rules and the Grafana dashboard use is one chatd
# exports is checked by TestDashboardAndAlertsUseExportedMetrics.
set -euo pipefail
cd "$(dirname "$0")/.."
prog=check-monitoring.sh
source scripts/lib.sh

ensure_promtool() {
	command -v promtool >/dev/null 2>&1 && return 0
	if ! is_root; then
		die "no promtool found; install it, e.g. 'sudo apt-get install -y prometheus'"
	fi
	note "no promtool found; installing Debian's prometheus package"
	{
		apt-get update
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus
	} >&2
	command -v promtool >/dev/null 2>&1 || die "prometheus installed but promtool still not found"
}

ensure_promtool
promtool check rules deploy/prometheus/alerts.yml
python3 -m json.tool deploy/grafana/chatd.json >/dev/null 2>&1 ||
	die "deploy/grafana/chatd.json is not valid JSON"
