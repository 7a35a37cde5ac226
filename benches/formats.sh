#!/usr/bin/env bash
# Cost of the output formats: `qpv run` on the national grid with the default output
# (GeoJSON) against `--format geojson,shapefile,gpkg`, and `qpv map` of the Nord
# candidates with every square; median wall time and peak memory over N runs.
#
#   benches/formats.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/common.sh
runs="${1:-3}"
national_grid " (benches/formats.sh needs the national grid)"
nord="../shared/data/filosofi2019/carreaux_200m_dep59.csv"
cargo build --release --quiet
bin=target/release/qpv
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
bench() {
  local name="$1"; shift
  "$@" >/dev/null 2>&1
  walls=(); rsss=()
  for i in $(seq "$runs"); do
    timed "$out/time.txt" "$@"
    walls+=("$wall"); rsss+=("$rss")
  done
  echo "$name: median $(median "${walls[@]}") s wall (runs: ${walls[*]}), $(( $(median "${rsss[@]}" | cut -d. -f1) / 1024 )) MB peak"
}
bench "run, geojson" "$bin" -q run --grid "$grid" --out "$out/a"
bench "run, geojson,shapefile,gpkg" "$bin" -q run --grid "$grid" --format geojson,shapefile,gpkg --out "$out/b"
ls -la "$out/b/qpv.gpkg" "$out/b/candidates.shp" | awk '{print $5, $9}'
bench "map of Nord with squares" "$bin" -q map --grid "$nord" --squares --out "$out/m"
ls -la "$out/m" | awk 'NR>1 {print $5, $9}'
echo "$(nproc) cores, $(date -u +%F)"
