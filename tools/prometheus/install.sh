#!/usr/bin/env bash
# install.sh: make promtool (Prometheus' rule checker and rule unit tester)
# available as .tools/bin/promtool for the alert tests in deploy/.
#
# promtool ships in Debian's prometheus package (2.42 in Debian 12). When it
# is not on PATH, the package is installed with apt (root only) without
# starting the Prometheus server the package brings: nothing needs it.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=$repo/.tools/bin/promtool

if ! command -v promtool >/dev/null 2>&1; then
	if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
		echo "promtool: not found; install Debian's prometheus package as root (apt-get install prometheus)" >&2
		exit 1
	fi
	# policy-rc.d exit 101 forbids starting services from maintainer scripts
	# (Debian's invoke-rc.d policy); only when there is none, removed after.
	policy=/usr/sbin/policy-rc.d
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' > "$policy"
		chmod +x "$policy"
		trap 'rm -f "$policy"' EXIT
	fi
	echo "promtool: installing Debian's prometheus package" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi

mkdir -p "$(dirname "$bin")"
ln -sf "$(command -v promtool)" "$bin"
"$bin" --version 2>&1 | head -n 1
