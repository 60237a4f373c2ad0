#!/usr/bin/env bash
# Wicket HTTP benchmark: wicketd behind nginx `auth_request` compared with nginx alone.
#
# Run as root on Debian 12 from anywhere in the repository:
#     scripts/bench.sh                  # DURATION=10s per wrk run, about 2-3 minutes in all
#     DURATION=5s scripts/bench.sh
#
# Self-contained: installs nginx-light, apache2-utils, wrk, curl, slapd and ldap-utils if
# missing, builds the release binaries, creates everything in a `mktemp -d` directory,
# starts its own nginx, its own slapd (an mdb directory loaded with slapadd) and four
# wicketd instances on free 127.0.0.1 ports, measures, prints a Markdown report on stdout
# (progress goes to stderr) and stops every process it started on exit.
# It never listens on anything but loopback and never touches the system nginx or slapd
# (its nginx runs with -p/-c/-e pointing into the temporary directory, pid file included;
# its slapd runs in the foreground with -f pointing there, database and pid file included).
#
# Environment knobs:
#   DURATION      length of each wrk run (wrk syntax: 10s, 30s, 1m)      [10s]
#   THREADS       wrk threads for the throughput runs                     [2]
#   CONNECTIONS   wrk connections for the throughput runs                 [32]
#   PROBE_CONNECTIONS  connections of the Bearer client during the flood  [4]
#   FLOOD_CONNECTIONS  connections of the wrong-password flood            [32]
#   SAMPLES       requests per kind for the timing comparison             [40]
#   NO_BUILD=1    use the existing target/release binaries as they are
#   KEEP_TMP=1    keep the temporary directory (logs, configs) at the end
#   WICKET_LOG    wicketd's log filter, passed through (default info: one audit line per
#                 request, written to a file in the temporary directory)
#
# Exit status: 0 when every measurement was valid (targets missed are results, not
# errors); 1 when setup failed or a request that should have been accepted was not.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
PROBE_CONNECTIONS=${PROBE_CONNECTIONS:-4}
FLOOD_CONNECTIONS=${FLOOD_CONNECTIONS:-32}
SAMPLES=${SAMPLES:-40}
ARGON_SAMPLES=20
WARMUP=10

log() { printf '== %s\n' "$*" >&2; }
die() {
    printf 'bench: FAILED: %s\n' "$*" >&2
    exit 1
}

# Seconds in a wrk duration (10, 10s, 2m, 1h).
duration_secs() {
    local d=$1
    case $d in
        *[0-9]s) echo "${d%s}" ;;
        *[0-9]m) echo $((${d%m} * 60)) ;;
        *[0-9]h) echo $((${d%h} * 3600)) ;;
        *[0-9]) echo "$d" ;;
        *) die "DURATION=$d: expected e.g. 10s, 30s or 1m" ;;
    esac
}
dur_s=$(duration_secs "$DURATION")
[[ $dur_s =~ ^[0-9]+$ && $dur_s -ge 1 ]] || die "DURATION=$DURATION: expected a whole number of seconds >= 1"

# --- tools ------------------------------------------------------------------------------
missing=()
for c in nginx htpasswd wrk curl; do
    command -v "$c" >/dev/null 2>&1 || missing+=("$c")
