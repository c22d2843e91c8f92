#!/usr/bin/env bash
# install.sh: install the pinned Schemathesis (requirements.txt, every
# wheel checked by its sha256) into a virtual environment cached under
# ~/.cache/chatd/, and print the environment's bin directory. The
# environment is reused while requirements.txt and the Python version stay
# the same; anything else builds a new one. Progress goes to stderr, so
# `bin=$(scripts/schemathesis/install.sh)` works.
set -euo pipefail
cd "$(dirname "$0")"

prog=schemathesis/install.sh
note() { echo "$prog: $*" >&2; }
die() {
	note "$*"
	exit 1
}

# apt_install installs Debian packages when we are root; otherwise it says
# what is missing and stops.
apt_install() {
	if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
		note "installing Debian's $*"
		{
			apt-get update
			DEBIAN_FRONTEND=noninteractive apt-get install -y "$@"
		} >&2
	else
		die "the API fuzz test needs $* (with Python 3.11 or later); install them, e.g. 'sudo apt-get install -y $*', and run make test again."
	fi
}

command -v python3 >/dev/null 2>&1 || apt_install python3 python3-venv
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
	die "Python $(python3 -V 2>&1) is too old; Schemathesis needs 3.11 or later."
# Debian splits venv (and the ensurepip it needs) out of python3.
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
	apt_install "python3-venv" "python$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')-venv"
fi

cache=${XDG_CACHE_HOME:-$HOME/.cache}/chatd
key=$({
	sha256sum requirements.txt
	python3 -c 'import sys; print(sys.version, sys.executable)'
} | sha256sum | cut -c1-16)
venv=$cache/schemathesis-$key
if [[ ! -x $venv/bin/schemathesis || ! -f $venv/.chatd-complete ]]; then
	note "installing the pinned Schemathesis into $venv"
	rm -rf "$venv"
	mkdir -p "$cache"
	python3 -m venv "$venv" >&2
	"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
		--require-hashes --no-deps --only-binary=:all: -r requirements.txt >&2 ||
		die "pip could not install requirements.txt (network, or no wheel for Python $(python3 -V 2>&1 | cut -d' ' -f2) on $(uname -m) among the pinned hashes)"
	touch "$venv/.chatd-complete"
fi
echo "$venv/bin"
