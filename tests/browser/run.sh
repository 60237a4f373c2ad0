#!/usr/bin/env bash
# Runs the browser tests (after setup.sh): the harness smoke test, the portal pages under
# their real security headers (any CSP violation fails; screenshots land in a temporary
# directory, or in $1 when given, e.g. docs/screenshots), and the form-action check.
# Each script is one test; the closing line "browser: N passed, N failed" is what
# scripts/test.sh counts. (The sign-in flow through nginx, tests/browser/portal.mjs, runs
# from the Rust integration tests: tests/portal.rs starts wicketd and nginx for it.)
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
samples=$(mktemp -d)
shots=${1:-$(mktemp -d)}
trap 'rm -rf "$samples"; [[ -n "${1:-}" ]] || rm -rf "$shots"' EXIT

passed=0
failed=0
run() {
    local name=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
    else
        echo "browser: FAILED: $name"
        failed=$((failed + 1))
    fi
}

run smoke node tests/browser/smoke.mjs
if WICKET_PORTAL_SAMPLES="$samples" cargo test -q -p wicketd --lib portal::pages::tests::write_samples -- --ignored >/dev/null; then
    run screenshots node tests/browser/screenshots.mjs "$samples" "$shots"
    run form_action node tests/browser/form_action.mjs "$samples"
else
    echo "browser: FAILED: writing the sample pages"
    failed=$((failed + 2))
fi
echo "browser: $passed passed, $failed failed"
((failed == 0))
