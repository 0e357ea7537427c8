#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
# The demo, as root (sudo if you are not root): bash scripts/demo.sh [--check]
#
# Builds the module, starts the local test OP (node-oidc-provider in its
# broker profile: a Signicat-like OpenID Connect broker with a client secret,
# not itsme's own OP) on 127.0.0.1:9400 and httpd with mod_auth_itsme on
# 127.0.0.1:8080 protecting /app, whose page shows the claims the module
# passed on, with a logout and two Require itsme-claim rules (one met, one
# not: the module's access-denied page). Open http://127.0.0.1:8080/ ;
# Ctrl-C stops everything.
#
#   --check   start everything, log in once with curl, print the page, try
#             both rules, log out through the OP, stop (exit 0 when the page
#             shows the test user's national number and every step answered
#             as it should)
#
# Environment: DEMO_HTTP_PORT (8080), DEMO_OP_PORT (9400).

set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
cd "$REPO" || exit 1

CHECK=0
for arg in "$@"; do
    case "$arg" in
        --check) CHECK=1 ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) die "unknown argument: $arg (try --help)" ;;
    esac
done

HTTP_PORT="${DEMO_HTTP_PORT:-8080}"
OP_PORT="${DEMO_OP_PORT:-9400}"
BASE="http://127.0.0.1:$HTTP_PORT"
OP="http://127.0.0.1:$OP_PORT"
CLIENT_ID=itsme-demo
CLIENT_SECRET="demo-secret-$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')"
PASSPHRASE="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
MODDIR=/usr/lib/apache2/modules
[ -d "$MODDIR" ] || MODDIR="$(apxs -q LIBEXECDIR)"

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # port seconds pid
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        port_busy "$1" && return 0
        kill -0 "$3" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# httpd is up when it wrote its own pid (after binding its port), answers
# on the port and is alive: a port that merely answers may be someone else's.
wait_httpd() { # port seconds pid pidfile
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        kill -0 "$3" 2>/dev/null || return 1
        [ "$(cat "$4" 2>/dev/null)" = "$3" ] && port_busy "$1" && kill -0 "$3" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# ---------------------------------------------------------------------------
install_deps
install_op_packages || die "npm install of the test OP failed"
bootstrap || die "autogen.sh failed"
mkdir -p "$BUILD_DIR"
say "building (log: ${BUILD_DIR#"$REPO"/}/demo-make.log)"
build_tree "$BUILD_DIR" -- all >"$BUILD_DIR/demo-make.log" 2>&1 \
    || { tail -n 40 "$BUILD_DIR/demo-make.log"; die "build failed"; }
MODULE="$BUILD_DIR/.libs/mod_auth_itsme.so"
[ -f "$MODULE" ] || die "module not built: $MODULE"

for p in "$HTTP_PORT" "$OP_PORT"; do
    port_busy "$p" && die "port $p on 127.0.0.1 is in use (set DEMO_HTTP_PORT / DEMO_OP_PORT)"
done

# httpd's children run as www-data and must reach the CGI script: use
# build/demo when they can, else a private directory under /tmp.
RUN="$BUILD_DIR/demo"
RUN_USER=www-data
RUN_GROUP=www-data
id "$RUN_USER" >/dev/null 2>&1 || { RUN_USER=nobody; RUN_GROUP=nogroup; }
rm -rf "$RUN"
mkdir -p "$RUN"
if ! traversable_by "$RUN" "$RUN_USER"; then
    RUN="$(mktemp -d /tmp/mod_auth_itsme-demo.XXXXXX)"
fi
mkdir -p "$RUN/htdocs/app" "$RUN/cgi-bin" "$RUN/run"
chmod 755 "$RUN" "$RUN/htdocs" "$RUN/htdocs/app" "$RUN/cgi-bin"
install -m 755 "$REPO/test/integration/backends/claims_page.py" "$RUN/cgi-bin/claims.py"
cat >"$RUN/htdocs/index.html" <<'EOF'
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mod_auth_itsme demo</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;line-height:1.6}</style></head>
<body><h1>mod_auth_itsme demo</h1>
<ul>
<li><a href="/app/">Your claims</a> (logs you in)</li>
<li><a href="/app/adults/">Adults only</a> (<code>Require itsme-claim age&gt;=18</code>: let in)</li>
<li><a href="/app/seniors/">65 and over</a> (<code>Require itsme-claim age&gt;=65</code>: the
module's access-denied page, in your browser's language)</li>
<li><a href="/logout">Log out</a> (here and at the OP, back to this page)</li>
</ul></body></html>
EOF
chmod 644 "$RUN/htdocs/index.html"

