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
runs="${1:-5}"
grid="${2:-}"
if [ -z "$grid" ]; then
  gz="../shared/data/filosofi2019/carreaux_200m_met.csv.gz"
  if [ ! -f "$gz" ]; then
    echo "skipped: $gz is absent (give a grid: benches/national.sh RUNS GRID)"
    exit 0
  fi
  grid="${TMPDIR:-/tmp}/qpv-bench-met.csv"
  [ -f "$grid" ] || { echo "decompressing $gz -> $grid"; gzip -dc "$gz" > "$grid"; }
fi
[ -x /usr/bin/time ] || { echo "error: /usr/bin/time is needed (apt-get install time)" >&2; exit 1; }
cargo build --release --quiet
bin=target/release/qpv
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$bin" -q run --grid "$grid" --out "$out/warm" >/dev/null 2>&1
walls=(); rss=()
for i in $(seq "$runs"); do
  /usr/bin/time -v "$bin" -q run --grid "$grid" --out "$out/run" 2> "$out/time.txt" >/dev/null || { cat "$out/time.txt"; exit 1; }
  w=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(k=1;k<=n;k++) s=s*60+a[k]; print s}' "$out/time.txt")
  m=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out/time.txt")
  walls+=("$w"); rss+=("$m")
  echo "run $i: ${w} s wall, $((m / 1024)) MB peak"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "grid: $grid ($(du -h "$grid" | cut -f1)), $(nproc) cores, $(date -u +%F)"
echo "median: $(median "${walls[@]}") s wall, $(( $(median "${rss[@]}" | cut -d. -f1) / 1024 )) MB peak resident"
