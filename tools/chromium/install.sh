#!/usr/bin/env bash
# install.sh: headless Chromium for the coverage report's browser test
# (cmd/report_browser_test.go), from Debian's package. Does nothing when
# `chromium` is already on PATH; otherwise installs it with apt-get, as root
# or through sudo. fonts-liberation gives the screenshots readable text on a
# machine without fonts.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
	exit 0
fi
sudo=
if [ "$(id -u)" -ne 0 ]; then
	if ! command -v sudo >/dev/null 2>&1; then
		echo "install.sh: chromium is missing and this is not root: run 'apt-get install chromium' as root" >&2
		exit 1
	fi
	sudo=sudo
fi
echo "install.sh: installing chromium (Debian package, about a minute the first time)" >&2
$sudo apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-liberation >/dev/null
command -v chromium >/dev/null
