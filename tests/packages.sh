#!/usr/bin/env bash
# Package test (root only; it changes the machine and puts it back):
# builds the .debs with dpkg-buildpackage, runs lintian, installs them with apt, starts the
# installed wicketd as the `wicket` user the way the unit does, adds a user with the
# installed CLI, authenticates it through the PAM stack pam-auth-update generated, resolves
# it through the edited nsswitch.conf, protects an nginx location with the shipped example,
# then purges everything and checks /etc/pam.d and /etc/nsswitch.conf are byte-identical.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tests/lib.sh
. "$repo/tests/lib.sh"

if [ "$(id -u)" != 0 ]; then skip "needs root"; fi
if dpkg-query -W -f='${Status}' wicket 2>/dev/null | grep -q "install ok"; then
    echo "packages: a wicket package is already installed here; refusing to touch it" >&2; exit 1
fi

work=$(mktemp -d /tmp/wicket-pkg.XXXXXX)
backup=$work/backup
mkdir -p "$backup"
cp -a /etc/pam.d "$backup/pam.d"
cp -a /etc/nsswitch.conf "$backup/nsswitch.conf"
daemon_pid=""
nginx_pid=""
cleanup() {
    set +e
    [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null
    [ -n "$nginx_pid" ] && kill -QUIT "$nginx_pid" 2>/dev/null
    if dpkg-query -W -f='${Status}' wicket 2>/dev/null | grep -q "install ok"; then
        DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq wicket libpam-wicket libnss-wicket >/dev/null 2>&1
    fi
    # Put back only what changed in /etc/pam.d: files that differ from (or lost) their copy,
    # and remove files that were not there before.
    for f in "$backup"/pam.d/*; do
        cmp -s "$f" "/etc/pam.d/${f##*/}" || cp -a "$f" /etc/pam.d/
    done
    for f in /etc/pam.d/*; do
        [ -e "$backup/pam.d/${f##*/}" ] || [ -L "$backup/pam.d/${f##*/}" ] || rm -f "$f"
    done
    cp -a "$backup/nsswitch.conf" /etc/nsswitch.conf
    rm -rf "$work"
}
trap cleanup EXIT

echo "== packages: build"
mkdir -p "$work/src"
git -C "$repo" ls-files -z | (cd "$repo" && xargs -0 cp --parents -t "$work/src")
# Uncommitted changes are part of what we test.
(cd "$work/src" && CARGO_TARGET_DIR="$repo/target/pkg" dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1) \
    || { tail -40 "$work/build.log"; fail "dpkg-buildpackage"; summary packages; exit 1; }
