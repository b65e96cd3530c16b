#!/usr/bin/env bash
# Smoke-test a built Device Audit bundle (the artefact, not the source tree):
#   packaging/smoke.sh dist/device-audit-VERSION-linux-x86_64.tar.gz   (or the unpacked folder)
# Runs: --version, policies, scan --local --json, check of that inventory, verify of the sample
# receipt the bundle ships (its signature checks out, and it is refused as a SAMPLE: exit 1),
# `devices` with a distribution's adb first on PATH and then with that adb's server already
# running on the port, a helpdesk team's history on a private PostgreSQL server (below), and
# the GUI offscreen with the demo phone for a few seconds: no traceback, no Qt warning.
# Everything runs in a temporary HOME, with no network.
#
# The team history (issue 18): a private PostgreSQL server from the distribution's binaries
# (pg_ctl on PATH, else the newest /usr/lib/postgresql/*/bin; PG_BIN names another folder),
# started as an unprivileged user on a private port in a temporary folder, as
# tests/helpers/postgres.py does, and stopped at the end. The bundle sets up its roles and two
# logins, a technician imports two receipts and an office login reads them back (also over TLS,
# and in the window); psycopg loads its own libpq only then, never for --help or --version; a
# wrong password and a stopped server get plain words. The receipts are signed by throwaway
# keys by packaging/make_smoke_receipts.py, run with a Python that has this checkout's packages
# (SMOKE_PYTHON, else build/package-venv, else .venv). Where no server can be started, the
# smoke test says so and goes on, except with CI=true, where that is a failure.
set -euo pipefail
if [ $# -ne 1 ]; then echo "usage: $0 BUNDLE.tar.gz|BUNDLE_FOLDER" >&2; exit 2; fi
here=$(cd "$(dirname "$0")/.." && pwd)  # the checkout: only to make the smoke receipts
work=$(mktemp -d)
adb_port=$((20000 + RANDOM % 20000))
pg_folder=""  # the private PostgreSQL server's folder, once started
as_server_user() {  # initdb and postgres refuse to run as root
    if [ "$(id -u)" = 0 ]; then
        setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
    else
        "$@"
    fi
}
cleanup() {
    if [ -n "${bundle:-}" ] && [ -x "$bundle/_internal/adbutils/binaries/adb" ]; then
        "$bundle/_internal/adbutils/binaries/adb" -P "$adb_port" kill-server >/dev/null 2>&1 || true
    fi
    if [ -n "$pg_folder" ] && [ -f "$pg_folder/data/postmaster.pid" ]; then
        (cd "$pg_folder" && as_server_user "$pg_bin/pg_ctl" stop -D "$pg_folder/data" -m fast) \
            >/dev/null 2>&1 || true
    fi
    [ -z "$pg_folder" ] || rm -rf "$pg_folder"
    rm -rf "$work"
}
trap cleanup EXIT
if [ -d "$1" ]; then
    cp -a "$1" "$work/device-audit"
else
    tar -xzf "$1" -C "$work"
fi
bundle="$work/device-audit"
app="$bundle/device-audit"
[ -x "$app" ] || { echo "FAIL: no device-audit program in $1" >&2; exit 1; }
export HOME="$work/home" XDG_DATA_HOME="$work/home/data" XDG_CONFIG_HOME="$work/home/config"
export XDG_CACHE_HOME="$work/home/cache" ANDROID_ADB_SERVER_PORT="$adb_port"
mkdir -p "$HOME"
cd "$work"  # nothing of a source tree around
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

# What is (not) inside: no test code, no Addons half of Qt.
if find "$bundle" -path '*phonesim*' -o -name 'QtCharts*' -o -name 'libQt6Charts*' \
        -o -name 'libQt6Pdf*' -o -name 'libQt6Qml*' | grep -q .; then
    fail "the bundle holds test code or Qt's Addons: $(find "$bundle" -path '*phonesim*' -o -name '*Qt6Charts*' -o -name '*Qt6Qml*' | head -3)"
else
    pass "no test code, no QtCharts/QtQml/QtPdf"
fi

version=$("$app" --version) || fail "--version exited $?"
case "$version" in
    "device-audit "[0-9]*) pass "--version: $version" ;;
    *) fail "--version printed '$version'" ;;
esac

if "$app" policies > policies.txt && grep -q nz-parliament-2023 policies.txt; then
    pass "policies ($(wc -l < policies.txt) lines)"
else
    fail "policies"; cat policies.txt >&2 || true
fi