cat >"$RUN/op.json" <<EOF
{
  "profile": "broker",
  "clients": [{
    "client_id": "$CLIENT_ID",
    "client_secret": "$CLIENT_SECRET",
    "token_endpoint_auth_method": "client_secret_basic",
    "redirect_uris": ["$BASE/itsme/callback", "http://localhost:$HTTP_PORT/itsme/callback"],
    "post_logout_redirect_uris": ["$BASE/", "http://localhost:$HTTP_PORT/"]
  }]
}
EOF

builtin="$(apache2 -l 2>/dev/null)"
loadmods=""
for m in mpm_event authn_core authz_core authz_user mime log_config unixd headers alias cgid env dir; do
    grep -q "mod_$m.c" <<<"$builtin" || loadmods+="LoadModule ${m}_module $MODDIR/mod_$m.so"$'\n'
done

cat >"$RUN/httpd.conf" <<EOF
# generated by scripts/demo.sh
ServerRoot "$RUN"
ServerName 127.0.0.1
Listen 127.0.0.1:$HTTP_PORT
PidFile "$RUN/run/httpd.pid"
DefaultRuntimeDir "$RUN/run"
Mutex file:$RUN/run default
${loadmods}LoadModule auth_itsme_module $MODULE
User $RUN_USER
Group $RUN_GROUP
ScriptSock "$RUN/run/cgid.sock"
ErrorLog "$RUN/error.log"
LogLevel warn auth_itsme:debug
CustomLog "$RUN/access.log" "%h %u %t \"%r\" %>s %b"
TypesConfig /etc/mime.types
DocumentRoot "$RUN/htdocs"
DirectoryIndex index.html
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory "$RUN/htdocs">
    Require all granted
</Directory>
<Directory "$RUN/cgi-bin">
    Options +ExecCGI
    Require all granted
</Directory>
ScriptAliasMatch "^/app/((adults|seniors)/)?$" "$RUN/cgi-bin/claims.py"
ScriptAlias /app/claims "$RUN/cgi-bin/claims.py"

ItsmeProvider broker $OP/.well-known/openid-configuration
ItsmeClientID $CLIENT_ID
ItsmeClientSecret $CLIENT_SECRET
ItsmeRedirectURI /itsme/callback
ItsmeCryptoPassphrase $PASSPHRASE
ItsmeHTTPTimeout 5
ItsmeLogoutURI /logout
ItsmePostLogoutRedirect /

<Location /app>
    AuthType itsme
    ItsmeClaims sub name given_name family_name birthdate gender nin nin_type address_formatted address_street address_postal_code address_locality eid_number
    ItsmePassClaimsAs both
    Require valid-user
</Location>
<Location /app/adults>
    Require itsme-claim age>=18
</Location>
<Location /app/seniors>
    Require itsme-claim age>=65
</Location>
EOF

