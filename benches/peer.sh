#!/usr/bin/env bash
# The Python peer (benches/peer/qpv_peer.py) on the same national CSV, timed like
# benches/national.sh: median wall time and peak resident memory over N runs.
#
#   benches/peer.sh [RUNS] [GRID]
#
# Makes a virtualenv in target/peer-venv on first use (PyPI: polars, numpy, scipy,
# shapely, geopandas, pyogrio). Skips with a message when the national file is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
grid="${2:-}"
if [ -z "$grid" ]; then
  gz="../shared/data/filosofi2019/carreaux_200m_met.csv.gz"
  if [ ! -f "$gz" ]; then echo "skipped: $gz is absent"; exit 0; fi
  grid="${TMPDIR:-/tmp}/qpv-bench-met.csv"
  [ -f "$grid" ] || gzip -dc "$gz" > "$grid"
fi
venv=target/peer-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "polars==2.1.*" "numpy==2.4.*" "scipy" "shapely==2.2.*" "geopandas==1.2.*" "pyogrio==0.13.*"
fi
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
walls=(); rss=()
for i in $(seq "$runs"); do
  /usr/bin/time -v "$venv/bin/python" benches/peer/qpv_peer.py "$grid" crates/io/data/communes_2021_uu2020.csv.gz \
    crates/io/data/medians_filosofi2019.json "$out/peer.geojson" 2> "$out/time.txt" >/dev/null || { cat "$out/time.txt"; exit 1; }
  rm -f "$out/peer.geojson"
  w=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(k=1;k<=n;k++) s=s*60+a[k]; print s}' "$out/time.txt")
  m=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out/time.txt")
  walls+=("$w"); rss+=("$m")
  echo "run $i: ${w} s wall, $((m / 1024)) MB peak ($(grep candidates "$out/time.txt"))"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "median: $(median "${walls[@]}") s wall, $(( $(median "${rss[@]}" | cut -d. -f1) / 1024 )) MB peak resident"
