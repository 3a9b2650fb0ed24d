#!/usr/bin/env bash
# Installs the headless browser the report test (tests/report.rs) opens the
# HTML report in: Debian's `chromium` package. The test fails rather than
# skips without it, so `make test` runs this first. When /usr/bin/chromium is
# already there it does nothing.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    echo "setup-browser: /usr/bin/chromium is installed; nothing to do" >&2
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "setup-browser: chromium is missing and installing it needs root; run" >&2
    echo "  sudo apt-get update && sudo apt-get install -y chromium" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null; then
    echo "setup-browser: no apt-get here; install Chromium so that /usr/bin/chromium exists" >&2
    exit 1
fi

echo "setup-browser: running apt-get update" >&2
apt-get update
echo "setup-browser: running apt-get install -y chromium" >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

if [ ! -x /usr/bin/chromium ]; then
    echo "setup-browser: apt-get finished but /usr/bin/chromium is still missing" >&2
    exit 1
fi
echo "setup-browser: installed $(/usr/bin/chromium --version 2>/dev/null || echo chromium)" >&2
