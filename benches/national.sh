#!/usr/bin/env bash
# Whole-run timing of `qpv run` on a grid, with /usr/bin/time -v: median wall time and
# peak resident memory over N runs (warm page cache: one untimed run first).
#
#   benches/national.sh [RUNS] [GRID]
#
# RUNS defaults to 5. GRID defaults to the national Filosofi 2019 CSV, decompressed once
# from ../shared/data/filosofi2019/carreaux_200m_met.csv.gz into $TMPDIR (INSEE
# distributes the CSV, so the reference input is the plain file). Skips with a message
# when neither is available, so CI never depends on it.
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/common.sh
runs="${1:-5}"
grid="${2:-}"
[ -n "$grid" ] || national_grid " (give a grid: benches/national.sh RUNS GRID)"
cargo build --release --quiet
bin=target/release/qpv
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$bin" -q run --grid "$grid" --out "$out/warm" >/dev/null 2>&1
walls=(); rsss=()
for i in $(seq "$runs"); do
  timed "$out/time.txt" "$bin" -q run --grid "$grid" --out "$out/run"
  walls+=("$wall"); rsss+=("$rss")
  echo "run $i: ${wall} s wall, $((rss / 1024)) MB peak"
done
echo "grid: $grid ($(du -h "$grid" | cut -f1)), $(nproc) cores, $(date -u +%F)"
echo "median: $(median "${walls[@]}") s wall, $(( $(median "${rsss[@]}" | cut -d. -f1) / 1024 )) MB peak resident"
