#!/usr/bin/env bash
# Runs the browser tests (after setup.sh): the harness smoke test, the portal pages under
# their real security headers (any CSP violation fails; screenshots land in a temporary
# directory, or in $1 when given, e.g. docs/screenshots), and the form-action check.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
samples=$(mktemp -d)
shots=${1:-$(mktemp -d)}
trap 'rm -rf "$samples"; [[ -n "${1:-}" ]] || rm -rf "$shots"' EXIT

node tests/browser/smoke.mjs
WICKET_PORTAL_SAMPLES="$samples" cargo test -q -p wicketd --lib portal::pages::tests::write_samples -- --ignored >/dev/null
node tests/browser/screenshots.mjs "$samples" "$shots"
node tests/browser/form_action.mjs "$samples"
