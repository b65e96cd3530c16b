#!/usr/bin/env bash
# Smoke-test a built Device Audit bundle (the artefact, not the source tree):
#   packaging/smoke.sh dist/device-audit-VERSION-linux-x86_64.tar.gz   (or the unpacked folder)
# Runs: --version, policies, scan --local --json, check of that inventory, verify of the sample
# receipt the bundle ships (its signature checks out, and it is refused as a SAMPLE: exit 1),
# `devices` with a distribution's adb first on PATH and then with that adb's server already
# running on the port, and the GUI offscreen with the demo phone for a few seconds: no
# traceback, no Qt warning. Everything runs in a temporary HOME, with no network.
set -euo pipefail
if [ $# -ne 1 ]; then echo "usage: $0 BUNDLE.tar.gz|BUNDLE_FOLDER" >&2; exit 2; fi
work=$(mktemp -d)
adb_port=$((20000 + RANDOM % 20000))
cleanup() {
    if [ -n "${bundle:-}" ] && [ -x "$bundle/_internal/adbutils/binaries/adb" ]; then
        "$bundle/_internal/adbutils/binaries/adb" -P "$adb_port" kill-server >/dev/null 2>&1 || true
    fi
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
