#!/usr/bin/env bash
# Rebuilds crates/llm-train/assets/DejaVuSans-ascii.ttf, the plot's font: DejaVu Sans cut down
# to printable ASCII with fontTools (needs the fonts-dejavu-core package).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
src=${1:-/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf}
venv="${TMPDIR:-/tmp}/llm-rs-fonttools"
[ -x "$venv/bin/pyftsubset" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q fonttools; }
"$venv/bin/pyftsubset" "$src" --unicodes="U+0020-007E,U+00B7,U+2013,U+2014" \
  --output-file="$here/crates/llm-train/assets/DejaVuSans-ascii.ttf" --no-hinting --layout-features=''