done
if ((${#missing[@]})); then
    ((EUID == 0)) || die "missing ${missing[*]}: run as root to install them"
    log "installing nginx-light apache2-utils wrk curl (missing: ${missing[*]})"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y nginx-light apache2-utils wrk curl
    for c in nginx htpasswd wrk curl; do
        command -v "$c" >/dev/null 2>&1 || die "$c still missing after apt-get install"
    done
fi
# slapd for the LDAP rows. Preseeded so that installing the package creates no directory of
# its own (the system instance, if any, is never configured, started or stopped here).
ldap_tools=(slapd slapadd slappasswd ldapwhoami)
missing=()
for c in "${ldap_tools[@]}"; do
    command -v "$c" >/dev/null 2>&1 || missing+=("$c")
done
if ((${#missing[@]})); then
    ((EUID == 0)) || die "missing ${missing[*]}: run as root to install them"
    log "installing slapd ldap-utils (missing: ${missing[*]})"
    echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y slapd ldap-utils
    for c in "${ldap_tools[@]}"; do
        command -v "$c" >/dev/null 2>&1 || die "$c still missing after apt-get install"
    done
fi
for f in /etc/ldap/schema/{core,cosine,inetorgperson,nis}.schema /usr/lib/ldap/back_mdb.la; do
    [[ -e $f ]] || die "$f not found (slapd package incomplete?)"
done
nginx_build=$(nginx -V 2>&1)
[[ $nginx_build == *--with-http_auth_request_module* ]] || die "this nginx has no auth_request module"

# --- build ------------------------------------------------------------------------------
if ! command -v cargo >/dev/null 2>&1 && [[ -f $HOME/.cargo/env ]]; then
    # shellcheck source=/dev/null
    . "$HOME/.cargo/env"
fi
target_dir=${CARGO_TARGET_DIR:-$root/target}
[[ $target_dir == /* ]] || target_dir=$root/$target_dir
bin=$target_dir/release
if [[ ${NO_BUILD:-0} != 1 ]]; then
    command -v cargo >/dev/null 2>&1 || die "cargo not found (install Rust, or NO_BUILD=1 with built binaries)"
    log "cargo build --release --locked -p wicketd -p wicket"
    (cd "$root" && cargo build --release --locked -p wicketd -p wicket) || die "cargo build failed"
fi
for b in wicketd wicket; do
    [[ -x $bin/$b ]] || die "$bin/$b not found"
done

# --- temporary directory and cleanup ----------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wicket-bench.XXXXXX")
# nginx workers run as an unprivileged user when the master is root: they must be able to
# enter the directory and read the htpasswd files. The store lives in a private subdirectory.
chmod 0755 "$tmp"
mkdir -m 0700 "$tmp/private" "$tmp/nginx-tmp" "$tmp/ldap" "$tmp/ldap/db"
nginx_pid=
daemon_pids=()
client_pids=()

stop_pid() { # pid seconds-to-wait
    local pid=$1 waited=0
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null
    while kill -0 "$pid" 2>/dev/null && ((waited < $2 * 10)); do
        sleep 0.1
        waited=$((waited + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
        printf 'bench: pid %s ignored SIGTERM, sending SIGKILL\n' "$pid" >&2
        kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
    return 0
}

cleanup() {
    local rc=$? p workers=() left=()
    set +e
    trap - EXIT INT TERM
    for p in "${client_pids[@]}"; do stop_pid "$p" 2; done
    if [[ -n $nginx_pid ]]; then
        mapfile -t workers < <(pgrep -P "$nginx_pid" 2>/dev/null)
        stop_pid "$nginx_pid" 5
        for p in "${workers[@]}"; do
            kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
        done
    fi
    for p in "${daemon_pids[@]}"; do stop_pid "$p" 12; done
    for p in "${client_pids[@]}" "${daemon_pids[@]}" ${nginx_pid:+"$nginx_pid"} "${workers[@]}"; do
        kill -0 "$p" 2>/dev/null && left+=("$p")
    done
    ((${#left[@]})) && printf 'bench: WARNING: processes still running: %s\n' "${left[*]}" >&2
    if ((rc == 1)); then # a failure, not an interruption: show what the servers said
        for f in "$tmp"/nginx-error.log "$tmp"/*.log; do
            [[ -s $f ]] || continue
            printf -- '--- last lines of %s\n' "$f" >&2
            tail -n 15 "$f" >&2
        done
    fi
    if [[ ${KEEP_TMP:-0} == 1 ]]; then
        printf 'bench: kept %s\n' "$tmp" >&2
    else
        rm -rf "$tmp"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- ports ------------------------------------------------------------------------------
# Below the ephemeral range, so that no client connection (wrk, nginx upstreams) holds it.
eph_lo=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
((eph_lo > 12000)) || eph_lo=32768
taken=" "
free_port() { # sets the variable named $1
    local -n out=$1
    local p i
    for ((i = 0; i < 500; i++)); do
        p=$((10000 + (RANDOM * 32768 + RANDOM) % (eph_lo - 10000)))
        [[ $taken == *" $p "* ]] && continue
        # Something listening on 127.0.0.1 or 0.0.0.0 would accept this connection.
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            taken+="$p "
            out=$p
            return 0
        fi
    done
    die "no free loopback port found"
}
free_port port_front
free_port port_app
free_port port_wd
free_port port_wn
free_port port_wl
free_port port_wf
free_port port_ldap

# --- credentials ------------------------------------------------------------------------
rand() { tr -dc 'A-Za-z0-9' </dev/urandom | head -c "$1" || true; }
b64() { printf '%s' "$1" | base64 -w0; }
user=bench
password=$(rand 20)
wrong_password="wrong-$(rand 12)"
db=$tmp/private/wicket.db

fill_template() { # template output name=value...
    local tpl=$1 out=$2 args=() kv
    shift 2
    for kv in "$@"; do
        args+=(-e "s|@${kv%%=*}@|${kv#*=}|g")
    done
    sed "${args[@]}" "$tpl" >"$out"
    if grep -q '@[A-Z_]\+@' "$out"; then die "unfilled placeholder in $out: $(grep -o '@[A-Z_]\+@' "$out" | head -1)"; fi
}

cfg_wd=$tmp/wicketd-default.toml
cfg_wn=$tmp/wicketd-nothrottle.toml
cfg_wl=$tmp/wicketd-ldap.toml
cfg_wf=$tmp/wicketd-ldapfirst.toml
ldap_secret=$tmp/private/ldap-reader.secret
backend_local() { printf '\n[[backend]]\nkind = "local"\n'; }
fill_template "$root/bench/ldap-backend.toml.in" "$tmp/ldap-backend.toml" PORT_LDAP="$port_ldap" SECRET="$ldap_secret"
fill_template "$root/bench/wicketd.toml.in" "$cfg_wd" PORT="$port_wd" TMP="$tmp" NAME=wicketd-default DB="$db" \
    DELAYS='["1s", "1s", "5s"]' MAX_FAILURES=5
backend_local >>"$cfg_wd"
fill_template "$root/bench/wicketd.toml.in" "$cfg_wn" PORT="$port_wn" TMP="$tmp" NAME=wicketd-nothrottle DB="$db" \
    DELAYS='["0s"]' MAX_FAILURES=1000000
backend_local >>"$cfg_wn"
# The LDAP instances: one asks the local store first (the order a site keeping tokens and
# local users would use), the other asks the directory first. Throttle disabled, like the
# no-throttle instance, so that wrong passwords can warm them up before the timings (a
# cached success never reaches the throttle's counters, so rows 9 are unaffected).
fill_template "$root/bench/wicketd.toml.in" "$cfg_wl" PORT="$port_wl" TMP="$tmp" NAME=wicketd-ldap DB="$db" \
    DELAYS='["0s"]' MAX_FAILURES=1000000
{ backend_local && cat "$tmp/ldap-backend.toml"; } >>"$cfg_wl"
fill_template "$root/bench/wicketd.toml.in" "$cfg_wf" PORT="$port_wf" TMP="$tmp" NAME=wicketd-ldapfirst DB="$db" \
    DELAYS='["0s"]' MAX_FAILURES=1000000
{ cat "$tmp/ldap-backend.toml" && backend_local; } >>"$cfg_wf"

log "creating the store, user $user, a token, $ARGON_SAMPLES extra users for uncached timings"
wicket=("$bin/wicket" --config "$cfg_wd" --db "$db")
printf '%s\n' "$password" | "${wicket[@]}" user add "$user" --password-stdin 2>>"$tmp/wicket-cli.log" ||
    die "wicket user add failed"
token=$("${wicket[@]}" token create "$user" --name bench 2>>"$tmp/wicket-cli.log") || die "wicket token create failed"
[[ $token == wkt_* ]] || die "unexpected token output from wicket token create"
for ((i = 1; i <= ARGON_SAMPLES; i++)); do
    printf '%s\n' "$password" | "${wicket[@]}" user add "$(printf 'fresh%02d' "$i")" --password-stdin 2>>"$tmp/wicket-cli.log" ||
        die "wicket user add fresh$i failed"
done

auth_bearer="Bearer $token"
auth_basic="Basic $(b64 "$user:$password")"
auth_wrong="Basic $(b64 "$user:$wrong_password")"
auth_unknown="Basic $(b64 "nosuch:$wrong_password")"

log "htpasswd -m (apr1) and htpasswd -B (bcrypt, default cost)"
htpasswd -c -i -m "$tmp/htpasswd-apr1" "$user" <<<"$password" 2>/dev/null || die "htpasswd -m failed"
htpasswd -c -i -B "$tmp/htpasswd-bcrypt" "$user" <<<"$password" 2>/dev/null || die "htpasswd -B failed"
chmod 0644 "$tmp/htpasswd-apr1" "$tmp/htpasswd-bcrypt"
bcrypt_cost=$(cut -d: -f2 "$tmp/htpasswd-bcrypt" | cut -d'$' -f3)
bcrypt_cost=$((10#${bcrypt_cost:-0}))

# --- LDAP directory ---------------------------------------------------------------------
# Names that the local store does not know, so that the chain really reaches the directory.
ldap_user=lbench
ldap_password=$(rand 20)
reader_dn="cn=reader,dc=example,dc=org"
ldap_dn() { printf 'uid=%s,ou=people,dc=example,dc=org' "$1"; }
ssha() { # password -> {SSHA} hash (through a file: not on slappasswd's command line)
    local f=$tmp/private/pw.tmp h
    (umask 077 && printf '%s' "$1" >"$f")
    h=$(slappasswd -h '{SSHA}' -T "$f") || die "slappasswd failed"
    rm -f "$f"
    [[ $h == '{SSHA}'* ]] || die "unexpected slappasswd output: $h"
    printf '%s' "$h"
}
ldap_user_entry() { # name uid-number hash
    printf '\ndn: %s\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\nuid: %s\ncn: Bench %s\nsn: %s\n' \
        "$(ldap_dn "$1")" "$1" "$1" "$1"
    printf 'mail: %s@example.org\nuidNumber: %s\ngidNumber: %s\nhomeDirectory: /home/%s\nloginShell: /bin/bash\nuserPassword: %s\n' \
        "$1" "$2" "$2" "$1" "$3"
}
log "slapd: mdb directory with service account $reader_dn, $ldap_user and $ARGON_SAMPLES lfreshNN users ({SSHA})"
reader_password=$(rand 20)
(umask 077 && printf '%s' "$reader_password" >"$ldap_secret") # one line, no newline: read by wicketd and by ldapwhoami -y
fill_template "$root/bench/slapd.conf.in" "$tmp/ldap/slapd.conf" DIR="$tmp/ldap"
fill_template "$root/bench/ldap.ldif.in" "$tmp/ldap/bench.ldif" READER_HASH="$(ssha "$reader_password")"
ldap_hash=$(ssha "$ldap_password")
ldap_names=("$ldap_user")
for ((i = 1; i <= ARGON_SAMPLES; i++)); do ldap_names+=("$(printf 'lfresh%02d' "$i")"); done
{
    for i in "${!ldap_names[@]}"; do ldap_user_entry "${ldap_names[$i]}" $((30000 + i)) "$ldap_hash"; done
    printf '\ndn: cn=benchers,ou=groups,dc=example,dc=org\nobjectClass: groupOfNames\ncn: benchers\n'
    for n in "${ldap_names[@]}"; do printf 'member: %s\n' "$(ldap_dn "$n")"; done
} >>"$tmp/ldap/bench.ldif"
slapadd -q -f "$tmp/ldap/slapd.conf" -l "$tmp/ldap/bench.ldif" >"$tmp/slapadd.log" 2>&1 || {
    cat "$tmp/slapadd.log" >&2
    die "slapadd refused the generated directory"
}

# --- servers ----------------------------------------------------------------------------
wait_http() { # url pid what
    local i
    for ((i = 0; i < 100; i++)); do
        kill -0 "$2" 2>/dev/null || die "$3 exited during startup"
        curl -s -o /dev/null --max-time 1 "$1" && return 0
        sleep 0.1
    done
    die "$3 did not answer $1 within 10 s"
}

start_wicketd() { # name config port
    "$bin/wicketd" --config "$2" >"$tmp/$1.log" 2>&1 &
    daemon_pids+=($!)
    wait_http "http://127.0.0.1:$3/healthz" "$!" "$1"
}
ldap_url=ldap://127.0.0.1:$port_ldap
log "starting slapd on $ldap_url"
# -d 0: foreground (our child, stopped by the EXIT trap), no debug output. As root it stays
# root (no -u/-g): the temporary directory is ours.
slapd -f "$tmp/ldap/slapd.conf" -h "$ldap_url/" -d 0 </dev/null >"$tmp/slapd.log" 2>&1 &
slapd_pid=$!
daemon_pids+=("$slapd_pid")
for ((i = 0; i < 100; i++)); do
    kill -0 "$slapd_pid" 2>/dev/null || die "slapd exited during startup"
    (exec 3<>"/dev/tcp/127.0.0.1/$port_ldap") 2>/dev/null && break
    sleep 0.1
done
((i < 100)) || die "slapd did not listen on $ldap_url within 10 s"
ldapwhoami -x -H "$ldap_url" -D "$reader_dn" -y "$ldap_secret" >/dev/null 2>>"$tmp/slapd.log" ||
    die "the service account cannot bind to $ldap_url"
(umask 077 && printf '%s' "$ldap_password" >"$tmp/private/ldap-user.pw")
ldapwhoami -x -H "$ldap_url" -D "$(ldap_dn "$ldap_user")" -y "$tmp/private/ldap-user.pw" >/dev/null 2>>"$tmp/slapd.log" ||
    die "$ldap_user cannot bind to $ldap_url"

log "starting wicketd (default throttle) on 127.0.0.1:$port_wd and wicketd (no throttle) on 127.0.0.1:$port_wn"
start_wicketd wicketd-default "$cfg_wd" "$port_wd"
start_wicketd wicketd-nothrottle "$cfg_wn" "$port_wn"
log "starting wicketd (local then LDAP) on 127.0.0.1:$port_wl and wicketd (LDAP then local) on 127.0.0.1:$port_wf"
start_wicketd wicketd-ldap "$cfg_wl" "$port_wl"
start_wicketd wicketd-ldapfirst "$cfg_wf" "$port_wf"

fill_template "$root/bench/nginx.conf.in" "$tmp/nginx.conf" TMP="$tmp" PORT_FRONT="$port_front" PORT_APP="$port_app" \
    PORT_WICKETD="$port_wd" PORT_WICKETD_NT="$port_wn" PORT_WICKETD_LDAP="$port_wl"
nginx_args=(-p "$tmp/" -c "$tmp/nginx.conf" -e "$tmp/nginx-error.log")
nginx "${nginx_args[@]}" -t >"$tmp/nginx-t.log" 2>&1 || {
    cat "$tmp/nginx-t.log" >&2
    die "nginx -t refused the generated configuration"
}
log "starting nginx on 127.0.0.1:$port_front (app upstream on 127.0.0.1:$port_app)"
nginx "${nginx_args[@]}" -g 'daemon off;' >"$tmp/nginx-stdout.log" 2>&1 &
nginx_pid=$!
wait_http "http://127.0.0.1:$port_app/" "$nginx_pid" nginx
wait_http "http://127.0.0.1:$port_front/ceiling/" "$nginx_pid" nginx

front=http://127.0.0.1:$port_front
direct_wn=http://127.0.0.1:$port_wn
direct_wl=http://127.0.0.1:$port_wl
direct_wf=http://127.0.0.1:$port_wf
auth_ldap="Basic $(b64 "$ldap_user:$ldap_password")"

# --- helpers ----------------------------------------------------------------------------
status_of() { # url [auth] -> HTTP status
    local h=()
    [[ -n ${2:-} ]] && h=(-H "Authorization: $2")
    curl -s -o /dev/null --max-time 30 -w '%{http_code}' "${h[@]}" "$1" || true
}
expect() { # status url [auth]
    local got
    got=$(status_of "$2" "${3:-}")
    [[ $got == "$1" ]] || die "GET $2 ${3:+with ${3%% *} credentials }answered $got, expected $1"
}
# A protected location must refuse without credentials and accept with them.
check_protected() { # url auth
    expect 401 "$1"
    expect 200 "$1" "$2"
}

# /whoami must name this backend (and, for LDAP, the group found by the group search).
expect_identity() { # base-url auth backend [group]
    local body
    body=$(curl -s --max-time 30 -H "Authorization: $2" "$1/whoami" || true)
    grep -q "\"backend\": *\"$3\"" <<<"$body" || die "$1/whoami answered '$body', expected an identity from backend $3"
    [[ -z ${4:-} ]] || grep -q "\"$4\"" <<<"$body" || die "$1/whoami answered '$body', expected group $4"
}

to_ms() { # wrk latency (850.00us, 1.23ms, 1.02s, 1.00m) -> milliseconds
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) { sub(/us$/, "", v); v = v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v) }
        else if (v ~ /m$/) { sub(/m$/, "", v); v = v * 60000 }
        else if (v ~ /s$/) { sub(/s$/, "", v); v = v * 1000 }
        else if (v == "") { print "n/a"; exit }
        printf "%.2f", v }'
}
calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }
holds() { awk "BEGIN { exit !($1) }"; }

# Parses a wrk --latency output file into W_RPS W_P50 W_P99 W_REQS W_NON2XX W_SOCKERR.
parse_wrk() {
    local f=$1
    W_RPS=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$f")
    W_P50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$f")")
    W_P99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$f")")
    W_REQS=$(awk '/ requests in / {print $1}' "$f")
    W_NON2XX=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$f")
    W_NON2XX=${W_NON2XX:-0}
    W_SOCKERR=$(sed -n 's/.*Socket errors: //p' "$f" | tr -cs '0-9' ' ' | awk '{s = 0; for (i = 1; i <= NF; i++) s += $i; print s}')
    W_SOCKERR=${W_SOCKERR:-0}
    [[ -n $W_RPS && -n $W_REQS ]] || die "could not parse wrk output $f: $(cat "$f")"
}

invalid=0
declare -A RPS P50 P99 NON2XX SOCKERR REQS
run_wrk() { # key threads connections auth url [expect_all_2xx=1]
    local key=$1 t=$2 c=$3 auth=$4 url=$5 strict=${6:-1} out=$tmp/wrk-$1.txt
    log "wrk $key: -t$t -c$c -d${dur_s}s $url"
    wrk -t"$t" -c"$c" -d"${dur_s}s" --latency -H "Authorization: $auth" "$url" >"$out" 2>&1 ||
        die "wrk $key failed: $(cat "$out")"
    parse_wrk "$out"
    RPS[$key]=$W_RPS P50[$key]=$W_P50 P99[$key]=$W_P99 NON2XX[$key]=$W_NON2XX SOCKERR[$key]=$W_SOCKERR REQS[$key]=$W_REQS
    if ((strict && (W_NON2XX > 0 || W_SOCKERR > 0))); then
        printf 'bench: WARNING: %s: %s non-2xx responses and %s socket errors out of %s requests: this run is INVALID\n' \
            "$key" "$W_NON2XX" "$W_SOCKERR" "$W_REQS" >&2
        invalid=1
    fi
}

metric() { # base-url metric-line-prefix -> value (0 when absent)
    curl -s --max-time 5 "$1/metrics" | awk -v m="$2" 'index($0, m) == 1 {print $NF; found = 1} END {if (!found) print 0}'
}

minimum() { sort -g | awk 'NR == 1 {printf "%.2f", $1} END {if (NR == 0) print "n/a"}'; }
median() { sort -g | awk '{a[NR] = $1} END {if (NR == 0) {print "n/a"; exit} if (NR % 2) printf "%.2f", a[(NR + 1) / 2]; else printf "%.2f", (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

time_one() { # url auth expected-status -> milliseconds
    local r code secs
    r=$(curl -s -o /dev/null --max-time 30 -w '%{http_code} %{time_total}' -H "Authorization: $2" "$1" || true)
    code=${r%% *} secs=${r#* }
    [[ $code == "$3" ]] || die "timing request to $1 answered $code, expected $3"
    awk -v s="$secs" 'BEGIN {printf "%.3f\n", s * 1000}'
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
t_start=$SECONDS

# --- 1-4: throughput through nginx ------------------------------------------------------
# Not protected (the auth subrequest always says 204): the header is sent only to match.
expect 200 "$front/ceiling/"
run_wrk ceiling "$THREADS" "$CONNECTIONS" "$auth_basic" "$front/ceiling/"

expect 200 "$front/ceiling-proxied/"
run_wrk ceiling_proxied "$THREADS" "$CONNECTIONS" "$auth_basic" "$front/ceiling-proxied/"

check_protected "$front/apr1/" "$auth_basic"
run_wrk apr1 "$THREADS" "$CONNECTIONS" "$auth_basic" "$front/apr1/"

check_protected "$front/bcrypt/" "$auth_basic"
run_wrk bcrypt "$THREADS" "$CONNECTIONS" "$auth_basic" "$front/bcrypt/"

check_protected "$front/wicket/" "$auth_bearer"
run_wrk bearer "$THREADS" "$CONNECTIONS" "$auth_bearer" "$front/wicket/"

check_protected "$front/wicket-nokeepalive/" "$auth_bearer"
run_wrk bearer_noka "$THREADS" "$CONNECTIONS" "$auth_bearer" "$front/wicket-nokeepalive/"

# The first request runs argon2id and fills the credential cache (TTL 60 s).
check_protected "$front/wicket/" "$auth_basic"
run_wrk basic_cached "$THREADS" "$CONNECTIONS" "$auth_basic" "$front/wicket/"

# --- 9: cached Basic through nginx to the local+LDAP wicketd ----------------------------
# The same nginx shape as row 4 (auth_request, upstream keepalive), to the wicketd whose
# chain is local then LDAP. 9b is a local user on that instance (same chain, same cache),
# 9c an LDAP user; the first request (check_protected) fills the credential cache.
expect_identity "$direct_wl" "$auth_ldap" ldap benchers
expect_identity "$direct_wl" "$auth_basic" local
declare -A HITS MISSES
run_wrk_counted() { # key auth url: run_wrk, counting wicketd-ldap's cache hits and misses
    local h0 m0
    h0=$(metric "$direct_wl" wicket_cache_hits_total) m0=$(metric "$direct_wl" wicket_cache_misses_total)
    run_wrk "$1" "$THREADS" "$CONNECTIONS" "$2" "$3"
    sleep 0.2
    HITS[$1]=$(($(metric "$direct_wl" wicket_cache_hits_total) - h0))
    MISSES[$1]=$(($(metric "$direct_wl" wicket_cache_misses_total) - m0))
}
check_protected "$front/wicket-ldap/" "$auth_basic"
run_wrk_counted ldap_local_cached "$auth_basic" "$front/wicket-ldap/"
check_protected "$front/wicket-ldap/" "$auth_ldap"
run_wrk_counted ldap_cached "$auth_ldap" "$front/wicket-ldap/"

# --- 6, 7: timings, direct to the no-throttle wicketd, idle -----------------------------
log "timing: $SAMPLES wrong-password vs $SAMPLES unknown-user requests (interleaved) to /whoami"
expect 401 "$direct_wn/whoami" "$auth_wrong"
expect 401 "$direct_wn/whoami" "$auth_unknown"
throttled_before=$(metric "$direct_wn" wicket_throttled_total)
: >"$tmp/t-wrong" && : >"$tmp/t-unknown"
for ((i = 0; i < SAMPLES; i++)); do
    if ((i % 2)); then
        time_one "$direct_wn/whoami" "$auth_unknown" 401 >>"$tmp/t-unknown"
        time_one "$direct_wn/whoami" "$auth_wrong" 401 >>"$tmp/t-wrong"
    else
        time_one "$direct_wn/whoami" "$auth_wrong" 401 >>"$tmp/t-wrong"
        time_one "$direct_wn/whoami" "$auth_unknown" 401 >>"$tmp/t-unknown"
    fi
done
med_wrong=$(median <"$tmp/t-wrong") min_wrong=$(minimum <"$tmp/t-wrong")
med_unknown=$(median <"$tmp/t-unknown") min_unknown=$(minimum <"$tmp/t-unknown")

log "timing: $ARGON_SAMPLES uncached correct, $ARGON_SAMPLES fresh wrong, $ARGON_SAMPLES cached correct Basic requests to /whoami"
: >"$tmp/t-fresh-ok" && : >"$tmp/t-fresh-wrong" && : >"$tmp/t-cached"
for ((i = 1; i <= ARGON_SAMPLES; i++)); do
    time_one "$direct_wn/whoami" "Basic $(b64 "$(printf 'fresh%02d' "$i"):$password")" 200 >>"$tmp/t-fresh-ok"
    time_one "$direct_wn/whoami" "Basic $(b64 "$user:wrong-$i-$(rand 8)")" 401 >>"$tmp/t-fresh-wrong"
done
expect 200 "$direct_wn/whoami" "$auth_basic"
for ((i = 1; i <= ARGON_SAMPLES; i++)); do
    time_one "$direct_wn/whoami" "$auth_basic" 200 >>"$tmp/t-cached"
done
med_fresh_ok=$(median <"$tmp/t-fresh-ok") min_fresh_ok=$(minimum <"$tmp/t-fresh-ok")
med_fresh_wrong=$(median <"$tmp/t-fresh-wrong") min_fresh_wrong=$(minimum <"$tmp/t-fresh-wrong")
med_cached=$(median <"$tmp/t-cached") min_cached=$(minimum <"$tmp/t-cached")
throttled_after=$(metric "$direct_wn" wicket_throttled_total)
((throttled_after == throttled_before)) || die "the no-throttle wicketd throttled $((throttled_after - throttled_before)) timing requests"

# --- 8: LDAP vs local login latency, direct to the two LDAP wicketds, idle ----------------
# Uncached: the first request of a distinct user (freshNN local, lfreshNN LDAP; each wicketd
# has its own cache, so the same names are uncached on both instances), interleaved.
# Cached: user bench (local) and lbench (LDAP), warmed just before, interleaved.
# Warm-up first: a fresh wicketd's first few argon2id runs take ~1.5x as long (measured:
# about 6 of them, as its blocking threads and their memory come up), and the LDAP
# connection pools open on first use. WARMUP wrong passwords of each kind per instance
# (the throttle is off there) leave both warm: the samples are then search + bind
# (+ group search) over pooled connections, not connection set-up or cold threads.
log "timing: $ARGON_SAMPLES uncached local and LDAP logins on each LDAP wicketd, then $ARGON_SAMPLES cached of each"
expect_identity "$direct_wf" "$auth_ldap" ldap benchers
expect_identity "$direct_wf" "$auth_basic" local
thr_wl0=$(metric "$direct_wl" wicket_throttled_total) thr_wf0=$(metric "$direct_wf" wicket_throttled_total)
for ((i = 1; i <= WARMUP; i++)); do
    for u in "$direct_wl" "$direct_wf"; do
        expect 401 "$u/whoami" "Basic $(b64 "$user:warm-$i-$(rand 8)")"
        expect 401 "$u/whoami" "Basic $(b64 "$ldap_user:warm-$i-$(rand 8)")"
    done
done
: >"$tmp/t-wl-local" && : >"$tmp/t-wl-ldap" && : >"$tmp/t-wf-local" && : >"$tmp/t-wf-ldap"
for ((i = 1; i <= ARGON_SAMPLES; i++)); do
    a_local="Basic $(b64 "$(printf 'fresh%02d' "$i"):$password")"
    a_ldap="Basic $(b64 "$(printf 'lfresh%02d' "$i"):$ldap_password")"
    if ((i % 2)); then
        time_one "$direct_wl/whoami" "$a_local" 200 >>"$tmp/t-wl-local"
        time_one "$direct_wl/whoami" "$a_ldap" 200 >>"$tmp/t-wl-ldap"
        time_one "$direct_wf/whoami" "$a_ldap" 200 >>"$tmp/t-wf-ldap"
        time_one "$direct_wf/whoami" "$a_local" 200 >>"$tmp/t-wf-local"
    else
        time_one "$direct_wf/whoami" "$a_local" 200 >>"$tmp/t-wf-local"
        time_one "$direct_wf/whoami" "$a_ldap" 200 >>"$tmp/t-wf-ldap"
        time_one "$direct_wl/whoami" "$a_ldap" 200 >>"$tmp/t-wl-ldap"
        time_one "$direct_wl/whoami" "$a_local" 200 >>"$tmp/t-wl-local"
    fi
done
: >"$tmp/t-wl-local-cached" && : >"$tmp/t-wl-ldap-cached"
expect 200 "$direct_wl/whoami" "$auth_basic"
expect 200 "$direct_wl/whoami" "$auth_ldap"
misses_wl1=$(metric "$direct_wl" wicket_cache_misses_total)
for ((i = 1; i <= ARGON_SAMPLES; i++)); do
    if ((i % 2)); then
        time_one "$direct_wl/whoami" "$auth_basic" 200 >>"$tmp/t-wl-local-cached"
        time_one "$direct_wl/whoami" "$auth_ldap" 200 >>"$tmp/t-wl-ldap-cached"
    else
        time_one "$direct_wl/whoami" "$auth_ldap" 200 >>"$tmp/t-wl-ldap-cached"
        time_one "$direct_wl/whoami" "$auth_basic" 200 >>"$tmp/t-wl-local-cached"
    fi
done
cached_misses=$(($(metric "$direct_wl" wicket_cache_misses_total) - misses_wl1))
((cached_misses == 0)) || {
    printf 'bench: WARNING: %s of the cached LDAP/local timing requests missed the cache\n' "$cached_misses" >&2
    invalid=1
}
thr_wl1=$(metric "$direct_wl" wicket_throttled_total) thr_wf1=$(metric "$direct_wf" wicket_throttled_total)
((thr_wl1 == thr_wl0 && thr_wf1 == thr_wf0)) || die "an LDAP wicketd throttled timing requests"
declare -A MED MIN
for k in wl-local wl-ldap wf-local wf-ldap wl-local-cached wl-ldap-cached; do
    MED[$k]=$(median <"$tmp/t-$k") MIN[$k]=$(minimum <"$tmp/t-$k")
done

# --- 5: Bearer p99 while a second client floods wrong Basic passwords -------------------
check_protected "$front/wicket-nothrottle/" "$auth_bearer"
run_wrk probe_idle 1 "$PROBE_CONNECTIONS" "$auth_bearer" "$front/wicket-nothrottle/"

misses_before=$(metric "$direct_wn" wicket_cache_misses_total)
bad_before=$(metric "$direct_wn" 'wicket_auth_decisions_total{scheme="basic",outcome="bad_credentials"}')
throttled_before=$(metric "$direct_wn" wicket_throttled_total)
flood_secs=$((dur_s + 3))
log "flood: wrk -t1 -c$FLOOD_CONNECTIONS -d${flood_secs}s wrong Basic password -> $direct_wn/auth"
# A long timeout: a request that wrk abandons keeps waiting in wicketd's queue anyway.
wrk -t1 -c"$FLOOD_CONNECTIONS" -d"${flood_secs}s" --timeout 60s --latency -H "Authorization: $auth_wrong" "$direct_wn/auth" \
    >"$tmp/wrk-flood.txt" 2>&1 &
flood_pid=$!
client_pids+=("$flood_pid")
sleep 1.5
kill -0 "$flood_pid" 2>/dev/null || die "the flood wrk exited early: $(cat "$tmp/wrk-flood.txt")"
expect 200 "$front/wicket-nothrottle/" "$auth_bearer"
run_wrk probe_flood 1 "$PROBE_CONNECTIONS" "$auth_bearer" "$front/wicket-nothrottle/"
wait "$flood_pid" || die "the flood wrk failed: $(cat "$tmp/wrk-flood.txt")"
parse_wrk "$tmp/wrk-flood.txt"
flood_rps=$W_RPS flood_reqs=$W_REQS flood_non2xx=$W_NON2XX flood_p50=$W_P50 flood_sockerr=$W_SOCKERR
sleep 0.5
misses_after=$(metric "$direct_wn" wicket_cache_misses_total)
bad_after=$(metric "$direct_wn" 'wicket_auth_decisions_total{scheme="basic",outcome="bad_credentials"}')
throttled_after=$(metric "$direct_wn" wicket_throttled_total)
flood_argon=$((bad_after - bad_before))
flood_throttled=$((throttled_after - throttled_before))
if ((flood_non2xx != flood_reqs)); then
    printf 'bench: WARNING: flood: %s of %s responses were not errors (expected every one to be 401)\n' \
        "$((flood_reqs - flood_non2xx))" "$flood_reqs" >&2
    invalid=1
fi
((flood_argon > 0)) || {
    printf 'bench: WARNING: the flood produced no bad_credentials decisions: argon2id never ran\n' >&2
    invalid=1
}
((flood_throttled == 0)) || {
    printf 'bench: WARNING: %s flood requests were throttled\n' "$flood_throttled" >&2
    invalid=1
}

load_end=$(cut -d' ' -f1-3 /proc/loadavg)
elapsed=$((SECONDS - t_start))

# --- report -----------------------------------------------------------------------------
ceil=${RPS[ceiling]} apr1=${RPS[apr1]}
verdict() { if holds "$1"; then echo "✅ met"; else echo "❌ missed"; fi; }
throughput_row() { # key label target?
    local k=$1 vs_ceil vs_apr1 target=- result=-
    vs_ceil=$(calc "${RPS[$k]} / $ceil")
    vs_apr1=$(calc "${RPS[$k]} / $apr1")
    if [[ ${3:-} == target ]]; then
        target="≥ 0.7× ceiling, ≥ 5× apr1"
        result=$(verdict "${RPS[$k]} >= 0.7 * $ceil && ${RPS[$k]} >= 5 * $apr1")
    fi
    if ((${NON2XX[$k]} > 0 || ${SOCKERR[$k]} > 0)); then result="⚠️ INVALID"; fi
    printf '| %s | %s | %s | %s | %s | %s / %s | %s× | %s× | %s | %s |\n' \
        "$2" "${CONNS_OF[$k]}" "${RPS[$k]}" "${P50[$k]}" "${P99[$k]}" "${NON2XX[$k]}" "${SOCKERR[$k]}" \
        "$vs_ceil" "$vs_apr1" "$target" "$result"
}
declare -A CONNS_OF=(
    [ceiling]="-t$THREADS -c$CONNECTIONS" [ceiling_proxied]="-t$THREADS -c$CONNECTIONS" [apr1]="-t$THREADS -c$CONNECTIONS" [bcrypt]="-t$THREADS -c$CONNECTIONS"
    [bearer]="-t$THREADS -c$CONNECTIONS" [bearer_noka]="-t$THREADS -c$CONNECTIONS"
    [basic_cached]="-t$THREADS -c$CONNECTIONS"
    [probe_idle]="-t1 -c$PROBE_CONNECTIONS" [probe_flood]="-t1 -c$PROBE_CONNECTIONS"
    [ldap_local_cached]="-t$THREADS -c$CONNECTIONS" [ldap_cached]="-t$THREADS -c$CONNECTIONS"
)
ldap_row() { # key label
    local k=$1 counts=- result=-
    [[ -n ${HITS[$k]:-} ]] && counts="${HITS[$k]} / ${MISSES[$k]}"
    if ((${NON2XX[$k]} > 0 || ${SOCKERR[$k]} > 0)); then result="⚠️ INVALID"; fi
    printf '| %s | %s | %s | %s | %s | %s / %s | %s× | %s | %s |\n' \
        "$2" "${CONNS_OF[$k]}" "${RPS[$k]}" "${P50[$k]}" "${P99[$k]}" "${NON2XX[$k]}" "${SOCKERR[$k]}" \
        "$(calc "${RPS[$k]} / ${RPS[basic_cached]}")" "$counts" "$result"
}
ldap_time_row() { # key label chain
    printf '| %s | %s | %s | %s | %s |\n' "$2" "$3" "$ARGON_SAMPLES" "${MED[$1]}" "${MIN[$1]}"
}
slapd_version=$(slapd -VV 2>&1 | sed -n 's/.*OpenLDAP: slapd \([^ ]*\).*/\1/p' | head -1)

git_rev=$(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(cd "$root" && git status --porcelain --untracked-files=no 2>/dev/null) ]]; then git_rev+=" (+ uncommitted changes)"; fi
p99_flood=${P99[probe_flood]}
ratio=$(calc "$med_unknown / $med_wrong")
ratio_min=$(calc "$min_unknown / $min_wrong")
ratio_ok=$(verdict "$ratio >= 0.90 && $ratio <= 1.10")
argon_est=$(calc "$med_fresh_wrong - $med_cached")
argon_est_min=$(calc "$min_fresh_wrong - $min_cached")

cat <<EOF

## Wicket benchmark

$(date -u '+%Y-%m-%d %H:%M UTC') · commit $git_rev · $(nproc) cores · load average $load_start at start, $load_end at end · $(nginx -v 2>&1 | sed 's/^nginx version: //') · $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}') · ${dur_s} s per wrk run · measuring took ${elapsed} s

### Throughput through nginx (wrk, loopback; every protected request must answer 200)

| Scenario | wrk | req/s | p50 ms | p99 ms | non-2xx / socket errors | vs ceiling | vs apr1 | Target | Result |
|---|---|---:|---:|---:|---:|---:|---:|---|---|
$(throughput_row ceiling "1. ceiling: \`auth_request\` → \`return 204\`, upstream \`return 200\`")
$(throughput_row ceiling_proxied "1b. proxied ceiling: \`auth_request\` → \`proxy_pass\` to an nginx \`return 204\` (keepalive)")
$(throughput_row apr1 "2a. nginx \`auth_basic\`, \`htpasswd -m\` (apr1)")
$(throughput_row bcrypt "2b. nginx \`auth_basic\`, \`htpasswd -B\` (bcrypt cost $bcrypt_cost)")
$(throughput_row bearer "3. wicketd Bearer via \`auth_request\` (upstream keepalive)" target)
$(throughput_row basic_cached "4. wicketd cached Basic via \`auth_request\` (upstream keepalive)" target)
$(throughput_row bearer_noka "3b. wicketd Bearer via \`auth_request\`, no upstream keepalive (\`--demo\` snippet)")

Against the proxied ceiling (1b: the same subrequest to a backend that does no work), Bearer reaches $(calc "${RPS[bearer]} / ${RPS[ceiling_proxied]}")× and cached Basic $(calc "${RPS[basic_cached]} / ${RPS[ceiling_proxied]}")×.

### Bearer latency while another client floods wrong passwords (no-throttle wicketd)

| Scenario | wrk | req/s | p50 ms | p99 ms | non-2xx / socket errors | Target | Result |
|---|---|---:|---:|---:|---:|---|---|
| 5a. Bearer via \`auth_request\`, no flood | ${CONNS_OF[probe_idle]} | ${RPS[probe_idle]} | ${P50[probe_idle]} | ${P99[probe_idle]} | ${NON2XX[probe_idle]} / ${SOCKERR[probe_idle]} | - | - |
| 5b. Bearer via \`auth_request\`, during the flood | ${CONNS_OF[probe_flood]} | ${RPS[probe_flood]} | ${P50[probe_flood]} | ${P99[probe_flood]} | ${NON2XX[probe_flood]} / ${SOCKERR[probe_flood]} | p99 < 10 ms | $(verdict "$p99_flood < 10")$( ((${NON2XX[probe_flood]} + ${SOCKERR[probe_flood]} > 0)) && echo " ⚠️ INVALID") |
| 5c. the flood: wrong Basic password straight to wicketd \`/auth\` | -t1 -c$FLOOD_CONNECTIONS, ${flood_secs} s | $flood_rps | $flood_p50 | - | $flood_non2xx / $flood_sockerr (all should be 401) | - | - |

Flood check from wicketd's \`/metrics\`: $flood_argon \`bad_credentials\` decisions (argon2id verifications, $(calc "$flood_argon / $flood_secs")/s) and $flood_throttled throttled during the flood.

### Timings straight to wicketd \`/whoami\` (curl \`time_total\`, idle no-throttle wicketd)

| Measurement | n | Median ms | Min ms | Target (on medians) | Result |
|---|---:|---:|---:|---|---|
| 6a. wrong password, existing user | $SAMPLES | $med_wrong | $min_wrong | | |
| 6b. unknown user (same password) | $SAMPLES | $med_unknown | $min_unknown | | |
| 6. ratio unknown / wrong | | $ratio | $ratio_min | within 10% (0.90–1.10) | $ratio_ok |
| 7a. correct password, uncached (first request of $ARGON_SAMPLES distinct users) | $ARGON_SAMPLES | $med_fresh_ok | $min_fresh_ok | | |
| 7b. wrong password, fresh each time (failures are never cached) | $ARGON_SAMPLES | $med_fresh_wrong | $min_fresh_wrong | | |
| 7c. correct password, cached | $ARGON_SAMPLES | $med_cached | $min_cached | | |
| 7. ≈ argon2id verify = 7b − 7c | | $argon_est | $argon_est_min | | |

Notes:
- Rows 3–7: two wicketd instances share one store (user \`$user\`, a Bearer token, argon2id m=19 MiB t=2 p=1):
  one with the default throttle (\`delays = ["1s", "1s", "5s"]\`, \`max_failures = 5\`) serves rows 3 and 4;
  one with the throttle disabled (\`[throttle] delays = ["0s"]\`, \`max_failures = 1000000\`) serves rows 5–7,
  so that wrong passwords really run argon2id instead of sleeping or being locked out
  (with the default throttle the flood would be sleeping connections and would lock out 127.0.0.1, Bearer included).
- The credential cache TTL is 60 s; row 4 is warmed by one request before wrk starts.
- Rows 6–7 are whole HTTP round trips on loopback measured by curl (connection set-up included), not the KDF alone;
  7 subtracts the cached round trip to approximate the argon2id cost on this machine. 6a/6b are interleaved.
  On a busy machine the minimum is the better estimate of the intrinsic cost; the median shows the noise.
- wicketd log filter: \`${WICKET_LOG:-info}\` (info = one audit line per request), written to a file; nginx has \`access_log off\`.
- Each protected location was checked with curl before its wrk run (401 without credentials, 200 with).

### LDAP (local slapd)

Login latency straight to wicketd \`/whoami\` (curl \`time_total\`, idle; two wicketd instances without throttle, backends
local and LDAP in either order; LDAP = search-then-bind as the service account, then a group search; uncached = the first
login of each of $ARGON_SAMPLES distinct users per instance, local and LDAP interleaved):

| Measurement | Chain | n | Median ms | Min ms |
|---|---|---:|---:|---:|
$(ldap_time_row wl-local "8a. local user, uncached (argon2id)" "local → ldap")
$(ldap_time_row wl-ldap "8b. LDAP user, uncached (local's dummy argon2id for a name it does not know, then LDAP search + bind + group search)" "local → ldap")
$(ldap_time_row wf-ldap "8c. LDAP user, uncached (LDAP search + bind + group search only)" "ldap → local")
$(ldap_time_row wf-local "8d. local user, uncached (LDAP search finds nothing + timing bind, then argon2id)" "ldap → local")
$(ldap_time_row wl-local-cached "8e. local user, cached" "local → ldap")
$(ldap_time_row wl-ldap-cached "8f. LDAP user, cached" "local → ldap")
| 8. ≈ LDAP search + bind + group search = 8c − 8e | | | $(calc "${MED[wf-ldap]} - ${MED[wl-local-cached]}") | $(calc "${MIN[wf-ldap]} - ${MIN[wl-local-cached]}") |
| 8. uncached LDAP / uncached local, local-first chain = 8b / 8a | | | $(calc "${MED[wl-ldap]} / ${MED[wl-local]}")× | $(calc "${MIN[wl-ldap]} / ${MIN[wl-local]}")× |
| 8. uncached LDAP / uncached local, LDAP-first chain = 8c / 8d | | | $(calc "${MED[wf-ldap]} / ${MED[wf-local]}")× | $(calc "${MIN[wf-ldap]} / ${MIN[wf-local]}")× |
| 8. cached LDAP / cached local = 8f / 8e | | | $(calc "${MED[wl-ldap-cached]} / ${MED[wl-local-cached]}")× | $(calc "${MIN[wl-ldap-cached]} / ${MIN[wl-local-cached]}")× |

Throughput of cached Basic through nginx \`auth_request\` (wrk, loopback; every request must answer 200):

| Scenario | wrk | req/s | p50 ms | p99 ms | non-2xx / socket errors | vs row 4 | wicketd cache hits / misses during the run | Result |
|---|---|---:|---:|---:|---:|---:|---:|---|
$(ldap_row basic_cached "4. (from above) local user, wicketd with the local backend only")
$(ldap_row ldap_local_cached "9b. local user, wicketd local → ldap (upstream keepalive)")
$(ldap_row ldap_cached "9c. LDAP user, wicketd local → ldap (upstream keepalive)")

Cached LDAP Basic reaches $(calc "${RPS[ldap_cached]} / ${RPS[ldap_local_cached]}")× cached local Basic on the same wicketd (9c / 9b).

Notes:
- slapd ${slapd_version:-?} started by this script: one mdb database (\`dc=example,dc=org\`, equality indexes on objectClass, uid and member),
  plain \`ldap://\` on 127.0.0.1, no TLS; ${#ldap_names[@]} users with \`{SSHA}\` passwords (\`slappasswd\`) in one \`groupOfNames\`.
- wicketd keeps up to 4 idle LDAP connections per pool (service account, user binds). Both LDAP instances have the throttle off
  and answered $WARMUP wrong passwords of each kind (local, LDAP) before the samples, so 8a–8d run on warm processes and
  over open connections: not connection set-up, not a fresh process's first, slower argon2id runs.
- A name that the first backend does not know still costs that backend its timing equaliser: local runs a dummy argon2id,
  LDAP a search and a bind to a DN that does not exist. So in the local → ldap chain an uncached LDAP login pays argon2id
  as well (8b ≈ 8a + 8c − 8e), and in the ldap → local chain a local login pays the LDAP round trips (8d).
- The credential cache (60 s TTL) holds successful logins of every backend alike; a hit never reaches the backend,
  so a cached LDAP login costs what a cached local one does (8f vs 8e, 9c vs 9b). Rows 9b and 9c count wicketd's cache
  hits and misses (\`/metrics\`) during the run; the misses are expected to be 0. The LDAP identity carries a display name,
  an e-mail address and a group (three more \`Remote-*\` header values per answer); the local user \`$user\` has none.
- Row 4 and rows 9b/9c run on different wicketd instances, one after the other, with the same settings except the throttle
  (default for row 4, off for 9b/9c; a cache hit returns before any failure counting).
EOF

if ((invalid)); then
    printf '\nbench: some measurements are INVALID (see the warnings above)\n' >&2
    exit 1
fi
