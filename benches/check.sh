#!/usr/bin/env bash
# Whole-run timing of `qpv check` on the national grid with the national candidates as
# the perimeter file (1 356 perimeters), with /usr/bin/time -v: median wall time and peak
# resident memory over N runs, from the plain CSV and from a `qpv import` cache.
#
#   benches/check.sh [RUNS]
#
# Skips with a message when ../shared is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/common.sh
runs="${1:-5}"
national_grid " (benches/check.sh needs the national grid)"
cargo build --release --quiet
bin=target/release/qpv
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$bin" -q run --grid "$grid" --out "$out/fr"
"$bin" -q import --grid "$grid" -o "$out/met.qpvgrid"
for input in "$grid" "$out/met.qpvgrid"; do
  cmd=("$bin" -q check --grid "$input" --perimeters "$out/fr/candidates.geojson" --out "$out/check")
  "${cmd[@]}"
  measure "$out/time.txt" "$runs" "${cmd[@]}"
  echo "check, grid $(basename "$input"): median ${median_wall} s wall (runs: ${walls[*]}), ${median_mb} MB peak resident"
done
"$bin" check --grid "$out/met.qpvgrid" --perimeters "$out/fr/candidates.geojson" --out "$out/check" 2>&1 | grep -E "checked|meet the rule"
echo "$(nproc) cores, $(date -u +%F)"