# The French catalogue and Qt's own French words travel with the bundle (issue 17).
if "$app" --language fr --help > help-fr.txt 2>&1 && grep -q "utilisation" help-fr.txt \
    && grep -q "supprimer les applications interdites" help-fr.txt; then
    pass "--language fr: the command line speaks French"
else
    fail "--language fr --help"; cat help-fr.txt >&2
fi
if [ -n "$(find "$bundle" -name device_audit.mo -path '*fr_CA*')" ] \
    && [ -n "$(find "$bundle" -name qtbase_fr.qm)" ]; then
    pass "the French catalogue and qtbase_fr.qm are in the bundle"
else
    fail "the bundle lacks device_audit.mo (fr_CA) or qtbase_fr.qm"
fi

if "$app" scan --local --json inventory.json > scan.txt 2>&1 && [ -s inventory.json ]; then
    pass "scan --local --json ($(wc -c < inventory.json) bytes)"
else
    fail "scan --local"; cat scan.txt >&2
fi

set +e
"$app" check --policy nz-parliament-2023 --inventory inventory.json > check.txt 2>&1
status=$?
set -e
if [ "$status" -le 1 ] && ! grep -q Traceback check.txt; then
    pass "check (exit $status: $(head -1 check.txt))"
else
    fail "check exited $status"; cat check.txt >&2
fi

# The sample is signed by the published sample key: the signature checks out, yet verify must
# not call it valid (exit 1), saying why; exit 0 would mean the bundle trusts a key anyone has.
sample="$bundle/_internal/resources/samples/sample-receipt.json"
set +e
"$app" verify "$sample" > verify.txt 2>&1
status=$?
set -e
if [ "$status" -eq 1 ] && grep -q "NOT ACCEPTED (a SAMPLE receipt): valid attestation" verify.txt \
        && grep -q "SAMPLE receipt signed by the published sample key: it proves nothing" verify.txt; then
    pass "verify of the shipped sample receipt: signature checked, refused as a SAMPLE (exit 1)"
else
    fail "verify of $sample exited $status"; cat verify.txt >&2
fi

# adb: the bundle's own, even with another adb first on PATH or its server already running.
other_adb=$(command -v adb || true)
own_adb="$bundle/_internal/adbutils/binaries/adb"
server_exe() {  # the program of the adb server listening on our port
    local pid
    for pid in $(pgrep -f -- "tcp:$adb_port fork-server" || true); do
        readlink -f "/proc/$pid/exe"; return
    done
}
if PATH="$(dirname "${other_adb:-/usr/bin/adb}"):$PATH" "$app" -v devices > devices.txt 2>&1; then
    exe=$(server_exe)
    if [ "$exe" = "$(readlink -f "$own_adb")" ]; then
        pass "devices started the bundle's adb (${other_adb:-no other adb} first on PATH)"
    else
        fail "devices started '$exe', not the bundle's adb"; cat devices.txt >&2
    fi
else
    fail "devices"; cat devices.txt >&2
fi
"$own_adb" -P "$adb_port" kill-server >/dev/null 2>&1 || true
if [ -n "$other_adb" ]; then
    "$other_adb" -P "$adb_port" start-server >/dev/null 2>&1
    if "$app" -v devices > devices2.txt 2>&1; then
        # As new as the bundle's (same protocol): used as it is, not replaced.
        pass "devices used the $("$other_adb" version | sed -n 2p) server already on the port ($(server_exe)): $(tail -1 devices2.txt)"
    else
        fail "devices with another adb's server running"; cat devices2.txt >&2
    fi
    "$other_adb" -P "$adb_port" kill-server >/dev/null 2>&1 || true
else
    echo "note: no other adb on this machine: the already-running case was not tried" >&2
fi

# An older adb server (protocol 39, as Android Studio's of some years ago) already on the port:
# the bundle replaces it with its own and says so. The old server is a stand-in that answers
# host:version and stops on host:kill, as a real adb server does (system python3, not the bundle).
if command -v python3 >/dev/null 2>&1; then
    python3 - "$adb_port" > old-server.log 2>&1 <<'PY' &
import socket, sys
server = socket.create_server(("127.0.0.1", int(sys.argv[1])))
print("listening", flush=True)
while True:
    conn, _ = server.accept()
    with conn:
        size = int(conn.recv(4), 16)
        request = conn.recv(size).decode()
        if request == "host:version":
            conn.sendall(b"OKAY0004" + b"%04x" % 39)
        elif request == "host:kill":
            conn.sendall(b"OKAY")
            break
        else:
            conn.sendall(b"FAIL0011not the real one")
