#!/usr/bin/env bash
# Build a directory of wheels — camfleet and every dependency — to install on a server without network:
#   deploy/offline/wheelhouse.sh OUT_DIR [EXTRAS]        (EXTRAS default: postgres)
# then, on the server (same CPU architecture, Python 3.11):
#   python3.11 -m venv /opt/camfleet && /opt/camfleet/bin/pip install --no-index --find-links OUT_DIR 'camfleet[postgres]'
set -euo pipefail
out=${1:?usage: wheelhouse.sh OUT_DIR [EXTRAS]}
extras=${2:-postgres}
root=$(cd "$(dirname "$0")/../.." && pwd)
python=${PYTHON:-python3.11}
"$python" -m pip wheel --quiet --wheel-dir "$out" "$root[$extras]"
echo "wheelhouse: $(ls "$out" | wc -l) wheels in $out"
