#!/usr/bin/env bash
# Whole-run timing of `qpv atlas` on the Nord grid (the run's 78 candidates: 79 A4 pages,
# with the REP/REP+ collèges of Nord and Pas-de-Calais), with /usr/bin/time -v: median
# wall time and peak resident memory over N runs, the PDF's and HTML's sizes, and the
# split between the run, the page layout and the PDF that qpv itself reports, and the
# height of the maps' labels on paper (pdftotext -bbox) beside the body text.
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
# Map labels on paper: the height (points, pdftotext -bbox) of every word of each perimeter
# page's map, from its title line ("... and its surroundings") to the caption under it,
# left of the figures when they stand beside it; beside the body text (a figure's label).
if command -v pdftotext >/dev/null 2>&1 && command -v python3 >/dev/null 2>&1; then
  pdftotext -bbox "$out/atlas/atlas.pdf" "$out/bbox.html"
  python3 - "$out/bbox.html" <<'PY'
import re, statistics, sys
pages = open(sys.argv[1], encoding="utf-8").read().split("<page ")[2:]
heights, body = [], set()
for p in pages:
    w = [(float(a), float(b), float(c), float(d), t) for a, b, c, d, t in
         re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<', p)]
    t = [x[4] for x in w]
    top = next(x for x in w if x[4] == "surroundings")
    cap = next(w[i] for i in range(len(w) - 3) if t[i:i + 4] == ["of", "the", "atlas", "in"])
    fig = next((x for x in w if x[4] == "Figures" and top[1] - 5 < x[1] < cap[1]), None)
    right = fig[0] if fig else float("inf")
    heights += [x[3] - x[1] for x in w if x[1] >= top[1] - 0.5 and x[3] <= cap[1] and x[2] < right]
    body |= {round(x[3] - x[1], 2) for x in w if x[4] == "Households"}
print(f"map labels of {len(pages)} pages: {len(heights)} words, smallest {min(heights):.2f} pt, "
      f"median {statistics.median(heights):.2f} pt; body text {sorted(body)} pt")
PY
fi
echo "$(nproc) cores, $(date -u +%F)"