server.close()
PY
    old_pid=$!
    for _ in $(seq 50); do grep -q listening old-server.log && break; sleep 0.1; done
    if "$app" -v devices > devices3.txt 2>&1 && grep -q "older than ours" devices3.txt \
            && [ "$(server_exe)" = "$(readlink -f "$own_adb")" ]; then
        pass "devices replaced an older adb server on the port with its own: $(grep -m1 'older than ours' devices3.txt | sed 's/.*adb server/adb server/')"
    else
        fail "devices with an older adb server on the port"; cat devices3.txt old-server.log >&2
    fi
    kill "$old_pid" 2>/dev/null || true
    "$own_adb" -P "$adb_port" kill-server >/dev/null 2>&1 || true
fi

# --- A helpdesk team's history on PostgreSQL (issue 18) ------------------------------------
# psycopg and its libpq load only for a team history: never for --help or --version. LD_DEBUG
# makes the system's loader name every library it loads, psycopg's compiled modules included.
for words in --help --version; do
    LD_DEBUG=libs "$app" $words > /dev/null 2> "ld$words.txt" || fail "$words exited $?"
    if grep -q -E "psycopg|libpq" "ld$words.txt"; then
        fail "$words loads psycopg or libpq: $(grep -m1 -E 'psycopg|libpq' "ld$words.txt")"
    else
        pass "$words loads no psycopg and no libpq ($(grep -c 'calling init' "ld$words.txt") libraries)"
    fi
done
[ -n "$(find "$bundle" -path '*psycopg*.dist-info/licenses/*')" ] \
    && pass "psycopg's licence travels with it" || fail "no psycopg licence text in the bundle"

no_server() {  # why no team-history check could run: a failure on CI, a note elsewhere
    if [ "${CI:-}" = true ]; then
        fail "team history: $*"
    else
        echo "note: team history not tried: $*" >&2
    fi
}
pg_bin=${PG_BIN:-}
if [ -z "$pg_bin" ]; then
    if command -v pg_ctl >/dev/null 2>&1; then
        pg_bin=$(dirname "$(readlink -f "$(command -v pg_ctl)")")  # beside createdb
    else
        pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n | tail -1 || true)
    fi
fi
# The first Python that can make the receipts (it needs this checkout's packages).
receipts_python=""
for candidate in ${SMOKE_PYTHON:-} "$here/build/package-venv/bin/python" "$here/.venv/bin/python"; do
    if [ -x "$candidate" ] && "$candidate" "$here/packaging/make_smoke_receipts.py" \
            "$work/receipts" >> receipts.txt 2>&1; then
        receipts_python=$candidate
        break
    fi
done
pg_port=$((20000 + RANDOM % 20000))
[ "$pg_port" != "$adb_port" ] || pg_port=$((pg_port + 1))
random_word() { od -An -tx1 -N12 /dev/urandom | tr -d ' \n'; }
admin_pw=$(random_word) ann_pw=$(random_word) cat_pw=$(random_word)
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/pg_ctl" ]; then
    no_server "no PostgreSQL binaries (apt-get install postgresql, or set PG_BIN)"
elif [ "$(id -u)" = 0 ] && ! command -v setpriv >/dev/null 2>&1; then
    no_server "running as root without setpriv: cannot start PostgreSQL as an unprivileged user"
elif [ -z "$receipts_python" ]; then
    no_server "no Python with this checkout's packages made the smoke receipts (set SMOKE_PYTHON): $(tail -1 receipts.txt 2>/dev/null)"
