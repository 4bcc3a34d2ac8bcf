#!/usr/bin/env bash
# Installs the browser the end-to-end tests (tests/e2e) drive: Debian's chromium.
# Playwright's own browser download cannot work on this project's machines (no internet
# besides the package registries), so the tests launch /usr/bin/chromium instead.
# Idempotent: does nothing when /usr/bin/chromium already exists. Fails loudly otherwise.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install-test-browser.sh: $CHROMIUM is missing and this user is not root (no sudo);" >&2
        echo "  install it with: apt-get update && apt-get install -y chromium" >&2
        exit 1
    fi
fi

echo "install-test-browser.sh: installing chromium from Debian's packages (once per machine) ..." >&2
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get update -qq; then
    echo "install-test-browser.sh: 'apt-get update' failed; cannot install chromium" >&2
    exit 1
fi
if ! $SUDO apt-get install -y -qq chromium; then
    echo "install-test-browser.sh: 'apt-get install chromium' failed" >&2
    exit 1
fi

if [ ! -x "$CHROMIUM" ]; then
    echo "install-test-browser.sh: chromium was installed but $CHROMIUM does not exist" >&2
    exit 1
fi
echo "install-test-browser.sh: $("$CHROMIUM" --version 2>/dev/null || echo chromium) installed" >&2