# ---------------------------------------------------------------------------
OP_PID=""
HTTPD_PID=""
cleanup() {
    trap - EXIT INT TERM
    [ -n "$HTTPD_PID" ] && kill -TERM "$HTTPD_PID" 2>/dev/null && wait "$HTTPD_PID" 2>/dev/null
    [ -n "$OP_PID" ] && kill -TERM "$OP_PID" 2>/dev/null && wait "$OP_PID" 2>/dev/null
    say "stopped (logs in $RUN)"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

node "$OP_DIR/op.js" --port "$OP_PORT" --config "$RUN/op.json" >"$RUN/op.log" 2>&1 </dev/null &
OP_PID=$!
wait_port "$OP_PORT" 20 "$OP_PID" || { cat "$RUN/op.log"; die "the test OP did not start"; }

apache2 -f "$RUN/httpd.conf" -DFOREGROUND >"$RUN/httpd.stderr" 2>&1 </dev/null &
HTTPD_PID=$!
wait_httpd "$HTTP_PORT" 20 "$HTTPD_PID" "$RUN/run/httpd.pid" \
    || { cat "$RUN/httpd.stderr"; tail -n 20 "$RUN/error.log" 2>/dev/null; die "httpd did not start"; }

if [ "$CHECK" -eq 1 ]; then
    jar="$RUN/cookies.txt"
    out="$(curl -sS -L --max-time 20 --max-redirs 15 -c "$jar" -b "$jar" -o "$RUN/page.html" \
        -w '%{http_code} %{url_effective}' "$BASE/app/")" || die "curl failed"
    say "login through the flow: $out"
    sed -e 's/<[^>]*>/ /g' -e 's/  */ /g' "$RUN/page.html" | grep -v '^ *$'
    ok=1
    [ "${out%% *}" = 200 ] && grep -q 81042419835 "$RUN/page.html" || ok=0
    step() { # what expected-status path [curl args]
        local got
        got="$(curl -sS --max-time 20 -c "$jar" -b "$jar" -o "$RUN/step.html" \
            -w '%{http_code} %{url_effective}' "${@:4}" "$BASE$3")" || got="curl-failed"
        say "$1: $got"
        [ "${got%% *}" = "$2" ] || ok=0
    }
    step "Require itsme-claim age>=18" 200 /app/adults/
    step "Require itsme-claim age>=65, in Dutch" 403 /app/seniors/ -H 'Accept-Language: nl-BE'
    grep -q 'lang="nl"' "$RUN/step.html" || { warn "the denial page is not in Dutch"; ok=0; }
    # logout: to the OP's end_session_endpoint, whose page a browser submits
    # by itself (curl does it by hand), back to ItsmePostLogoutRedirect
    step "logout here" 302 /logout -D "$RUN/step.hdr"
    local_op="$(sed -n 's/^[Ll]ocation: *\([^[:space:]]*\).*/\1/p' "$RUN/step.hdr")"
    curl -sS --max-time 20 -c "$jar" -b "$jar" -o "$RUN/op-logout.html" "$local_op" || ok=0
    action="$(sed -n 's/.*action="\([^"]*\)".*/\1/p' "$RUN/op-logout.html" | head -n1 | sed 's/&amp;/\&/g')"
    xsrf="$(sed -n 's/.*name="xsrf" value="\([^"]*\)".*/\1/p' "$RUN/op-logout.html" | head -n1)"
    out="$(curl -sS -L --max-time 20 --max-redirs 15 -c "$jar" -b "$jar" -o "$RUN/step.html" \
        -w '%{http_code} %{url_effective}' --data "xsrf=$xsrf&logout=yes" \
        "$(case "$action" in http*) echo "$action" ;; *) echo "$OP$action" ;; esac)")" || out=failed
    say "logout at the OP, back to: $out"
    [ "$out" = "200 $BASE/" ] && grep -q "mod_auth_itsme demo" "$RUN/step.html" \
        || { warn "logout did not end on the start page"; ok=0; }
    if [ "$ok" -eq 1 ]; then
        say "demo check OK"
        exit 0
    fi
    tail -n 20 "$RUN/error.log" >&2
    die "demo check failed"
fi

cat <<EOF

  mod_auth_itsme demo is running.

  Open:        $BASE/   (claims, two Require itsme-claim rules, logout)
  Test OP:     $OP  (logs you in at once, no password)
  Test user:   Maxence Legrand, born 1981-04-24, national number 81042419835,
               Rue Royale 82, 1000 Bruxelles
  Logs:        $RUN/error.log, $RUN/op.log

  Ctrl-C stops everything.

EOF
wait -n "$OP_PID" "$HTTPD_PID"
warn "a demo process exited; stopping"