else
    pg_folder=$(mktemp -d)
    printf '%s\n' "$admin_pw" > "$pg_folder/pw"
    # TLS, as a team server across a network should have: a certificate made for this run.
    tls=""
    if command -v openssl >/dev/null 2>&1 && openssl req -x509 -newkey rsa:2048 -nodes -days 1 \
            -subj /CN=127.0.0.1 -keyout "$pg_folder/server.key" -out "$pg_folder/server.crt" \
            > /dev/null 2>&1; then
        chmod 600 "$pg_folder/server.key"
        tls="-c ssl=on -c ssl_cert_file=$pg_folder/server.crt -c ssl_key_file=$pg_folder/server.key"
    fi
    [ "$(id -u)" != 0 ] || chown -R nobody:nogroup "$pg_folder"
    chmod 700 "$pg_folder"
    # In its own folder: the unprivileged user may not enter this script's working folder.
    if ! (cd "$pg_folder" && as_server_user env LC_ALL=C.UTF-8 "$pg_bin/initdb" \
            -D "$pg_folder/data" -U da_admin -A scram-sha-256 --pwfile="$pg_folder/pw" \
            --locale=C.UTF-8 -E UTF8) > initdb.log 2>&1; then
        no_server "initdb failed: $(tail -2 initdb.log)"
    elif ! (cd "$pg_folder" && as_server_user env LC_ALL=C.UTF-8 "$pg_bin/pg_ctl" start -w \
            -D "$pg_folder/data" -l "$pg_folder/server.log" \
            -o "-p $pg_port -k $pg_folder -c listen_addresses=127.0.0.1 -c log_connections=on $tls") \
            > /dev/null 2>&1; then
        no_server "PostgreSQL did not start: $(tail -2 "$pg_folder/server.log" 2>/dev/null)"
    elif ! PGPASSWORD=$admin_pw "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U da_admin audits \
            > createdb.log 2>&1; then
        no_server "createdb failed: $(tail -2 createdb.log)"
        (cd "$pg_folder" && as_server_user "$pg_bin/pg_ctl" stop -D "$pg_folder/data" -m fast) \
            > /dev/null 2>&1 || true
    fi
fi
if [ -n "$pg_folder" ] && [ -f "$pg_folder/data/postmaster.pid" ]; then
    server="127.0.0.1:$pg_port"
    pass "a private PostgreSQL ($("$pg_bin/postgres" --version)) on $server"
    team() {  # the bundle with the password in $1, from PGPASSWORD as on a scripted bench
        local pw=$1
        shift
        PGPASSWORD=$pw "$app" "$@"
    }
    # The administrator sets up the roles; the bundle's own libpq does the talking.
    if LD_DEBUG=libs team "$admin_pw" team roles "postgresql://da_admin@$server/audits" \
            > roles.txt 2> ld-roles.txt && grep -q "has its roles" roles.txt; then
        pass "team roles: $(sed -n 2p roles.txt | sed 's/  */ /g')"
    else
        fail "team roles"; cat roles.txt >&2; grep -v "^ *[0-9]*:" ld-roles.txt >&2
    fi
    # Only the bundle's libpq: never one the computer happens to have (pq_ctypes is left out).
    grep -o "calling init: [^ ]*libpq[^ ]*" ld-roles.txt | sed 's/calling init: //' | sort -u \
        > libpq.txt || true
    if [ -s libpq.txt ] && ! grep -q -v "^$bundle/_internal/" libpq.txt; then
        pass "psycopg loaded the bundle's own libpq ($(xargs -n1 basename < libpq.txt))"
    else
        fail "psycopg did not load the bundle's libpq alone: '$(cat libpq.txt)'"
    fi
    while read -r login role pw; do
        if printf '%s\n' "$pw" | team "$admin_pw" team add-person \
                "postgresql://da_admin@$server/audits" "$login" --role "$role" --password-stdin \
                > "person-$login.txt" 2>&1 \
                && grep -q "may now use the team history as $role" "person-$login.txt"; then
            pass "team add-person $login --role $role"
        else
            fail "team add-person $login"; cat "person-$login.txt" >&2
        fi
    done <<< "ann technician $ann_pw
