#!/usr/bin/env bash
# Runs a command with WICKET_TEST_PG naming a throwaway PostgreSQL server: a cluster made
# with Debian's postgresql 15 in a temporary directory (owned by the `postgres` user when
# run as root: PostgreSQL refuses to run as root), on a free loopback port and a Unix socket
# in that directory, trust authentication for the superuser `wicket`, no fsync. The test
# support then gives every test a database of its own there (tests/support/pgdb.rs).
# Stopped and removed when the command ends, whatever its outcome; its status is returned.
#   tests/with_postgres.sh cargo test -p wicket-tests --test tests -- http::
set -euo pipefail
bin=/usr/lib/postgresql/15/bin
[ -x "$bin/initdb" ] || { echo "with_postgres: $bin/initdb missing (Debian's postgresql)" >&2; exit 1; }
dir=$(mktemp -d /tmp/wicket-pg.XXXXXX)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres: "$dir"
cleanup() {
    as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT
as_pg "$bin/initdb" -D "$dir/data" -U wicket --auth=trust -E UTF8 --no-sync --locale=C.UTF-8 >/dev/null
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# Every test's wicketd keeps a small pool and a listening connection; the tests run two at a
# time, some with several instances.
opts="-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=300"
as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -o "$opts" -w -t 30 start >/dev/null
export WICKET_TEST_PG="postgresql://wicket@127.0.0.1:$port"
set +e
"$@"
status=$?
set -e
if [ "$status" -ne 0 ] && [ -s "$dir/server.log" ]; then
    echo "== PostgreSQL's log (last 20 lines)"; tail -n 20 "$dir/server.log"
fi
exit "$status"
