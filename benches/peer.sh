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
source benches/common.sh
runs="${1:-5}"
grid="${2:-}"
[ -n "$grid" ] || national_grid ""
venv=target/peer-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "polars==2.1.*" "numpy==2.4.*" "scipy" "shapely==2.2.*" "geopandas==1.2.*" "pyogrio==0.13.*"
fi
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
walls=(); rsss=()
for i in $(seq "$runs"); do
  timed "$out/time.txt" "$venv/bin/python" benches/peer/qpv_peer.py "$grid" crates/grid/data/communes_2021_uu2020.csv.gz \
    crates/grid/data/medians_filosofi2019.json "$out/peer.geojson"
  rm -f "$out/peer.geojson"
  walls+=("$wall"); rsss+=("$rss")
  echo "run $i: ${wall} s wall, $((rss / 1024)) MB peak ($(grep candidates "$out/time.txt"))"
done
echo "median: $(median "${walls[@]}") s wall, $(( $(median "${rsss[@]}" | cut -d. -f1) / 1024 )) MB peak resident"