cat office $cat_pw"
    ann="postgresql://ann@$server/audits" office="postgresql://cat@$server/audits"
    # The compliance office reads and never writes: its import is refused, in plain words.
    set +e
    team "$cat_pw" import --db "$office" "$work/receipts" > office-import.txt 2>&1
    status=$?
    set -e
    if [ "$status" -eq 2 ] && grep -q "may not do this" office-import.txt \
            && ! grep -q Traceback office-import.txt; then
        pass "an office login may not import: $(grep -m1 -o 'recording audits[^(]*' office-import.txt)"
    else
        fail "the office login's import exited $status"; cat office-import.txt >&2
    fi
    # A technician imports two receipts; again, and nothing is stored twice.
    if team "$ann_pw" import --db "$ann" "$work/receipts" > import.txt 2>&1 \
            && grep -q "2 files: 2 imported" import.txt \
            && team "$ann_pw" import --db "$ann" "$work/receipts" > import2.txt 2>&1 \
            && grep -q "2 files: 0 imported, 2 already in the history" import2.txt; then
        pass "a technician imported 2 receipts into the team history; again: $(tail -1 import2.txt)"
    else
        fail "import into the team history"; cat import.txt import2.txt >&2 || true
    fi
    # The office reads them back, chosen by DEVICE_AUDIT_DB as on a scripted bench.
    if DEVICE_AUDIT_DB=$office team "$cat_pw" history --json > history.json 2> history.err \
            && [ "$(grep -c '"staff_id": "SMOKE-000[12]"' history.json)" -eq 2 ] \
            && team "$cat_pw" history --db "$office" > history.txt 2>&1 \
            && [ "$(grep -c 'SMOKE TEST' history.txt)" -eq 2 ]; then
        pass "the office sees both audits: $(head -1 history.txt | sed 's/  */ /g')"
    else
        fail "history of the team history"; cat history.json history.err history.txt >&2 || true
    fi
    # Over TLS (sslmode=require: no TLS, no connection), with the bundle's own OpenSSL.
    if [ -z "$tls" ]; then
        echo "note: no openssl program to make a certificate: TLS to the server was not tried" >&2
    elif team "$cat_pw" history --db "$office?sslmode=require" > tls.txt 2>&1 \
            && [ "$(grep -c 'SMOKE TEST' tls.txt)" -eq 2 ] \
            && grep -q "connection authorized: user=cat .*SSL enabled" "$pg_folder/server.log"; then
        pass "over TLS (sslmode=require): $(grep -m1 -o 'SSL enabled ([^,]*' "$pg_folder/server.log"))"
    else
        fail "history over TLS"; cat tls.txt >&2
    fi
    # The app's window on the team history, chosen by DEVICE_AUDIT_DB as on a scripted bench:
    # it connects (the server logs a login of ann's) and says nothing on stderr.
    logins() { grep -c "connection authorized: user=ann " "$pg_folder/server.log" || true; }
    before=$(logins)
    set +e
    DEVICE_AUDIT_DB=$ann PGPASSWORD=$ann_pw QT_QPA_PLATFORM=offscreen timeout 8 "$app" --demo \
        > gui-team.out 2> gui-team.err
    status=$?
    set -e
    if [ "$status" -eq 124 ] && [ "$(logins)" -gt "$before" ] \
            && ! grep -q -i -E "traceback|warning|error|qt\." gui-team.err; then
        pass "GUI ran 8 s on the team history ($(( $(logins) - before )) connection(s) as ann), nothing on stderr"
    else
        fail "GUI on the team history: exit $status, $(( $(logins) - before )) connection(s) as ann"
        cat gui-team.err >&2
    fi
    # A wrong password: refused in plain words, and no password is shown.
    set +e
    team "not-$cat_pw" history --db "postgresql://cat:typed-$cat_pw@$server/audits" \
        > wrong.txt 2>&1
    status=$?
    set -e
    if [ "$status" -eq 2 ] && grep -q "password authentication failed" wrong.txt \
            && ! grep -q -e "$cat_pw" -e Traceback wrong.txt; then
        pass "a wrong password: exit 2, no password shown: $(head -1 wrong.txt | cut -c1-100)..."
    else
        fail "a wrong password exited $status"; cat wrong.txt >&2
    fi
    # The server goes away: a clear message, exit 2, no traceback.
    (cd "$pg_folder" && as_server_user "$pg_bin/pg_ctl" stop -D "$pg_folder/data" -m fast) \
        > /dev/null
    set +e
    team "$cat_pw" history --db "$office" > away.txt 2>&1
    status=$?
    set -e
    if [ "$status" -eq 2 ] && grep -q "cannot be reached" away.txt && grep -q "next step" away.txt \
            && ! grep -q Traceback away.txt; then
        pass "no server answering: exit 2: $(head -1 away.txt | cut -c1-110)..."
    else
        fail "with the server stopped, history exited $status"; cat away.txt >&2
    fi
fi

# The GUI, offscreen, with the demo phone, for a few seconds: it must still be running then,
# and say nothing on stderr (a traceback or a Qt warning).
set +e
QT_QPA_PLATFORM=offscreen timeout 8 "$app" --demo > gui.out 2> gui.err
status=$?
set -e
if [ "$status" -eq 124 ] && ! grep -q -i -E "traceback|warning|error|qt\." gui.err; then
    pass "GUI ran 8 s offscreen with the demo phone, nothing on stderr"
else
    fail "GUI exited $status"; cat gui.err >&2
fi

if [ "$failures" -ne 0 ]; then
    echo "smoke test: $failures failed" >&2
    exit 1
fi
echo "smoke test: all passed"
