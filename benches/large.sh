#!/usr/bin/env bash
# Large-input check: a synthetic grid of N squares (default 10 000 000, 1.75 GB of CSV)
# through `qpv run`, with peak memory from /usr/bin/time -v, against the size of the
# columns the method keeps (about 66 bytes a square).
#
#   benches/large.sh [SQUARES]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-10000000}"
grid="${TMPDIR:-/tmp}/qpv-large-$n.csv"
cargo build --release --quiet -p qpv-cli -p qpv-benches
[ -f "$grid" ] || target/release/gen-grid "$n" 1 "$grid"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
/usr/bin/time -v target/release/qpv -q run --grid "$grid" --out "$out/run" 2> "$out/time.txt" || { cat "$out/time.txt"; exit 1; }
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out/time.txt")
rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out/time.txt")
echo "grid: $grid ($(du -h "$grid" | cut -f1)), $n squares"
echo "wall $wall, peak RSS $((rss / 1024)) MB = $((rss * 1024 / n)) bytes a square (columns kept: ~66 bytes a square)"
