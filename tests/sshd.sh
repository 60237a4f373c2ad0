#!/usr/bin/env bash
# End to end, as root: a user that exists only in Wicket's database logs in over ssh.
# Installs the freshly built pam_wicket.so and libnss_wicket.so.2, adds `wicket` to the
# passwd and group lines of nsswitch.conf, points /etc/pam.d/sshd at pam_wicket, starts a
# wicketd on the default socket and an sshd on 127.0.0.1, logs in with sshpass, and puts
# every system file back afterwards.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$repo/target}/debug
multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
# shellcheck source=tests/lib.sh
. "$repo/tests/lib.sh"

if [ "$(id -u)" != 0 ]; then skip "needs root"; fi
for f in /etc/wicket/wicket.toml /run/wicket/wicketd.sock "/usr/lib/$multiarch/libnss_wicket.so.2" \
         "/usr/lib/$multiarch/security/pam_wicket.so"; do
    if [ -e "$f" ]; then echo "sshd: $f exists (an installed Wicket?); refusing to touch it" >&2; exit 1; fi
done
for b in wicketd wicket libpam_wicket.so libnss_wicket.so; do
    test -e "$target/$b" || { echo "sshd: $target/$b not built" >&2; exit 1; }
done

work=$(mktemp -d /tmp/wicket-sshd.XXXXXX)
cp -a /etc/nsswitch.conf "$work/nsswitch.conf.orig"
cp -a /etc/pam.d/sshd "$work/pam-sshd.orig" 2>/dev/null || true
pids=()
cleanup() {
    set +e
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    cp -a "$work/nsswitch.conf.orig" /etc/nsswitch.conf
    if [ -e "$work/pam-sshd.orig" ]; then cp -a "$work/pam-sshd.orig" /etc/pam.d/sshd; else rm -f /etc/pam.d/sshd; fi
    rm -f "/usr/lib/$multiarch/libnss_wicket.so.2" "/usr/lib/$multiarch/security/pam_wicket.so"
    rm -f /run/wicket/wicketd.sock
    rmdir /run/wicket 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

install -m0644 "$target/libnss_wicket.so" "/usr/lib/$multiarch/libnss_wicket.so.2"
install -D -m0644 "$target/libpam_wicket.so" "/usr/lib/$multiarch/security/pam_wicket.so"
sed -i -E 's/^(passwd:.*)$/\1 wicket/; s/^(group:.*)$/\1 wicket/' /etc/nsswitch.conf
cat >/etc/pam.d/sshd <<'PAM'
# written by Wicket's tests/sshd.sh; the original is restored afterwards
auth     required pam_wicket.so
account  required pam_wicket.so
password required pam_wicket.so
session  optional pam_wicket.so
PAM

# sshd cannot bind port 0 and say which port it got: a port that was free a moment ago,
# and a check below that this sshd (not something else) is the one listening on it.
sshport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/wicket.toml" <<TOML
[server]
listen = "127.0.0.1:0"
socket = "/run/wicket/wicketd.sock"
[store]
path = "$work/wicket.db"
[throttle]
delays = ["0s"]
[totp]
key_file = "$work/totp.key"
TOML
printf 'ssh-secret-1\n' | "$target/wicket" --config "$work/wicket.toml" user add sshonly --password-stdin --full-name "Only In Wicket"
"$target/wicket" --config "$work/wicket.toml" group add sshgroup
"$target/wicket" --config "$work/wicket.toml" group add-member sshgroup sshonly
# A second user with a TOTP second factor (confirmed with a first code).
printf 'ssh-secret-2\n' | "$target/wicket" --config "$work/wicket.toml" user add sshtotp --password-stdin
python3 "$repo/tests/ssh_totp.py" enroll "$target/wicket" "$work/wicket.toml" sshtotp "$work/totp.secret"
"$target/wicketd" --config "$work/wicket.toml" >"$work/wicketd.log" 2>&1 &
pids+=($!)
wait_for "wicketd's socket" 15 test -S /run/wicket/wicketd.sock || { cat "$work/wicketd.log"; exit 1; }

if getent passwd sshonly | grep -q '^sshonly:\*:200000:200000:Only In Wicket:'; then ok "getent passwd sshonly (NSS)"; else fail "getent passwd sshonly"; fi
if id sshonly 2>/dev/null | grep -q 'sshgroup'; then ok "id sshonly shows Wicket groups (initgroups)"; else fail "id sshonly: $(id sshonly 2>&1)"; fi

mkdir -p /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$work/hostkey"
cat >"$work/sshd_config" <<CFG
Port $sshport
ListenAddress 127.0.0.1
HostKey $work/hostkey
PidFile $work/sshd.pid
UsePAM yes
PasswordAuthentication yes
KbdInteractiveAuthentication yes
PubkeyAuthentication no
PermitRootLogin no
StrictModes no
AuthorizedKeysFile none
CFG
/usr/sbin/sshd -D -e -f "$work/sshd_config" 2>"$work/sshd.log" &
sshd_pid=$!
pids+=("$sshd_pid")
sshd_up() { kill -0 "$sshd_pid" && grep -q "Server listening on 127.0.0.1 port $sshport" "$work/sshd.log"; }
wait_for "sshd on port $sshport" 15 sshd_up || { cat "$work/sshd.log"; exit 1; }

# Two prompts: after a refused password ssh asks again, and sshpass, seeing the second prompt,
# exits 5 ("invalid password"). Anything else (255: no connection, sshd down) is not that.
ssh_as() {
    sshpass -p "$2" ssh -p "$sshport" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -o PreferredAuthentications=password -o PubkeyAuthentication=no -o NumberOfPasswordPrompts=2 \
        -o ConnectTimeout=10 -o LogLevel=ERROR "$1@127.0.0.1" id
}
right_password() {
    if out=$(ssh_as sshonly ssh-secret-1 2>&1) && grep -q 'uid=200000(sshonly)' <<<"$out"; then
        ok "ssh login with the right password runs id ($1): $out"
    else
        fail "ssh login with the right password ($1): $out"; tail -20 "$work/sshd.log"; tail -20 "$work/wicketd.log"
    fi
}
right_password "first"
rc=0; out=$(ssh_as sshonly wrong-password 2>&1) || rc=$?
if [ "$rc" = 5 ]; then ok "ssh login with a wrong password is refused as a wrong password (sshpass 5)"
else fail "wrong password: sshpass exit $rc, not 5 (wrong password): $out"; fi
# The same sshd still lets the right password in: the refusal was the password's.
right_password "after the wrong one"

# Password + verification code, keyboard-interactive on a pty (the code of the next time step:
# the current one was spent confirming the enrolment, and each code counts once).
rc=0; out=$(python3 "$repo/tests/ssh_totp.py" login "$sshport" sshtotp ssh-secret-2 "$work/totp.secret" right 2>&1) || rc=$?
if [ "$rc" = 0 ] && grep -q '(sshtotp)' <<<"$out"; then ok "ssh login with password + TOTP code runs id"
else fail "password + code: exit $rc: $out"; tail -20 "$work/sshd.log"; tail -20 "$work/wicketd.log"; fi
rc=0; out=$(python3 "$repo/tests/ssh_totp.py" login "$sshport" sshtotp ssh-secret-2 "$work/totp.secret" wrong 2>&1) || rc=$?
if [ "$rc" = 5 ]; then ok "ssh login with the right password and a wrong code is refused"
else fail "wrong code: exit $rc, not 5 (refused): $out"; fi
if grep -q 'ssh-secret-[12]\|wrong-password' "$work/wicketd.log" "$work/sshd.log"; then fail "a password reached a log"; else ok "no password in the logs"; fi

summary sshd
