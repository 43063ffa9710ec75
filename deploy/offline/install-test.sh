#!/usr/bin/env bash
# The offline install, tried end to end: a wheelhouse built from this checkout, installed into a fresh venv
# with no package index at all, then the install checklist of docs/operations.md against a small simulated
# fleet on loopback, and the systemd unit verified with its paths pointing at that install.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d -t camfleet-install.XXXXXX)
sim_pid=""
cleanup() {
    if [ -n "$sim_pid" ] && kill -0 "$sim_pid" 2>/dev/null; then
        kill -TERM -- "-$sim_pid" 2>/dev/null || true
        wait "$sim_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
step() { printf '== install test: %s\n' "$*"; }

step "wheelhouse"
"$root/deploy/offline/wheelhouse.sh" "$work/wheels" postgres

step "fresh venv, no index (pip configuration ignored)"
python3.11 -m venv "$work/venv"
PIP_CONFIG_FILE=/dev/null "$work/venv/bin/pip" install --quiet --no-index --find-links "$work/wheels" 'camfleet[postgres]'
cf="$work/venv/bin/camfleet"
"$cf" --version
test -f "$work/venv/share/doc/camfleet/operations.md"

step "config check"
mkdir -p "$work/state"
"$cf" simulate inventory --out "$work/district.csv" --towns 2 --villages 3 --points 6 --cameras 8 --legacy 12 --seed 5 >/dev/null
cat > "$work/camfleet.toml" <<TOML
[database]
url = "sqlite:///$work/state/camfleet.db"
[credentials]
file = "$work/district.credentials.toml"
TOML
env -u CAMFLEET_DATABASE_URL -u CAMFLEET_CREDENTIALS_FILE "$cf" --config "$work/camfleet.toml" config check

step "db upgrade, inventory import"
export CAMFLEET_CONFIG="$work/camfleet.toml"
unset CAMFLEET_DATABASE_URL CAMFLEET_CREDENTIALS_FILE
"$cf" db upgrade
"$cf" inventory import "$work/district.csv" >/dev/null

step "sweep --once against the simulated fleet"
setsid "$cf" simulate fleet --inventory "$work/district.csv" --control 127.0.0.1:0 >"$work/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 1 120); do grep -q '^serving' "$work/sim.log" && break; sleep 0.5; done
grep -q '^serving' "$work/sim.log" || { cat "$work/sim.log"; exit 1; }
"$cf" sweep --once --json >"$work/sweep.json"
"$work/venv/bin/python" - "$work/sweep.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
counts, cameras = doc["counts"], doc["cameras"]
assert doc["checks"] == "identity", doc["checks"]
assert len(cameras) == 20 and counts == {"ok": 20}, counts
print(f"sweep: {counts}")
PY
kill -TERM -- "-$sim_pid"; wait "$sim_pid" 2>/dev/null || true; sim_pid=""

step "systemd unit as installed"
if command -v systemd-analyze >/dev/null 2>&1; then
    sed -e "s|/usr/local/bin/camfleet|$cf|g" -e "s|file:///opt/camfleet/|file://$work/venv/|" \
        "$root/deploy/systemd/camfleet.service" >"$work/camfleet.service"
    doc=$(sed -n 's|^Documentation=file://||p' "$work/camfleet.service")
    test -f "$doc" || { echo "Documentation= names $doc, which the install did not create"; exit 1; }
    out=$(systemd-analyze verify "$work/camfleet.service" 2>&1) || { echo "$out"; exit 1; }
    if grep -q camfleet.service <<<"$out"; then echo "$out"; exit 1; fi
else
    echo "systemd-analyze not installed: unit not verified"; exit 1
fi
step "passed"
