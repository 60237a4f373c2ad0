#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 clone, as root:
# installs what the tests need, checks formatting and lints, builds, and runs every test
# (unit tests, then integration tests that start real servers on loopback).
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=(nginx-light apache2-utils sqlite3 curl python3 python3-requests wrk libpam0g-dev pamtester)
missing=()
for p in "${need_pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "== installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# nginx from the package would start a system instance on port 80; the tests run their own.
systemctl disable --now nginx >/dev/null 2>&1 || true

echo "== format";  cargo fmt --all --check
echo "== clippy";  cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== build";   cargo build --workspace --locked
echo "== tests";   cargo test --workspace --locked --no-fail-fast 2>&1 | tee target/test-output.txt
grep -q "test result: FAILED" target/test-output.txt && exit 1
echo "== all tests passed"
