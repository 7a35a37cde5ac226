#!/usr/bin/env bash
# Whole-run timing of `qpv atlas` on the Nord grid (the run's 78 candidates: 79 A4 pages,
# with the REP/REP+ collèges of Nord and Pas-de-Calais), with /usr/bin/time -v: median
# wall time and peak resident memory over N runs, the PDF's and HTML's sizes, and the
# split between the run, the page layout and the PDF that qpv itself reports.
#
#   benches/atlas.sh [RUNS]
#
# Skips with a message when ../shared is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/common.sh
runs="${1:-5}"
grid="../shared/data/filosofi2019/carreaux_200m_dep59.csv"
rep="../shared/data/rep/colleges_rep_repplus_nord_pdc_2021.geojson"
for f in "$grid" "$rep"; do
  [ -f "$f" ] || { echo "skipped: $f is absent (benches/atlas.sh needs the Nord grid and REP collèges)"; exit 0; }
done
cargo build --release --quiet
bin=target/release/qpv
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
cmd=("$bin" -q atlas --grid "$grid" --schools "$rep" --out "$out/atlas")
"${cmd[@]}"
measure "$out/time.txt" "$runs" "${cmd[@]}"
echo "atlas, Nord: median ${median_wall} s wall (runs: ${walls[*]}), ${median_mb} MB peak resident"
if command -v pdfinfo >/dev/null 2>&1; then
  pdfinfo "$out/atlas/atlas.pdf" | grep -E "^(Pages|File size|Page size):"
fi
echo "atlas.pdf $(stat -c %s "$out/atlas/atlas.pdf") bytes, atlas.html $(stat -c %s "$out/atlas/atlas.html") bytes"
"$bin" atlas --grid "$grid" --schools "$rep" --out "$out/atlas" 2>&1 | grep -E "^read|laid out"
echo "$(nproc) cores, $(date -u +%F)"
