#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
# mod_auth_itsme benchmark: bare httpd vs mod_auth_itsme vs mod_auth_openidc,
# same httpd binary, same MPM (event), same static 1 KiB file, on loopback.
# Sessions in the cookie, and on the server: mod_auth_itsme on httpd's socache
# (shmcb, Redis) beside mod_auth_openidc's server-cache (shm, Redis); the
# Redis is a redis-server the script starts itself on a free loopback port.
#
#   sudo bash bench/run.sh [options]          (see --help, and bench/README.md)
#
# Every setup gets its own httpd (generated config, own loopback port). For a
# setup with a module the script logs in once through the local test OP with
# curl, checks that the cookie request answers 200 with the file (and 302
# without the cookie), then measures with wrk, round-robin over the setups,
# and checks afterwards in httpd's own log that every measured request got the
# expected status. --callgrind N counts instructions per request instead.

set -euo pipefail
shopt -u patsub_replacement 2>/dev/null || true   # bash 5.2: keep '&' literal in ${x//p/r}

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
CONF_DIR="$BENCH_DIR/conf"
OP_DIR="$REPO/test/integration/op"
RESULTS_DIR="$BENCH_DIR/results"

# ---------------------------------------------------------------------------
# Options

DURATION=10          # seconds per measurement
WARMUP=2             # seconds of warm-up before each measurement
THREADS=1            # wrk threads
CONNECTIONS=16       # wrk connections
ROUNDS=3             # measurements per case, round-robin; medians reported
PIN=1                # httpd on CPU 0, wrk on CPU 1
QUIET_WAIT=20        # wait up to this many seconds for other load to calm down
CALLGRIND=0          # >0: count instructions per request under valgrind instead of wrk
KEEP=0
UNAUTH=1             # also measure the 302 (no session) path
PUBLIC=1             # also measure a request to the unprotected /public/ location
LOGINS=10            # logins per login-cost row (0: none)
REDIS_CPU=httpd      # where redis-server runs when pinning: httpd (its CPU), wrk (beside wrk), any
ALL_SETUPS="bare itsme itsme-c4 itsme-c30 itsme-shmcb itsme-redis openidc-cookie openidc-cache openidc-redis itsme-login itsme-direct itsme-direct-ui"
SETUPS=$ALL_SETUPS

usage() {
    cat <<EOF
usage: sudo bash bench/run.sh [options]

  --duration S        seconds per measurement (default $DURATION, max 120)
  --warmup S          warm-up seconds before each measurement (default $WARMUP)
  --rounds N          measurements per case, interleaved; medians (default $ROUNDS, max 10)
  --connections N     wrk connections (default $CONNECTIONS, max 256)
  --threads N         wrk threads (default $THREADS, max 4)
  --setups LIST       comma-separated subset of: ${ALL_SETUPS// /,}
                      (itsme: session in the cookie; itsme-shmcb, itsme-redis:
                      ItsmeSessionStore socache:shmcb / socache:redis; openidc-cache,
                      openidc-redis: OIDCSessionType server-cache, shm / Redis cache)
  --no-server-cache   skip mod_auth_openidc with OIDCSessionType server-cache
                      (openidc-cache, openidc-redis)
  --no-unauth         skip the unauthenticated (302 redirect) measurements
  --logins N          logins measured per login-cost row (default $LOGINS, 0 = none):
                      the broker route (setup itsme) and the itsme route (setups
                      itsme-direct: claims in the ID token; itsme-direct-ui: from
                      an encrypted userinfo answer)
  --no-public         skip the requests to the unprotected location /public/
                      (bare httpd and each itsme claim set's server)
  --no-pin            do not pin httpd and wrk to separate CPUs
  --redis-cpu WHERE   with pinning, the CPU of redis-server for the *-redis setups:
                      httpd (default: the server side, httpd and its store, gets
                      one CPU and wrk keeps the other), wrk (beside wrk: httpd's
                      CPU does only httpd's side, but Redis competes with the load
                      generator), any (not pinned)
  --quiet-wait S      before each measurement wait up to S seconds until other
                      processes use < 10% of the machine (default $QUIET_WAIT, 0 = off)
  --keep              keep the run directory (configs, logs, wrk output)
  --callgrind N       instead of wrk: httpd -X under valgrind/callgrind, N requests
                      per case, instructions per request (deterministic; slow)
  -h, --help          this text

Environment: ITSME_MODULE (a built mod_auth_itsme.so; default: build the
working tree out of tree in \$ITSME_BENCH_BUILD, default /tmp/itsme-bench-build),
OIDC_MODULE (default /usr/lib/apache2/modules/mod_auth_openidc.so),
APACHE2 (default /usr/sbin/apache2), REDIS_SERVER (default redis-server, from
Debian's redis-server package; the *-redis setups start it on a free loopback
port with --save '' and stop it at the end).
EOF
}

die() { echo "run.sh: $*" >&2; exit 1; }

int_opt() {   # name value min max
    [[ "$2" =~ ^[0-9]+$ ]] && (( $2 >= $3 && $2 <= $4 )) || die "$1 wants an integer in $3..$4"
    echo "$2"
}

while (( $# )); do
    case "$1" in
        --duration) DURATION=$(int_opt "$1" "${2:-}" 1 120); shift ;;
        --warmup) WARMUP=$(int_opt "$1" "${2:-}" 0 30); shift ;;
        --rounds) ROUNDS=$(int_opt "$1" "${2:-}" 1 10); shift ;;
        --connections) CONNECTIONS=$(int_opt "$1" "${2:-}" 1 256); shift ;;
        --threads) THREADS=$(int_opt "$1" "${2:-}" 1 4); shift ;;
        --quiet-wait) QUIET_WAIT=$(int_opt "$1" "${2:-}" 0 300); shift ;;
        --callgrind) CALLGRIND=$(int_opt "$1" "${2:-}" 10 2000); shift ;;
        --setups)
            SETUPS=${2:-}; SETUPS=${SETUPS//,/ }; shift
            for s in $SETUPS; do [[ " $ALL_SETUPS " == *" $s "* ]] || die "unknown setup '$s'"; done ;;
        --no-server-cache) SETUPS=${SETUPS//openidc-cache/}; SETUPS=${SETUPS//openidc-redis/} ;;
        --no-unauth) UNAUTH=0 ;;
        --no-public) PUBLIC=0 ;;
        --logins) LOGINS=$(int_opt "$1" "${2:-}" 0 200); shift ;;
        --no-pin) PIN=0 ;;
        --redis-cpu)
            REDIS_CPU=${2:-}; shift
            [[ "$REDIS_CPU" == wrk || "$REDIS_CPU" == httpd || "$REDIS_CPU" == any ]] \
                || die "--redis-cpu wants wrk, httpd or any" ;;
        --keep) KEEP=1 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
    shift
done
(( CONNECTIONS >= THREADS )) || die "--connections must be >= --threads"
[[ -n "${SETUPS// /}" ]] || die "no setup selected"

APACHE2=${APACHE2:-/usr/sbin/apache2}
OIDC_MODULE=${OIDC_MODULE:-/usr/lib/apache2/modules/mod_auth_openidc.so}
MODDIR=/usr/lib/apache2/modules
ITSME_BENCH_BUILD=${ITSME_BENCH_BUILD:-/tmp/itsme-bench-build}
REDIS_SERVER=${REDIS_SERVER:-redis-server}
# The claim sets of the itsme* setups (ItsmeClaims): itsme and the stores ask
# for four standard claims; itsme-c4 for the four of issue 13; itsme-c30 for
# every identification claim the test OP releases (with the pass-through
# claims of the broker's ID token: about 30 in the session).
CLAIMS_STD="sub given_name family_name birthdate"
CLAIMS_C4="sub name birthdate nin"
CLAIMS_C30="sub name given_name family_name birthdate gender locale email phone_number address_formatted address_street address_postal_code address_locality address_country nin nin_type nin_issuing_country nationality place_of_birth country_of_birth eid_number eid_issuance_locality eid_validity_from eid_validity_to eid_read_date"
SUB_EXPECTED='tXOq9614vLHkXBkEu3Jm0Qa7ZGQO02Fc98IPaHq6iRwK-ytA='   # the test OP's default account

has_setup() { [[ " $SETUPS " == *" $1 "* ]]; }
has_direct() { has_setup itsme-direct || has_setup itsme-direct-ui; }
is_login_only() { [[ $1 == itsme-login || $1 == itsme-direct* ]]; }
has_itsme() { has_setup itsme || has_setup itsme-c4 || has_setup itsme-c30 || has_setup itsme-shmcb || has_setup itsme-redis || has_setup itsme-login || has_direct; }
has_openidc() { has_setup openidc-cookie || has_setup openidc-cache || has_setup openidc-redis; }
needs_op() { has_itsme || has_openidc; }
needs_redis() { has_setup itsme-redis || has_setup openidc-redis; }
uses_redis() { [[ "$1" == *-redis ]]; }

