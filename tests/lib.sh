# Shared by tests/sshd.sh and tests/packages.sh (sourced, not run).
#
# ok/fail count checks; `summary NAME` prints "NAME: N passed, N failed" (scripts/test.sh adds
# these up) and fails when anything failed. `skip WHY` ends a script whose environment is
# missing: in CI (CI=true) that is a failure; elsewhere it prints "skipped: WHY", appends a
# line to $WICKET_SKIP_LOG (default target/skipped.txt) and exits 0. `wait_for WHAT SECONDS
# CMD…` polls CMD until it succeeds and fails loudly, naming WHAT, when SECONDS pass first.

passed=0
failed=0
ok()   { echo "ok   - $*"; passed=$((passed + 1)); }
fail() { echo "FAIL - $*"; failed=$((failed + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }

summary() {
    echo "$1: $passed passed, $failed failed"
    [ "$failed" = 0 ]
}

skip() {
    local me why=$1
    me=$(basename "$0" .sh)
    if [ "${CI:-}" = true ]; then
        echo "$me: FAIL - missing test environment in CI (CI=true): $why" >&2
        exit 1
    fi
    echo "$me: skipped: $why"
    local log=${WICKET_SKIP_LOG:-$repo/target/skipped.txt}
    mkdir -p "$(dirname "$log")" && echo "$me: $why" >>"$log"
    exit 0
}

wait_for() {
    local what=$1 seconds=$2; shift 2
    local deadline=$((SECONDS + seconds))
    until "$@" 2>/dev/null; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "gave up after ${seconds}s waiting for $what" >&2
            return 1
        fi
        sleep 0.05
    done
}