ok "dpkg-buildpackage -us -uc -b"
debs=("$work"/*.deb)
check "three binary packages" test "${#debs[@]}" -eq 3

if command -v lintian >/dev/null; then
    lintian --tag-display-limit 0 "$work"/*.changes >"$work/lintian.txt" 2>&1 || true
    sed 's/^/    /' "$work/lintian.txt"
    check "lintian reports no errors" bash -c "! grep -q '^E:' '$work/lintian.txt'"
fi

echo "== packages: install"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${debs[@]}" >"$work/install.log" 2>&1 \
    || { tail -30 "$work/install.log"; fail "apt-get install"; summary packages; exit 1; }
ok "apt-get install ./*.deb"
check "system user wicket" getent passwd wicket
check "conffile 0640 root:wicket" test "$(stat -c '%a %U:%G' /etc/wicket/wicket.toml)" = "640 root:wicket"
check "state dir 0750 wicket" test "$(stat -c '%a %U' /var/lib/wicket)" = "750 wicket"
check "pam module installed" test -f "/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/security/pam_wicket.so"
check "nss module installed" test -f "/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/libnss_wicket.so.2"
check "nsswitch.conf lists wicket for passwd" grep -Eq '^passwd:.*\bwicket\b' /etc/nsswitch.conf
check "nsswitch.conf lists wicket for group" grep -Eq '^group:.*\bwicket\b' /etc/nsswitch.conf
check "pam-auth-update added pam_wicket to common-auth" grep -q pam_wicket.so /etc/pam.d/common-auth
if command -v systemd-analyze >/dev/null; then
    if systemd-analyze verify /lib/systemd/system/wicketd.service >"$work/verify.txt" 2>&1; then
        ok "systemd-analyze verify"
    else
        sed 's/^/    /' "$work/verify.txt"
        grep -q "wicketd.service" "$work/verify.txt" && fail "systemd-analyze verify" || ok "systemd-analyze verify (only unrelated warnings)"
    fi
fi

echo "== packages: run"
printf 'pkg-secret-1\n' | wicket user add pkguser --password-stdin
check "CLI created the store owned by wicket" test "$(stat -c '%U %a' /var/lib/wicket/wicket.db)" = "wicket 600"
install -d -o wicket -g wicket -m 0755 /run/wicket
runuser -u wicket -- /usr/sbin/wicketd --config /etc/wicket/wicket.toml >"$work/wicketd.log" 2>&1 &
daemon_pid=$!
check "installed wicketd answers /healthz" wait_for "the installed wicketd" 15 curl -fs -o /dev/null http://127.0.0.1:8089/healthz
check "HTTP Basic as pkguser" curl -fs -o /dev/null -u pkguser:pkg-secret-1 http://127.0.0.1:8089/whoami
out=$(printf 'pkg-secret-1\n' | pamtester login pkguser authenticate 2>&1 || true)
check "pamtester login pkguser authenticate (common-auth stack)" grep -q "successfully authenticated" <<<"$out"
out=$(printf 'wrong\n' | pamtester login pkguser authenticate 2>&1 || true)
check "pamtester refuses a wrong password" bash -c "! grep -q 'successfully authenticated' <<<'$out'"
check "getent passwd pkguser through nsswitch.conf" bash -c "getent passwd pkguser | grep -q '^pkguser:\*:200000:'"

conf=$work/nginx
mkdir -p "$conf/logs"
{
    echo "worker_processes 1; error_log $conf/logs/error.log; pid $conf/nginx.pid;"
    echo "events { worker_connections 64; }"
    echo "http { access_log off; client_body_temp_path $conf/cb; proxy_temp_path $conf/px;"
    echo "  server { listen 127.0.0.1:18080; location / { return 200 \"app user=\$http_remote_user\\n\"; } }"
    sed -e 's/listen 80;/listen 127.0.0.1:18081;/' -e 's/127.0.0.1:8080/127.0.0.1:18080/' /usr/share/doc/wicket/examples/nginx.conf
    echo "}"
} >"$conf/nginx.conf"
nginx -p "$conf" -c "$conf/nginx.conf" -g 'daemon off;' &
nginx_pid=$!
check "nginx with the shipped example is up" wait_for "nginx on 18081" 15 curl -s -o /dev/null http://127.0.0.1:18081/
check "nginx example: 401 without credentials" test "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:18081/app/)" = 401
check "nginx example: 200 and Remote-User upstream" bash -c \
    "curl -fs -u pkguser:pkg-secret-1 http://127.0.0.1:18081/app/ | grep -q 'app user=pkguser'"
check "nginx example: 403 outside admins" test "$(curl -s -o /dev/null -w '%{http_code}' -u pkguser:pkg-secret-1 http://127.0.0.1:18081/admin/)" = 403
kill -QUIT "$nginx_pid"; wait "$nginx_pid" 2>/dev/null || true; nginx_pid=""
kill "$daemon_pid"; wait "$daemon_pid" 2>/dev/null || true; daemon_pid=""

echo "== packages: purge"
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq wicket libpam-wicket libnss-wicket >"$work/purge.log" 2>&1 \
    && ok "apt-get purge" || { tail -20 "$work/purge.log"; fail "apt-get purge"; }
check "/etc/pam.d byte-identical after purge" diff -r "$backup/pam.d" /etc/pam.d
check "/etc/nsswitch.conf byte-identical after purge" cmp "$backup/nsswitch.conf" /etc/nsswitch.conf
check "state and config removed" bash -c "! test -e /var/lib/wicket && ! test -e /etc/wicket"
check "system user removed" bash -c "! getent passwd wicket >/dev/null"

summary packages