# ---------------------------------------------------------------------------
# Dependencies: Debian packages, the test OP's npm packages, the module

ensure_packages() {
    local missing=() pkg
    command -v curl >/dev/null || missing+=(curl)
    command -v wrk >/dev/null || missing+=(wrk)
    command -v taskset >/dev/null || missing+=(util-linux)
    (( CALLGRIND )) && ! command -v valgrind >/dev/null && missing+=(valgrind)
    [[ -x "$APACHE2" ]] || missing+=(apache2)
    if needs_op; then
        command -v node >/dev/null || missing+=(nodejs)
        command -v npm >/dev/null || missing+=(npm)
    fi
    needs_redis && ! command -v "$REDIS_SERVER" >/dev/null && missing+=(redis-server)
    if has_itsme && [[ -z "${ITSME_MODULE:-}" ]]; then
        for pkg in apache2-dev libapr1-dev libaprutil1-dev libcurl4-openssl-dev libjansson-dev \
                   libcjose-dev libssl-dev pkg-config make gcc; do
            dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
        done
    fi
    if has_openidc && [[ ! -f "$OIDC_MODULE" ]]; then
        missing+=(libapache2-mod-auth-openidc)
    fi
    if (( ${#missing[@]} )); then
        (( EUID == 0 )) || die "missing: ${missing[*]} (run as root so that they get installed)"
        echo "== apt-get install ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null \
            || { apt-get update -q >/dev/null \
                 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null; } \
            || die "apt-get install ${missing[*]} failed"
    fi
    if needs_op && [[ ! -d "$OP_DIR/node_modules/oidc-provider" ]]; then
        echo "== npm ci in $OP_DIR"
        (cd "$OP_DIR" && npm ci --no-audit --no-fund >/dev/null) || die "npm ci in $OP_DIR failed"
    fi
}

build_module() {
    if [[ -n "${ITSME_MODULE:-}" ]]; then
        [[ -f "$ITSME_MODULE" ]] || die "ITSME_MODULE=$ITSME_MODULE does not exist"
        return
    fi
    echo "== building mod_auth_itsme out of tree in $ITSME_BENCH_BUILD"
    mkdir -p "$ITSME_BENCH_BUILD"
    (
        cd "$ITSME_BENCH_BUILD"
        [[ -f Makefile ]] || "$REPO/configure" -q
        make -j2 >make.log 2>&1 || { tail -30 make.log; exit 1; }
    ) || die "building the module failed (log: $ITSME_BENCH_BUILD/make.log)"
    ITSME_MODULE="$ITSME_BENCH_BUILD/.libs/mod_auth_itsme.so"
    [[ -f "$ITSME_MODULE" ]] || die "no $ITSME_MODULE after make"
}

# ---------------------------------------------------------------------------
# Run directory, processes, cleanup

RUN=""
OP_PID=""
ITSME_OP_PID=""
REDIS_PID=""
REDIS_PORT=""
declare -A HTTPD_PID=()

stop_pid() {   # pid: TERM, wait up to 10 s, then KILL
    local pid=$1 i
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

stop_all_httpd() {
    local s
    for s in "${!HTTPD_PID[@]}"; do stop_pid "${HTTPD_PID[$s]}"; unset "HTTPD_PID[$s]"; done
}

cleanup() {
    stop_all_httpd
    stop_pid "$OP_PID"; OP_PID=""
    stop_pid "$ITSME_OP_PID"; ITSME_OP_PID=""
    stop_pid "$REDIS_PID"; REDIS_PID=""
    if [[ -n "$RUN" && -d "$RUN" ]]; then
        if (( KEEP )); then echo "run directory kept: $RUN"; else rm -rf "$RUN"; fi
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

USED_PORTS=""
free_port() {   # a free loopback port not handed out before in this run
    local p i
    for ((i = 0; i < 200; i++)); do
        p=$(( 20000 + RANDOM % 20000 ))
        [[ " $USED_PORTS " == *" $p "* ]] && continue
        port_free "$p" && { echo "$p"; return; }
    done
    die "no free port found"
}

wait_http() {   # url pid [tenths of seconds, default 200]: until anything answers
    local i
    for ((i = 0; i < ${3:-200}; i++)); do
        kill -0 "$2" 2>/dev/null || return 1
        curl -s -o /dev/null --max-time 1 "$1" && return 0
        sleep 0.1
    done
    return 1
}

secret() {   # random [A-Za-z0-9], up to ~100 characters
    local r
    r=$(head -c 96 /dev/urandom | base64 -w0 | tr -dc 'A-Za-z0-9')
    echo "${r:0:${1:-40}}"
}

render() {   # template out KEY=VALUE...
    local tpl=$1 out=$2 kv text
    shift 2
    text=$(<"$tpl")
    for kv in "$@"; do text=${text//@${kv%%=*}@/${kv#*=}}; done
    [[ "$text" != *@[A-Z_]*@* ]] || die "unfilled placeholder in $tpl: $(grep -o '@[A-Z_]*@' <<<"$text" | awk 'NR == 1')"
    printf '%s\n' "$text" >"$out"
}

# ---------------------------------------------------------------------------
# The test OP (test/integration/op/op.js): one client per module

start_op() {
    OP_PORT=$(free_port)
    OP_BASE="http://127.0.0.1:$OP_PORT"
    OP_DISCOVERY="$OP_BASE/.well-known/openid-configuration"
    ITSME_CLIENT_ID=bench-itsme;   ITSME_CLIENT_SECRET=$(secret 40)
    OIDC_CLIENT_ID=bench-openidc;  OIDC_CLIENT_SECRET=$(secret 40)
    cat >"$RUN/op.json" <<EOF
{
  "profile": "broker",
  "clients": [
    { "client_id": "$ITSME_CLIENT_ID", "client_secret": "$ITSME_CLIENT_SECRET",
      "token_endpoint_auth_method": "client_secret_basic",
      "redirect_uris": ["http://127.0.0.1:${PORT[itsme]}/itsme/callback",
                        "http://127.0.0.1:${PORT[itsme-c4]}/itsme/callback",
                        "http://127.0.0.1:${PORT[itsme-login]}/itsme/callback",
                        "http://127.0.0.1:${PORT[itsme-c30]}/itsme/callback",
                        "http://127.0.0.1:${PORT[itsme-shmcb]}/itsme/callback",
                        "http://127.0.0.1:${PORT[itsme-redis]}/itsme/callback"] },
    { "client_id": "$OIDC_CLIENT_ID", "client_secret": "$OIDC_CLIENT_SECRET",
      "token_endpoint_auth_method": "client_secret_basic",
      "redirect_uris": ["http://127.0.0.1:${PORT[openidc-cookie]}/protected/redirect_uri",
                        "http://127.0.0.1:${PORT[openidc-cache]}/protected/redirect_uri",
                        "http://127.0.0.1:${PORT[openidc-redis]}/protected/redirect_uri"] }
  ]
}
EOF
    (cd "$OP_DIR" && exec node op.js --port "$OP_PORT" --config "$RUN/op.json") >"$RUN/op.log" 2>&1 &
    OP_PID=$!
    wait_op_ready "$OP_PID" "$RUN/op.log" "the test OP"
}

wait_op_ready() {   # pid log what: until op.js says OP READY, or die
    local i
    for ((i = 0; i < 300; i++)); do
        grep -q '^OP READY ' "$2" 2>/dev/null && return 0
        kill -0 "$1" 2>/dev/null || break
        sleep 0.1
    done
    tail -20 "$2" >&2
    die "$3 did not start"
}

# ---------------------------------------------------------------------------
# The itsme direct profile's OP (a second op.js, profile itsme), started once
# the first itsme-direct* httpd publishes the RP's keys: its clients get them.

itsme_client_json() {   # client-id setup jwks
    cat <<EOF
    { "client_id": "$1", "token_endpoint_auth_method": "private_key_jwt",
      "token_endpoint_auth_signing_alg": "RS256", "jwks": $3,
      "redirect_uris": ["http://127.0.0.1:${PORT[$2]}/itsme/callback"],
      "id_token_signed_response_alg": "RS256", "userinfo_signed_response_alg": "RS256",
      "request_object_signing_alg": "RS256", "require_signed_request_object": true,
      "id_token_encrypted_response_alg": "RSA-OAEP-256", "id_token_encrypted_response_enc": "A128CBC-HS256",
      "userinfo_encrypted_response_alg": "RSA-OAEP-256", "userinfo_encrypted_response_enc": "A128CBC-HS256" }
EOF
}

start_itsme_op() {   # a running itsme-direct* setup
    local jwks
    jwks=$(curl -sS --max-time 10 "http://127.0.0.1:${PORT[$1]}/itsme/jwks.json") || die "$1: no JWKS at /itsme/jwks.json"
    cat >"$RUN/itsme-op.json" <<EOF
{
  "profile": "itsme",
  "serviceCodes": ["BENCH_SERVICE"],
  "redirectUriPattern": "^http://127\\\\.0\\\\.0\\\\.1:[0-9]+/itsme/callback\$",
  "userinfoOnlyClients": ["bench-itsme-direct-ui"],
  "clients": [
$(itsme_client_json bench-itsme-direct itsme-direct "$jwks"),
$(itsme_client_json bench-itsme-direct-ui itsme-direct-ui "$jwks")
  ]
}
EOF
    (cd "$OP_DIR" && exec node op.js --port "$ITSME_OP_PORT" --config "$RUN/itsme-op.json") >"$RUN/itsme-op.log" 2>&1 &
    ITSME_OP_PID=$!
    wait_op_ready "$ITSME_OP_PID" "$RUN/itsme-op.log" "the itsme test OP"
}

make_rp_keys() {   # the RP's signing and decryption keys, RSA 2048
    mkdir -p "$RUN/keys"
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$RUN/keys/sig.pem" 2>/dev/null \
        && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$RUN/keys/enc.pem" 2>/dev/null \
        || die "openssl genpkey failed"
    chmod 600 "$RUN/keys/"*.pem
}

# ---------------------------------------------------------------------------
# Redis for the *-redis setups: one redis-server on a free loopback port, no
# persistence; with pinning on httpd's CPU (--redis-cpu), its CPU time counted apart

redis_cmd() {   # inline command -> the first line of the reply (+PONG, :3, ...)
    local fd line=""
    { exec {fd}<>"/dev/tcp/127.0.0.1/$REDIS_PORT"; } 2>/dev/null || return 1
    printf '%s\r\n' "$*" >&"$fd"
    IFS= read -r -t 5 line <&"$fd" || true
    exec {fd}>&-
    printf '%s\n' "${line%$'\r'}"
}

start_redis() {
    local i
    REDIS_PORT=$(free_port); USED_PORTS+=" $REDIS_PORT"
    mkdir -p "$RUN/redis"
    $REDIS_PIN "$REDIS_SERVER" --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
        --dir "$RUN/redis" --logfile "$RUN/redis/redis.log" --daemonize no >/dev/null 2>&1 &
    REDIS_PID=$!
    for ((i = 0; i < 100; i++)); do
        [[ "$(redis_cmd PING 2>/dev/null)" == +PONG ]] && return 0
        kill -0 "$REDIS_PID" 2>/dev/null || break
        sleep 0.1
    done
    tail -20 "$RUN/redis/redis.log" >&2 2>/dev/null || true
    die "redis-server did not start on 127.0.0.1:$REDIS_PORT"
}

# ---------------------------------------------------------------------------
# httpd per setup

start_httpd() {   # setup
    local s=$1 dir="$RUN/$1" user_group="" session_type store="" store_load="" oidc_cache="" claims=$CLAIMS_STD
    mkdir -p "$dir"
    (( EUID == 0 )) && user_group=$'User www-data\nGroup www-data'
    render "$CONF_DIR/httpd-base.conf.in" "$dir/httpd.conf" \
        "DIR=$dir" "RUN=$RUN" "PORT=${PORT[$s]}" "MODDIR=$MODDIR" "USER_GROUP=$user_group"
    case "$s" in
        bare) render "$CONF_DIR/bare.conf.in" "$dir/setup.conf" ;;
        itsme-direct*)
            render "$CONF_DIR/itsme-direct.conf.in" "$dir/setup.conf" \
                "ITSME_MODULE=$ITSME_MODULE" "OP_DISCOVERY=http://127.0.0.1:$ITSME_OP_PORT/.well-known/openid-configuration" \
                "CLIENT_ID=bench-$s" "SIG_KEY=$RUN/keys/sig.pem" "ENC_KEY=$RUN/keys/enc.pem" \
                "PASSPHRASE=$(secret 40)" "CLAIMS=$CLAIMS_C4" ;;
        itsme*)
            case "$s" in
                itsme|itsme-c4|itsme-c30|itsme-login)
                    store="# ItsmeSessionStore cookie (the default): the session is in the cookie"
                    [[ $s == itsme-c4 ]] && claims=$CLAIMS_C4
                    [[ $s == itsme-c30 ]] && claims=$CLAIMS_C30 ;;
                itsme-shmcb)
                    store_load="LoadModule socache_shmcb_module $MODDIR/mod_socache_shmcb.so"
                    store="ItsmeSessionStore     socache:shmcb" ;;
                itsme-redis)
                    store_load="LoadModule socache_redis_module $MODDIR/mod_socache_redis.so"
                    store="ItsmeSessionStore     socache:redis:127.0.0.1:$REDIS_PORT" ;;
            esac
            render "$CONF_DIR/itsme.conf.in" "$dir/setup.conf" \
                "ITSME_MODULE=$ITSME_MODULE" "OP_DISCOVERY=$OP_DISCOVERY" "ITSME_CLIENT_ID=$ITSME_CLIENT_ID" \
                "ITSME_CLIENT_SECRET=$ITSME_CLIENT_SECRET" "PASSPHRASE=$(secret 40)" \
                "STORE_LOAD=$store_load" "STORE=$store" "CLAIMS=$claims" ;;
        openidc-*)
            session_type=server-cache; [[ $s == openidc-cookie ]] && session_type=client-cookie
            case "$s" in
                openidc-cache) oidc_cache="OIDCCacheType           shm" ;;
                openidc-redis) oidc_cache=$'OIDCCacheType           redis\nOIDCRedisCacheServer    '"127.0.0.1:$REDIS_PORT" ;;
            esac
            render "$CONF_DIR/openidc.conf.in" "$dir/setup.conf" \
                "OIDC_MODULE=$OIDC_MODULE" "OP_DISCOVERY=$OP_DISCOVERY" "OIDC_CLIENT_ID=$OIDC_CLIENT_ID" \
                "OIDC_CLIENT_SECRET=$OIDC_CLIENT_SECRET" "PASSPHRASE=$(secret 40)" \
                "OIDC_SESSION_TYPE=$session_type" "OIDC_CACHE=$oidc_cache" ;;
    esac
    # the login-cost setups: the module logs each callback's CPU time
    is_login_only "$s" && printf '\nLogLevel warn auth_itsme:debug\n' >>"$dir/setup.conf"
    chmod -R a+rX "$dir"
    "$APACHE2" -t -f "$dir/httpd.conf" >"$dir/configtest.log" 2>&1 \
        || { cat "$dir/configtest.log" >&2; die "$s: httpd config test failed"; }
    if (( CALLGRIND )); then
        # one process (-X); a profile part per request, written as www-data
        chmod 777 "$dir"; : >"$dir/cg.out"; chmod 666 "$dir/cg.out"
        valgrind --tool=callgrind --vgdb=no --compress-strings=no --callgrind-out-file="$dir/cg.out" \
            ${CG_TOGGLE-"--toggle-collect=ap_process_async_request"} --dump-after=ap_process_async_request \
            "$APACHE2" -X -f "$dir/httpd.conf" >>"$dir/stderr.log" 2>&1 &
    else
        $HTTPD_PIN "$APACHE2" -f "$dir/httpd.conf" -DFOREGROUND >>"$dir/stderr.log" 2>&1 &
    fi
    HTTPD_PID[$s]=$!
    wait_http "http://127.0.0.1:${PORT[$s]}/" "${HTTPD_PID[$s]}" $(( CALLGRIND ? 900 : 200 )) \
        || { tail -n 20 "$dir/error.log" "$dir/stderr.log" >&2 2>/dev/null; die "$s: httpd did not start"; }
}

