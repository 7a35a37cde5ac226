#!/usr/bin/env bash
# Whole-run timing of `qpv compare` and `qpv indicators` on the national grid, with
# /usr/bin/time -v: median wall time and peak resident memory over N runs.
#
#   benches/compare.sh [RUNS]
#
# The two perimeter sets are the national candidates at the default calibration factor
# (1.32, 1 356 perimeters) and at 1.25 (1 095): the second nests in the first, so
# perimeters are shrunk or dropped, none grown (no official national QPV file is in
# ../shared to compare with). Skips with a message when ../shared is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/common.sh
runs="${1:-5}"
national_grid " (benches/compare.sh needs the national grid)"
cargo build --release --quiet
bin=target/release/qpv
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$bin" -q run --grid "$grid" --out "$out/a"
"$bin" -q run --grid "$grid" --calibration-factor 1.25 --out "$out/b"
echo "perimeters: $(grep -o '"type":"Feature"' "$out/a/candidates.geojson" | wc -l) (1.32) and $(grep -o '"type":"Feature"' "$out/b/candidates.geojson" | wc -l) (1.25)"
for job in compare indicators; do
  if [ "$job" = compare ]; then
    cmd=("$bin" -q compare --reference "$out/a/candidates.geojson" --other "$out/b/candidates.geojson" --grid "$grid" --out "$out/cmp")
  else
    cmd=("$bin" -q indicators --grid "$grid" --perimeters "$out/a/candidates.geojson" --by commune,epci --out "$out/ind.csv")
  fi
  "${cmd[@]}"
  walls=(); rsss=()
  for i in $(seq "$runs"); do
    timed "$out/time.txt" "${cmd[@]}"
    walls+=("$wall"); rsss+=("$rss")
    echo "$job run $i: ${wall} s wall, $((rss / 1024)) MB peak"
  done
  echo "$job median: $(median "${walls[@]}") s wall, $(( $(median "${rsss[@]}" | cut -d. -f1) / 1024 )) MB peak resident"
done
sed -n '/^| area/,/^| median/p' "$out/cmp/comparison.md"
echo "$(nproc) cores, $(date -u +%F)"
