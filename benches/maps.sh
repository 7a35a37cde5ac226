#!/usr/bin/env bash
# `qpv map` at the three scales: the national grid, Nord and the CAPH sample (default
# map: candidates over the density background, names by importance); median wall time
# and peak memory over N runs, the sizes of the three files, and the drawing's own time
# (`drew the map` on stderr: SVG, then PNG rasterising and encoding).
#
#   benches/maps.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/common.sh
runs="${1:-3}"
national_grid " (benches/maps.sh needs the national grid)"
nord="../shared/data/filosofi2019/carreaux_200m_dep59.csv"
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/qpv"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
bench() {
  local name="$1" grid="$2"
  "$bin" map --grid "$grid" --out "$out/$name" 2>&1 | grep "drew the map" | sed "s/^/$name: /"
  measure "$out/time.txt" "$runs" "$bin" -q map --grid "$grid" --out "$out/$name"
  echo "$name: median ${median_wall} s wall (runs: ${walls[*]}), ${median_mb} MB peak"
  ls -l "$out/$name" | awk -v n="$name" 'NR>1 {printf "%s: %s %d KB\n", n, $9, $5 / 1000}'
}
bench france "$grid"
bench nord "$nord"
bench caph sample
echo "$(nproc) cores, $(date -u +%F)"