# CPU time (clock ticks) used so far by an httpd parent and its live children
httpd_ticks() {
    local pid=$1 total=0 p a
    for p in $pid $(ps -o pid= --ppid "$pid" 2>/dev/null); do
        [[ -r /proc/$p/stat ]] || continue
        read -r -a a <<<"$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null)" || continue
        (( ${#a[@]} > 14 )) || continue
        # utime stime cutime cstime are fields 14..17, i.e. a[11..14] after "(comm) "
        total=$(( total + a[11] + a[12] + a[13] + a[14] ))
    done
    echo "$total"
}

httpd_sys_ticks() {   # pid: the system part of httpd_ticks (kernel time)
    local pid=$1 total=0 p a
    for p in $pid $(ps -o pid= --ppid "$pid" 2>/dev/null); do
        [[ -r /proc/$p/stat ]] || continue
        read -r -a a <<<"$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null)" || continue
        (( ${#a[@]} > 14 )) || continue
        total=$(( total + a[12] + a[14] ))
    done
    echo "$total"
}

redis_ticks() {   # CPU ticks of redis-server so far (0 without it)
    if [[ -n "$REDIS_PID" ]]; then httpd_ticks "$REDIS_PID"; else echo 0; fi
}

busy_ticks() {   # whole machine: non-idle ticks, all ticks
    awk '$1 == "cpu" { t = 0; for (i = 2; i <= 9; i++) t += $i; print t - $5 - $6, t }' /proc/stat
}

# Bounded wait for a quiet machine: 1 s samples, at most QUIET_WAIT seconds.
wait_quiet() {
    local deadline=$((SECONDS + QUIET_WAIT)) b0 t0 b1 t1 pct=0
    while :; do
        read -r b0 t0 < <(busy_ticks); sleep 1; read -r b1 t1 < <(busy_ticks)
        pct=$(( t1 > t0 ? (b1 - b0) * 100 / (t1 - t0) : 0 ))
        (( pct < 10 || SECONDS >= deadline )) && break
    done
    (( pct < 10 )) || echo "   (machine still ${pct}% busy after waiting ${QUIET_WAIT}s; measuring anyway)"
}

children_cpu() {   # CPU seconds used by reaped children of this shell (wrk, curl)
    local f="$RUN/.times"
    times >"$f"
    awk 'NR == 2 { s = 0; for (i = 1; i <= 2; i++) { split($i, p, "m"); s += p[1] * 60 + p[2] } printf "%.3f", s }' "$f"
}

# ---------------------------------------------------------------------------
# Login and checks (curl)

jar_cookies() {   # jar prefix pair|name
    awk -v pre="$2" -v what="$3" 'BEGIN { FS = "\t"; sep = "" }
        /^#HttpOnly_/ { sub(/^#HttpOnly_/, "") } /^#/ || NF < 7 { next }
        index($6, pre) == 1 { printf "%s%s", sep, (what == "pair" ? $6 "=" $7 : $6); sep = "; " }' "$1"
}

login() {   # setup cookie-prefix
    local s=$1 prefix=$2 dir="$RUN/$1" out code redirs final
    out=$(curl -sS --max-time 30 -L --max-redirs 20 -c "$dir/jar" -b "$dir/jar" -H 'Accept: text/html' \
        -o "$dir/login.body" -w '%{http_code} %{num_redirects} %{url_effective}' \
        "http://127.0.0.1:${PORT[$s]}/protected/index.html") || die "$s: login with curl failed"
    read -r code redirs final <<<"$out"
    [[ "$code" == 200 ]] && grep -q "$MARKER" "$dir/login.body" \
        || { tail -n 5 "$dir/error.log" >&2; die "$s: login ended with HTTP $code at $final after $redirs redirects"; }
    COOKIE[$s]=$(jar_cookies "$dir/jar" "$prefix" pair)
    COOKIE_PREFIX[$s]=$prefix
    [[ -n "${COOKIE[$s]}" ]] || die "$s: no cookie starting with '$prefix' in the jar after login"
    echo "   login: 200 after $redirs redirects; session cookie: $(jar_cookies "$dir/jar" "$prefix" name)" \
         "(Cookie header ${#COOKIE[$s]} bytes)"
}

# Like a browser: one request with the jar, so that a cookie the module
# re-issued (sliding inactivity expiry) is the one wrk sends next.
refresh_cookie() {   # setup
    local s=$1 dir="$RUN/$1" code
    code=$(curl -sS --max-time 10 -c "$dir/jar" -b "$dir/jar" -H 'Accept: text/html' -H 'X-Bench-Phase: refresh' \
        -o /dev/null -w '%{http_code}' "http://127.0.0.1:${PORT[$s]}/protected/index.html") || code=000
    [[ "$code" == 200 ]] || die "$s: the session no longer works (HTTP $code before a measurement)"
    COOKIE[$s]=$(jar_cookies "$dir/jar" "${COOKIE_PREFIX[$s]}" pair)
}

PROBE_BODY=""
http_probe() {   # url [cookie] -> "code|location|set-cookie count|x-bench-sub"; body in $PROBE_BODY
    local url=$1 cookie=${2:-} hdr args
    hdr="$RUN/probe.hdr"
    args=(-sS --max-time 10 -H 'Accept: text/html' -D "$hdr" -o "$PROBE_BODY")
    [[ -n "$cookie" ]] && args+=(-H "Cookie: $cookie")
    curl "${args[@]}" "$url" || die "curl $url failed"
    tr -d '\r' <"$hdr" | awk '
        NR == 1 { code = $2 }
        tolower($1) == "location:" { loc = $2 }
        tolower($1) == "set-cookie:" { n++ }
        tolower($1) == "x-bench-sub:" { v = $2 }
        END { printf "%s|%s|%d|%s\n", code, loc, n, v }'
}

verify_setup() {   # setup
    local s=$1 base="http://127.0.0.1:${PORT[$1]}" code loc sc sub
    PROBE_BODY="$RUN/$s/probe.body"
    IFS='|' read -r code loc sc sub <<<"$(http_probe "$base/protected/index.html" "${COOKIE[$s]:-}")"
    [[ "$code" == 200 ]] && cmp -s "$PROBE_BODY" "$RUN/htdocs/protected/index.html" \
        || die "$s: the benchmark request does not answer 200 with the file (HTTP $code, location '$loc')"
    SETCOOKIE[$s]=$sc
    if [[ "$s" == bare ]]; then echo "   check: 200, body = the file"
    else echo "   check: with cookie -> 200, body = the file (Set-Cookie headers: $sc)"; fi
    [[ "$s" == bare ]] && return 0
    IFS='|' read -r code loc sc sub <<<"$(http_probe "$base/protected/claims.html" "${COOKIE[$s]}")"
    [[ "$code" == 200 && "$sub" == "$SUB_EXPECTED" ]] \
        || die "$s: claims not exported (claims.html: HTTP $code, X-Bench-Sub '$sub')"
    echo "   check: claims reach the request headers (sub = the test account)"
    verify_store "$s"
    IFS='|' read -r code loc sc sub <<<"$(http_probe "$base/protected/index.html")"
    local opb=$OP_BASE
    [[ $s == itsme-direct* ]] && opb="http://127.0.0.1:$ITSME_OP_PORT"
    [[ "$code" == 302 && "$loc" == "$opb/auth?"* ]] \
        || die "$s: without cookie expected 302 to $opb/auth, got HTTP $code location '$loc'"
    echo "   check: without cookie -> 302 to the OP's authorization endpoint ($sc Set-Cookie)"
}

# A store setup must really keep the session on the server: its cookie is an
# id (mod_auth_itsme: under 400 bytes), and the Redis holds keys.
verify_store() {   # setup
    local s=$1 n
    case "$s" in
        itsme-shmcb|itsme-redis)
            (( ${#COOKIE[$s]} < 400 )) \
                || die "$s: the session cookie is ${#COOKIE[$s]} bytes: the session is not in the store"
            echo "   check: the Cookie header is an id (${#COOKIE[$s]} bytes): the session is in the store" ;;
    esac
    if uses_redis "$s"; then
        n=$(redis_cmd DBSIZE); n=${n#:}
        [[ "$n" =~ ^[0-9]+$ ]] && (( n > 0 )) || die "$s: Redis holds no key after the login (DBSIZE '$n')"
        echo "   check: Redis holds $n keys"
    fi
}

# ---------------------------------------------------------------------------
# Measurement (wrk)

to_ms() {   # "1.23ms" / "845.00us" / "1.02s" / "1.00m" -> ms
    awk -v v="$1" 'BEGIN { n = v + 0
        if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) ; else if (v ~ /m$/) n *= 60000; else if (v ~ /s$/) n *= 1000
        printf "%.2f", n }'
}

# The cases: key -> setup, expected status, label, cookie or not
declare -A C_SETUP C_EXPECT C_LABEL C_AUTH C_PATH
CASES=()
add_case() {   # key setup status cookie label [path]
    CASES+=("$1"); C_SETUP[$1]=$2; C_EXPECT[$1]=$3; C_AUTH[$1]=$4; C_LABEL[$1]=$5
    C_PATH[$1]=${6:-/protected/index.html}
}

# per case: space-separated values, one per round
declare -A M_RPS M_REQS M_MEAN M_P99 M_CPU M_BG M_WRKERR M_IR M_IRMIN M_IRMAX M_RCPU

measure() {   # case round
    local key=$1 r=$2 s=${C_SETUP[$1]} out b0 b1 t0 t1 h0 h1 w0 w1 r0 r1 args rps reqs mean p99 cpu rcpu bg err
    local dir="$RUN/$s" url="http://127.0.0.1:${PORT[${C_SETUP[$1]}]}${C_PATH[$1]}"
    args=(-t "$THREADS" -c "$CONNECTIONS" -H 'Accept: text/html')
    (( QUIET_WAIT > 0 )) && wait_quiet
    if [[ "${C_AUTH[$key]}" == yes ]]; then
        refresh_cookie "$s"      # right before: the cookie is as fresh as a browser's
        args+=(-H "Cookie: ${COOKIE[$s]}")
    fi
    if (( WARMUP > 0 )); then
        $WRK_PIN wrk "${args[@]}" -H "X-Bench-Phase: warmup" -d "${WARMUP}s" "$url" >"$dir/$key.$r.warmup" 2>&1 \
            || die "wrk failed (warm-up $key)"
    fi
    out="$dir/$key.$r.wrk"
    read -r b0 t0 < <(busy_ticks); h0=$(httpd_ticks "${HTTPD_PID[$s]}"); w0=$(children_cpu); r0=$(redis_ticks)
    $WRK_PIN wrk "${args[@]}" -H "X-Bench-Phase: $key" -d "${DURATION}s" --latency "$url" >"$out" 2>&1 \
        || die "wrk failed ($key)"
    read -r b1 t1 < <(busy_ticks); h1=$(httpd_ticks "${HTTPD_PID[$s]}"); w1=$(children_cpu); r1=$(redis_ticks)
    rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
    reqs=$(awk '/ requests in / { print $1 }' "$out")
    [[ -n "$rps" && -n "$reqs" ]] || { cat "$out" >&2; die "could not parse wrk output ($key)"; }
    mean=$(to_ms "$(awk '$1 == "Latency" { print $2; exit }' "$out")")
    p99=$(to_ms "$(awk '$1 == "99%" { print $2; exit }' "$out")")
    cpu=$(awk -v t="$((h1 - h0))" -v hz="$CLK_TCK" -v n="$reqs" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
    rcpu=$(awk -v t="$((r1 - r0))" -v hz="$CLK_TCK" -v n="$reqs" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
    # CPU used by anything but this httpd, redis-server and wrk, as % of the whole machine
    bg=$(awk -v b="$((b1 - b0 - r1 + r0))" -v t="$((t1 - t0))" -v h="$((h1 - h0))" -v w="$w0" -v w1="$w1" -v hz="$CLK_TCK" \
        'BEGIN { o = b - h - (w1 - w) * hz; if (o < 0) o = 0; printf "%.0f", (t > 0 ? o * 100 / t : 0) }')
    err=$(awk '/Socket errors:|Non-2xx or 3xx/ { sub(/^ +/, ""); printf "%s; ", $0 }' "$out")
    M_RPS[$key]+="$rps "; M_REQS[$key]+="$reqs "; M_MEAN[$key]+="$mean "; M_P99[$key]+="$p99 "
    M_CPU[$key]+="$cpu "; M_BG[$key]+="$bg "; [[ -n "$err" ]] && M_WRKERR[$key]+="round $r: $err"
    uses_redis "$s" && M_RCPU[$key]+="$rcpu "
    printf '   %-38s %9s req/s  mean %6s ms  p99 %6s ms  httpd %6s us/req  other load %3s%%%s\n' \
        "${C_LABEL[$key]}" "$rps" "$mean" "$p99" "$cpu" "$bg" "$(uses_redis "$s" && echo "  redis-server $rcpu us/req")"
}

# Callgrind mode: N requests on one keep-alive connection; every request is
# its own profile part (cg.out.<n>, "totals:" = instructions spent inside
# ap_process_async_request: hooks, handler, filters; not connection I/O).
cg_parts() {   # dir -> the number of the newest part
    local f n=0 i
    for f in "$1"/cg.out.*; do [[ -e "$f" ]] || continue; i=${f##*.}; (( i > n )) && n=$i; done
    echo "$n"
}

# Exclusive instructions per function ("count function [object]") of one part;
# callgrind_annotate mis-attributes --dump-after parts, so this sums them itself.
cg_self() {
    awk '/^ob=/ { n = split(substr($0, 4), p, "/"); ob = p[n]; next }
         /^fn=/ { fn = substr($0, 4) " [" ob "]"; next }
         /^calls=/ { skip = 1; next }
         /^[0-9+*-]/ { if (skip) skip = 0; else self[fn] += $2; next }
         END { for (f in self) if (self[f] > 0) printf "%d %s\n", self[f], f }' "$1"
}

cg_measure() {   # case
    local key=$1 s=${C_SETUP[$1]} dir="$RUN/${C_SETUP[$1]}" before i args codes stats mid
    local url="http://127.0.0.1:${PORT[${C_SETUP[$1]}]}${C_PATH[$1]}"
    args=(-s --max-time 600 -K "$dir/$key.curl" -H 'Accept: text/html' -H "X-Bench-Phase: $key")
    if [[ "${C_AUTH[$key]}" == yes ]]; then
        refresh_cookie "$s"
        args+=(-H "Cookie: ${COOKIE[$s]}")
    fi
    for ((i = 0; i < CALLGRIND; i++)); do
        printf 'url = "%s"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' "$url"
    done >"$dir/$key.curl"
    for ((i = 0; i < 100; i++)); do   # the refresh request's part must be written first
        before=$(cg_parts "$dir"); sleep 0.2; [[ "$(cg_parts "$dir")" == "$before" ]] && break
    done
    codes=$(curl "${args[@]}" | sort | uniq -c | awk '{ printf "%s%sx%s", sep, $2, $1; sep = "," }')
    [[ "$codes" == "${C_EXPECT[$key]}x$CALLGRIND" ]] || die "$key: expected ${C_EXPECT[$key]} x $CALLGRIND, got $codes"
    for ((i = 0; i < 300; i++)); do
        (( $(cg_parts "$dir") >= before + CALLGRIND )) && break
        sleep 0.1
    done
    (( $(cg_parts "$dir") >= before + CALLGRIND )) || die "$key: callgrind did not write a part per request"
    stats=$(for ((i = before + 1; i <= before + CALLGRIND; i++)); do
                printf '%s ' "$i"; awk '/^totals:/ { print $2; exit }' "$dir/cg.out.$i"
            done | sort -k2,2n | awk '{ n[NR] = $1; v[NR] = $2 } END {
                m = int((NR + 1) / 2); printf "%s %s %s %s\n", v[m], v[1], v[NR], n[m] }')
    read -r M_IR[$key] M_IRMIN[$key] M_IRMAX[$key] mid <<<"$stats"
    M_REQS[$key]=$CALLGRIND
    cg_self "$dir/cg.out.$mid" >"$dir/$key.self"
    {
        printf 'by object:'
        awk '{ o[$NF] += $1 } END { for (x in o) printf "%d %s\n", o[x], x }' "$dir/$key.self" \
            | sort -rn | awk 'NR <= 6 { printf " %s %s", $2, $1 } END { print "" }'
        sort -rn "$dir/$key.self" | awk 'NR <= 8 { printf "  %9d  %s\n", $1, substr($0, index($0, " ") + 1) }'
    } >"$dir/$key.hot"
    if (( ! KEEP )); then   # keep only the newest part: cg_parts goes on counting from it
        for ((i = 1; i < before + CALLGRIND; i++)); do rm -f "$dir/cg.out.$i"; done
    fi
    printf '   %-38s %9s instructions/request (min %s, max %s)\n' "${C_LABEL[$key]}" "${M_IR[$key]}" \
        "${M_IRMIN[$key]}" "${M_IRMAX[$key]}"
}

# Login cost: LOGINS full logins with curl -L and a fresh jar. --callgrind:
# the instructions of the callback request (the profile part that ran
# itsme_callback_handle), median; else httpd's CPU time (user + sys) per
# login: the redirect to the OP, the callback, the first page.
declare -A L_IR L_IRMIN L_IRMAX L_MS L_SYS L_CB L_LABEL
LOGIN_ROWS=()

cg_wait_parts() {   # dir: until no new part appears for 0.3 s
    local before i
    for ((i = 0; i < 100; i++)); do
        before=$(cg_parts "$1"); sleep 0.3; [[ "$(cg_parts "$1")" == "$before" ]] && return 0
    done
}

login_cost() {   # setup label
    local s=$1 dir="$RUN/$1" i j code before after h0 h1 i0 i1 k0 k1 t0 t1 irs=() part
    local url="http://127.0.0.1:${PORT[$1]}/protected/index.html"
    LOGIN_ROWS+=("$s"); L_LABEL[$s]=$2
    (( CALLGRIND )) || { h0=$(httpd_ticks "${HTTPD_PID[$s]}"); k0=$(httpd_sys_ticks "${HTTPD_PID[$s]}"); t0=$(date +%s%N); }
    local logoff
    logoff=$(stat -c %s "$dir/error.log" 2>/dev/null || echo 0)
    for ((i = 0; i < LOGINS; i++)); do
        rm -f "$dir/cost.jar"
        (( CALLGRIND )) && { cg_wait_parts "$dir"; before=$(cg_parts "$dir"); }
        code=$(curl -sS --max-time 120 -L --max-redirs 20 -c "$dir/cost.jar" -b "$dir/cost.jar" \
            -H 'Accept: text/html' -H 'X-Bench-Phase: login' -o /dev/null -w '%{http_code}' "$url") || code=000
        [[ "$code" == 200 ]] || die "$s: login $((i + 1)) for the login cost ended with HTTP $code"
        (( CALLGRIND )) || continue
        cg_wait_parts "$dir"; after=$(cg_parts "$dir"); part=""
        for ((j = before + 1; j <= after; j++)); do
            grep -q '^fn=itsme_callback_handle$' "$dir/cg.out.$j" 2>/dev/null && part=$j
        done
        [[ -n "$part" ]] || die "$s: no callgrind part of the callback among parts $((before + 1))-$after"
        irs+=("$(awk '/^totals:/ { print $2; exit }' "$dir/cg.out.$part")")
        (( i == LOGINS / 2 )) && cg_self "$dir/cg.out.$part" >"$dir/login.self"
    done
    if (( CALLGRIND )); then
        L_IR[$s]=$(median "${irs[*]}" | awk '{ printf "%.0f", $1 }'); L_IRMIN[$s]=$(range "${irs[*]}")
        printf '   %-38s %9s instructions in the callback (range %s)\n' "$2" "${L_IR[$s]}" "${L_IRMIN[$s]}"
        {
            printf 'by object:'
            awk '{ o[$NF] += $1 } END { for (x in o) printf "%d %s\n", o[x], x }' "$dir/login.self" \
                | sort -rn | awk 'NR <= 6 { printf " %s %s", $2, $1 } END { print "" }'
            sort -rn "$dir/login.self" | awk 'NR <= 8 { printf "  %9d  %s\n", $1, substr($0, index($0, " ") + 1) }'
        } >"$dir/login.hot"
    else
        # minus what the idle httpd uses over as long (its timers, the MPM)
        h1=$(httpd_ticks "${HTTPD_PID[$s]}"); k1=$(httpd_sys_ticks "${HTTPD_PID[$s]}"); t1=$(date +%s%N)
        i0=$(httpd_ticks "${HTTPD_PID[$s]}")
        sleep "$(awk -v d="$((t1 - t0))" 'BEGIN { printf "%.3f", d / 1e9 }')"
        i1=$(httpd_ticks "${HTTPD_PID[$s]}")
        L_MS[$s]=$(awk -v t="$((h1 - h0 - (i1 - i0)))" -v hz="$CLK_TCK" -v n="$LOGINS" 'BEGIN { printf "%.2f", t / hz * 1000 / n }')
        L_SYS[$s]=$(awk -v t="$((k1 - k0))" -v hz="$CLK_TCK" -v n="$LOGINS" 'BEGIN { printf "%.2f", t / hz * 1000 / n }')
        # the module's own figure (LogLevel auth_itsme:debug): the callback thread's CPU time
        L_CB[$s]=$(tail -c +"$((logoff + 1))" "$dir/error.log" | sed -n 's/.*ITSME08202: .* in \([0-9]*\) us of CPU.*/\1/p' \
            | sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%.2f", v[int((NR + 1) / 2)] / 1000; else print "?" }')
        printf '   %-38s %9s ms of httpd CPU in the callback, %s per login (%s in the kernel; idle httpd over as long: %s ticks)\n' \
            "$2" "${L_CB[$s]}" "${L_MS[$s]}" "${L_SYS[$s]}" "$((i1 - i0))"
    fi
}

login_table() {
    local s
    (( ${#LOGIN_ROWS[@]} )) || return 0
    if (( CALLGRIND )); then
        printf '%-52s %16s %23s\n' "login cost ($LOGINS logins each)" "instr/callback" "(range)"
        for s in "${LOGIN_ROWS[@]}"; do printf '%-52s %16s %23s\n' "${L_LABEL[$s]}" "${L_IR[$s]}" "(${L_IRMIN[$s]})"; done
    else
        printf '%-52s %14s %16s %12s\n' "login cost ($LOGINS logins each)" "callback CPU ms" "whole login ms" "(kernel ms)"
        for s in "${LOGIN_ROWS[@]}"; do
            printf '%-52s %14s %16s %12s\n' "${L_LABEL[$s]}" "${L_CB[$s]}" "${L_MS[$s]}" "${L_SYS[$s]}"
        done
        echo "(callback: the CPU time of the thread that answered it, its calls to the OP included, median,"
        echo "as the module logs it at LogLevel debug (ITSME08202); whole login: httpd's CPU, user + kernel,"
        echo "over the redirect to the OP, the callback and the first page, less what the idle httpd used"
        echo "over as long; ${CLK_TCK} ticks/s: use --logins 50 or more)"
    fi
    echo
}

median() { tr ' ' '\n' <<<"$1" | awk 'NF' | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
range() { tr ' ' '\n' <<<"$1" | awk 'NF' | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", lo, hi }'; }
maxof() { tr ' ' '\n' <<<"$1" | awk 'NF' | sort -g | awk 'END { print }'; }

# After httpd stopped (buffered log flushed): every measured request of a case
# has the expected status; responses larger than the smallest one of the case
# carried a re-issued cookie (Set-Cookie).
check_logs() {
    local key s n total bad reissued
    for key in "${CASES[@]}"; do
        s=${C_SETUP[$key]}
        read -r n bad reissued < <(awk -v k="$key" -v e="${C_EXPECT[$key]}" '
            $2 == k { n++; if ($1 != e) bad[$1]++; sz[n] = $3; if (min == "" || $3 < min) min = $3 }
            END { for (i = 1; i <= n; i++) if (sz[i] > min + 64) r++
                  b = ""; for (x in bad) b = b x "x" bad[x] ","; if (b == "") b = "-"
                  printf "%d %s %d\n", n, b, r }' "$RUN/$s/status.log")
        total=0; for x in ${M_REQS[$key]}; do total=$((total + x)); done
        (( n >= total )) || die "$key: httpd logged $n requests, wrk counted $total"
        [[ "$bad" == - ]] || die "$key: not every request answered ${C_EXPECT[$key]}: $bad (status x count)"
        if [[ "${C_EXPECT[$key]}" == 200 ]] && (( reissued > 0 )); then
            NOTES+=("$key: $reissued of $n measured responses were larger than the rest: the module re-issued the session cookie (wrk replays the old one)")
        fi
    done
    for s in $SETUPS; do
        n=$(grep -cE '\[[a-z_]+:(error|crit|alert|emerg)\]|exit signal|Segmentation fault' "$RUN/$s/error.log" || true)
        if (( n > 0 )); then
            NOTES+=("$s: $n error-level lines in its error log, e.g.: $(grep -m1 -E '\[[a-z_]+:(error|crit|alert|emerg)\]|exit signal|Segmentation fault' "$RUN/$s/error.log" | cut -c1-300)")
        fi
    done
}

git_rev() {
    local rev dirty=""
    rev=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null) || { echo unknown; return; }
    git --no-optional-locks -C "$REPO" diff --quiet HEAD -- src mod_auth_itsme.c 2>/dev/null \
        || dirty=" + uncommitted changes in src/"
    echo "$rev$dirty"
}

# ---------------------------------------------------------------------------
# Main

LOADAVG0=$(cut -d' ' -f1-3 /proc/loadavg)
ITSME_GIVEN=${ITSME_MODULE:+1}
ensure_packages
has_itsme && build_module
if [[ -n "$ITSME_GIVEN" ]] && has_itsme; then   # built elsewhere: say which file it was
    ITSME_REV="given as ITSME_MODULE, file dated $(date -u -r "$ITSME_MODULE" '+%Y-%m-%d %H:%M UTC'), sha256 $(sha256sum "$ITSME_MODULE" | cut -c1-12); repository at $(git_rev)"
else
    ITSME_REV=$(git_rev)   # the tree the script built the module from
fi
CLK_TCK=$(getconf CLK_TCK)
NCPU=$(nproc)
if (( PIN )) && (( NCPU >= 2 )); then
    HTTPD_PIN="taskset -c 0"; WRK_PIN="taskset -c 1"
    PIN_TEXT="httpd pinned to CPU 0, wrk to CPU 1"
    case "$REDIS_CPU" in
        wrk) REDIS_PIN=$WRK_PIN; REDIS_PIN_TEXT="on CPU 1 with wrk, not on httpd's CPU" ;;
        httpd) REDIS_PIN=$HTTPD_PIN; REDIS_PIN_TEXT="on CPU 0 with httpd" ;;
        *) REDIS_PIN=""; REDIS_PIN_TEXT="not pinned" ;;
    esac
else
    HTTPD_PIN=""; WRK_PIN=""; PIN_TEXT="no CPU pinning (httpd and wrk share the CPUs)"
    REDIS_PIN=""; REDIS_PIN_TEXT="not pinned"
fi

RUN=$(mktemp -d /tmp/itsme-bench.XXXXXX)
chmod 755 "$RUN"
declare -A PORT=() COOKIE=() COOKIE_PREFIX=() SETCOOKIE=()
NOTES=()
for s in $ALL_SETUPS; do PORT[$s]=$(free_port); USED_PORTS+=" ${PORT[$s]}"; done

# the static file: exactly 1024 bytes of HTML, with a marker the checks look for
MARKER="bench-marker-$(secret 12)"
mkdir -p "$RUN/htdocs/protected" "$RUN/htdocs/public"
page_head=$(printf '<!DOCTYPE html>\n<html><head><title>bench</title></head><body>\n<p>%s</p>\n<p>' "$MARKER")
page_tail='</p></body></html>'
pad=$(printf '%*s' $(( 1024 - ${#page_head} - ${#page_tail} - 1 )) '')
printf '%s%s%s\n' "$page_head" "${pad// /x}" "$page_tail" >"$RUN/htdocs/protected/index.html"
cp "$RUN/htdocs/protected/index.html" "$RUN/htdocs/protected/claims.html"
cp "$RUN/htdocs/protected/index.html" "$RUN/htdocs/public/index.html"
chmod -R a+rX "$RUN/htdocs"
FILE_SIZE=$(stat -c %s "$RUN/htdocs/protected/index.html")

if needs_redis; then
    echo "== redis-server"
    start_redis
    echo "   127.0.0.1:$REDIS_PORT ($("$REDIS_SERVER" --version | awk '{ sub(/^v=/, "", $3); print $3 }'), --save '', pid $REDIS_PID)"
fi

if needs_op; then
    echo "== test OP"
    start_op
    echo "   $OP_BASE (oidc-provider $(node -p "require('$OP_DIR/node_modules/oidc-provider/package.json').version"))"
fi

if has_direct; then
    ITSME_OP_PORT=$(free_port); USED_PORTS+=" $ITSME_OP_PORT"
    make_rp_keys
fi
for s in $ALL_SETUPS; do
    has_setup "$s" || continue
    echo "== setup $s (httpd on 127.0.0.1:${PORT[$s]})"
    start_httpd "$s"
    if [[ $s == itsme-direct* && -z "$ITSME_OP_PID" ]]; then
        start_itsme_op "$s"
        echo "   itsme OP: http://127.0.0.1:$ITSME_OP_PORT"
    fi
    case "$s" in
        itsme*) login "$s" "${ITSME_COOKIE_PREFIX:-itsme_session}" ;;
        openidc-*) login "$s" mod_auth_openidc_session ;;
    esac
    verify_setup "$s"
done

has_setup bare && add_case bare bare 200 no "bare httpd (no auth)"
has_setup itsme && add_case itsme itsme 200 yes "mod_auth_itsme (cookie session)"
has_setup itsme-c4 && add_case itsme-c4 itsme-c4 200 yes "mod_auth_itsme, claims sub name birthdate nin"
has_setup itsme-c30 && add_case itsme-c30 itsme-c30 200 yes "mod_auth_itsme, 25 claims asked (~30 held)"
has_setup openidc-cookie && add_case openidc-cookie openidc-cookie 200 yes "mod_auth_openidc client-cookie"
has_setup itsme-shmcb && add_case itsme-shmcb itsme-shmcb 200 yes "mod_auth_itsme socache:shmcb"
has_setup openidc-cache && add_case openidc-cache openidc-cache 200 yes "mod_auth_openidc server-cache shm"
has_setup itsme-redis && add_case itsme-redis itsme-redis 200 yes "mod_auth_itsme socache:redis"
has_setup openidc-redis && add_case openidc-redis openidc-redis 200 yes "mod_auth_openidc server-cache redis"
if (( PUBLIC )); then   # the same servers, a location the module does not protect
    has_setup bare && add_case bare-public bare 200 no "bare httpd, /public/" /public/index.html
    for s in itsme itsme-c4 itsme-c30; do   # with the session cookie, as a browser sends it
        has_setup "$s" && add_case "$s-public" "$s" 200 yes "$s, /public/ (not protected)" /public/index.html
    done
fi
if (( UNAUTH )); then
    has_setup itsme && add_case itsme-302 itsme 302 no "mod_auth_itsme, no session -> 302"
    has_setup openidc-cookie && add_case openidc-302 openidc-cookie 302 no "mod_auth_openidc, no session -> 302"
fi

if (( CALLGRIND )); then
    LOAD_TEXT="callgrind: httpd -X under valgrind, $CALLGRIND sequential keep-alive GETs per case of a ${FILE_SIZE}-byte file"
    echo "== $LOAD_TEXT"
    for key in "${CASES[@]}"; do cg_measure "$key"; done
else
    LOAD_TEXT="wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s (+${WARMUP}s warm-up) x $ROUNDS rounds, keep-alive, GET of a ${FILE_SIZE}-byte file; $PIN_TEXT; $NCPU CPUs"
    echo "== load: $LOAD_TEXT"
    for ((r = 1; r <= ROUNDS; r++)); do
        echo "-- round $r/$ROUNDS"
        for key in "${CASES[@]}"; do measure "$key" "$r"; done
    done
fi
if (( LOGINS > 0 )); then
    echo "== login cost: $LOGINS logins per row"
    has_setup itsme-login && login_cost itsme-login "broker route (client_secret_basic)"
    has_setup itsme-direct && login_cost itsme-direct "itsme route, claims in the JWE ID token"
    has_setup itsme-direct-ui && login_cost itsme-direct-ui "itsme route, claims from a JWE userinfo"
fi
stop_all_httpd
check_logs

# ---------------------------------------------------------------------------
# Report


wrk_table() {
    local key rps cpu rel dcpu base_rps="" base_cpu=""
    if has_setup bare; then base_rps=$(median "${M_RPS[bare]}"); base_cpu=$(median "${M_CPU[bare]}"); fi
    printf '%-36s %4s %10s %15s %8s %8s %8s %10s %8s %6s\n' \
        "" "HTTP" "req/s" "req/s range" "mean ms" "p99 ms" "vs bare" "httpd CPU" "+CPU" "other"
    printf '%-36s %4s %10s %15s %8s %8s %8s %10s %8s %6s\n' \
        "setup" "" "(median)" "(all rounds)" "" "" "req/s" "us/req" "us/req" "load"
    for key in "${CASES[@]}"; do
        rps=$(median "${M_RPS[$key]}"); cpu=$(median "${M_CPU[$key]}")
        rel="-"; dcpu="-"
        if [[ -n "$base_rps" && "$key" != bare ]]; then
            rel=$(awk -v a="$rps" -v b="$base_rps" 'BEGIN { printf "%+.0f%%", (a / b - 1) * 100 }')
            dcpu=$(awk -v a="$cpu" -v b="$base_cpu" 'BEGIN { printf "%+.0f", a - b }')
        fi
        printf '%-36s %4s %10s %15s %8s %8s %8s %10s %8s %5s%%\n' "${C_LABEL[$key]}" "${C_EXPECT[$key]}" \
            "$rps" "$(range "${M_RPS[$key]}")" "$(median "${M_MEAN[$key]}")" "$(median "${M_P99[$key]}")" \
            "$rel" "$cpu" "$dcpu" "$(maxof "${M_BG[$key]}")"
    done
}

cg_table() {
    local key rel x b base=""
    has_setup bare && base=${M_IR[bare]}
    printf '%-36s %4s %14s %21s %14s %8s\n' "setup" "HTTP" "instr/request" "(min-max)" "+ vs bare" "x bare"
    for key in "${CASES[@]}"; do
        rel="-"; x="-"
        b=$base; [[ "$key" == *-public && -n "${M_IR[bare-public]:-}" ]] && b=${M_IR[bare-public]}
        if [[ -n "$b" && "$key" != bare && "$key" != bare-public ]]; then
            rel=$(( M_IR[$key] - b )); x=$(awk -v a="${M_IR[$key]}" -v b="$b" 'BEGIN { printf "%.1f", a / b }')
        fi
        printf '%-36s %4s %14s %21s %14s %8s\n' "${C_LABEL[$key]}" "${C_EXPECT[$key]}" "${M_IR[$key]}" \
            "(${M_IRMIN[$key]}-${M_IRMAX[$key]})" "$rel" "$x"
    done
}

# Issue 13: instructions an authenticated request adds over a request to the
# unprotected location of the same server (empty when a case is missing).
issue13_line() {   # setup claims-text target (0: none)
    local a=${M_IR[$1]:-} b=${M_IR[$1-public]:-}
    [[ -n "$a" && -n "$b" ]] || return 0
    awk -v a="$a" -v b="$b" -v s="$1" -v c="$2" -v t="$3" 'BEGIN { d = a - b
        printf "%s (claims %s): %+d instructions per authenticated request over its public one", s, c, d
        if (t > 0) printf " (target: at most %d): %s", t, (d <= t ? "met" : "NOT MET") }'
}

# The benchmark targets of issues 7 and 13, within this run.
targets() {
    local lines=() r
    if (( CALLGRIND )); then
        lines+=("$(issue13_line itsme "sub given_name family_name birthdate" 0)")
        lines+=("$(issue13_line itsme-c4 "sub name birthdate nin" 40000)")
        lines+=("$(issue13_line itsme-c30 "25 asked, ~30 held" 80000)")
        if [[ -n "${M_IR[itsme-public]:-}" && -n "${M_IR[bare-public]:-}" ]]; then
            lines+=("$(awk -v a="${M_IR[itsme-public]}" -v b="${M_IR[bare-public]}" -v am="${M_IRMIN[itsme-public]}" -v bm="${M_IRMIN[bare-public]}" 'BEGIN { d = a - b
                printf "unprotected location /public/ (with the session cookie): %+d instructions over bare httpd (target: at most 3000): %s; minimum to minimum %+d", d, (d <= 3000 ? "met" : "NOT MET"), am - bm }')")
        fi
        if [[ -n "${M_IR[itsme]:-}" && -n "${M_IR[itsme-shmcb]:-}" ]]; then
            lines+=("$(awk -v a="${M_IR[itsme-shmcb]}" -v b="${M_IR[itsme]}" 'BEGIN { d = (a / b - 1) * 100
                printf "socache:shmcb vs cookie session: %+.1f%% instructions per authenticated request (target: at most +10%%): %s", d, (d <= 10 ? "met" : "NOT MET") }')")
        fi
        if [[ -n "${M_IR[itsme]:-}" && -n "${M_IR[itsme-redis]:-}" ]]; then
            lines+=("$(awk -v a="${M_IR[itsme-redis]}" -v b="${M_IR[itsme]}" 'BEGIN {
                printf "socache:redis vs cookie session: %+.1f%% instructions per authenticated request inside httpd (redis-server not counted; no target)", (a / b - 1) * 100 }')")
        fi
    else
        if [[ -n "${M_RPS[bare]:-}" && -n "${M_RPS[itsme-redis]:-}" ]]; then
            r=$(paste -d' ' <(tr ' ' '\n' <<<"${M_RPS[itsme-redis]}" | awk 'NF') <(tr ' ' '\n' <<<"${M_RPS[bare]}" | awk 'NF') \
                | awk '{ printf "%s%.2f", sep, $1 / $2; sep = " " }')
            lines+=("$(awk -v a="$(median "${M_RPS[itsme-redis]}")" -v b="$(median "${M_RPS[bare]}")" -v r="$r" 'BEGIN { x = a / b
                printf "socache:redis req/s / bare httpd req/s: %.2fx (medians; per round: %s) (target: at least 0.70x): %s", x, r, (x >= 0.7 ? "met" : "NOT MET") }')")
        fi
        if [[ -n "${M_CPU[itsme]:-}" && -n "${M_CPU[itsme-shmcb]:-}" ]]; then
            lines+=("$(awk -v a="$(median "${M_CPU[itsme-shmcb]}")" -v b="$(median "${M_CPU[itsme]}")" 'BEGIN {
                printf "socache:shmcb vs cookie session: %+.0f%% httpd CPU per request (the target is on instructions: --callgrind)", (a / b - 1) * 100 }')")
        fi
    fi
    (( ${#lines[@]} )) || return 0
    echo "targets (issues 7 and 13), within this run:"
    for r in "${lines[@]}"; do [[ -n "$r" ]] && echo "  $r"; done
    echo
}

report() {
    local key s
    echo "mod_auth_itsme benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), host $(uname -n)"
    echo
    if (( CALLGRIND )); then cg_table; else wrk_table; fi
    echo
    login_table
    targets
    echo "load:     $LOAD_TEXT"
    (( CALLGRIND )) || echo "          loopback 127.0.0.1; every httpd up for the whole run, measured one at a time;"
    echo "          access log: one buffered status line per request (same for every setup)"
    echo "checked:  before: 200 + the file with the cookie, claims in the request headers, 302 to the OP"
    echo "          without; after: every measured request got the status shown (httpd's own log)"
    for s in itsme itsme-shmcb itsme-redis openidc-cookie openidc-cache openidc-redis; do
        has_setup "$s" && echo "cookie:   $s: Cookie header ${#COOKIE[$s]} bytes; Set-Cookie on an authenticated response: ${SETCOOKIE[$s]}"
    done
    for key in "${CASES[@]}"; do
        [[ -n "${M_WRKERR[$key]:-}" ]] && echo "wrk:      $key: ${M_WRKERR[$key]}"
    done
    for key in "${NOTES[@]}"; do echo "NOTE:     $key"; done
    echo "httpd:    $("$APACHE2" -v | sed -n 's/^Server version: //p'), MPM event ($( (( CALLGRIND )) && echo "-X: one process" || echo "2 children x 25 threads"))"
    has_itsme && echo "itsme:    mod_auth_itsme $ITSME_REV ($ITSME_MODULE)"
    needs_redis && echo "redis:    $("$REDIS_SERVER" --version | awk '{ sub(/^v=/, "", $3); print $3 }') on 127.0.0.1, --save '' (no persistence)$( (( CALLGRIND )) || echo ", $REDIS_PIN_TEXT")"
    if ! (( CALLGRIND )); then
        for key in "${CASES[@]}"; do
            [[ -n "${M_RCPU[$key]:-}" ]] && echo "redis:    $key: redis-server CPU $(median "${M_RCPU[$key]}") us/req (median; not in the httpd CPU column)"
        done
    fi
    has_openidc && echo "openidc:  libapache2-mod-auth-openidc $(dpkg-query -W -f '${Version}' libapache2-mod-auth-openidc 2>/dev/null || echo '?')"
    needs_op && echo "OP:       test/integration/op/op.js, oidc-provider $(node -p "require('$OP_DIR/node_modules/oidc-provider/package.json').version"), node $(node -v)"
    echo "tools:    wrk $(wrk -v 2>&1 | awk 'NR == 1 { print $2 }'), OpenSSL $(openssl version 2>/dev/null | awk '{ print $2 }'), kernel $(uname -r)"
    echo "cpu:      $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo) x $NCPU; load average before: $LOADAVG0"
    echo
    if (( CALLGRIND )); then
        echo "instr/request: instructions executed inside ap_process_async_request (every hook, the"
        echo "handler, the output filters; not reading the request or connection I/O), median request."
        needs_redis && echo "The *redis rows count httpd's side of the Redis calls only, not redis-server's work."
        echo "Where the median request's instructions go (exclusive counts; by shared object, then top functions):"
        for key in "${CASES[@]}"; do
            echo "  $key:"; sed 's/^/    /' "$RUN/${C_SETUP[$key]}/$key.hot"
        done
        for s in "${LOGIN_ROWS[@]}"; do
            echo "  login $s (the callback):"; sed 's/^/    /' "$RUN/$s/login.hot"
        done
    else
        echo "vs bare: throughput change. httpd CPU: user+sys time of all httpd processes during the"
        echo "measurement / requests served (the steadiest number on a busy machine); +CPU: added by the"
        echo "module. other load: the most CPU (% of the machine) used by anything but httpd and wrk"
        echo "during a round; above ~5% the req/s and latency columns are disturbed."
        needs_redis && echo "The *redis rows' httpd CPU is httpd's alone; redis-server's is on the redis: lines above."
    fi
}

mkdir -p "$RESULTS_DIR"
RESULT_FILE="$RESULTS_DIR/$(date -u +%Y-%m-%d-%H%M%S)$( (( CALLGRIND )) && echo -callgrind || true).txt"
echo
report | tee "$RESULT_FILE"
echo
echo "written: $RESULT_FILE"
