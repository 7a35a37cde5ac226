#!/usr/bin/env bash
# `qpv compare --within` on real data: the national candidates (1 356) against the
# Nord candidates (78), without --within, --within other (on the national grid and on
# the Nord extract) and --within FILE (the 648 IGN commune boundaries of Nord), with
# /usr/bin/time -v: median wall time and peak resident memory over N runs, then what
# each left out (comparison.md's --within section).
#
#   benches/within.sh [RUNS]
#
# Skips with a message when ../shared is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/common.sh
runs="${1:-5}"
national_grid " (benches/within.sh needs the national grid)"
nord_grid=../shared/data/filosofi2019/carreaux_200m_dep59.csv
bounds=../shared/data/boundaries/communes-59-nord.geojson
cargo build --release --quiet
bin=target/release/qpv
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$bin" -q run --grid "$grid" --out "$out/fr"
"$bin" -q run --grid "$nord_grid" --out "$out/nord"
pair=(--reference "$out/fr/candidates.geojson" --other "$out/nord/candidates.geojson")
for job in plain other other-extract file; do
  case "$job" in
    plain) cmd=("$bin" -q compare "${pair[@]}" --grid "$grid" --out "$out/$job") ;;
    other) cmd=("$bin" -q compare "${pair[@]}" --grid "$grid" --within other --out "$out/$job") ;;
    other-extract) cmd=("$bin" -q compare "${pair[@]}" --grid "$nord_grid" --within other --out "$out/$job") ;;
    file) cmd=("$bin" -q compare "${pair[@]}" --grid "$grid" --within "$bounds" --out "$out/$job") ;;
  esac
  "${cmd[@]}"
  measure "$out/time.txt" "$runs" "${cmd[@]}"
  echo "== $job: median ${median_wall} s wall (${walls[*]}), ${median_mb} MB peak resident"
  sed -n '/^| | A (reference) | B (other) |/,/^$/p' "$out/$job/comparison.md"
  sed -n '/^| area |/,/^| inhabitants |/p' "$out/$job/comparison.md"
  grep -c ',yes$' "$out/$job/within.csv" 2>/dev/null | sed 's/^/perimeters compared (both sets): /' || true
done
echo "$(nproc) cores, $(date -u +%F)"
