#!/usr/bin/env bash
# What the test suite needs beyond Rust: Debian's Chromium and ChromeDriver, which the web-page
# test of ser-serve (crates/ser-serve/tests/browser.rs) drives headless. Without them that one
# test passes with a printed reason, so `cargo test` still runs on a machine without them.
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then
    SUDO=sudo
else
    SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y --no-install-recommends chromium chromium-driver \
    || { $SUDO apt-get update && $SUDO apt-get install -y --no-install-recommends chromium chromium-driver; }
