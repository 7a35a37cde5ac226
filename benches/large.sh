#!/usr/bin/env bash
# Large-input check: a synthetic grid of N squares (default 10 000 000, 1.75 GB of CSV)
# through `qpv run`, with peak memory from /usr/bin/time -v, against the size of the
# columns the method keeps (about 66 bytes a square).
#
#   benches/large.sh [SQUARES]
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/common.sh
n="${1:-10000000}"
grid="${TMPDIR:-/tmp}/qpv-large-$n.csv"
cargo build --release --quiet -p qpv-cli -p qpv-benches
[ -f "$grid" ] || target/release/gen-grid "$n" 1 "$grid"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
timed "$out/time.txt" target/release/qpv -q run --grid "$grid" --out "$out/run"
echo "grid: $grid ($(du -h "$grid" | cut -f1)), $n squares"
echo "wall $wall s, peak RSS $((rss / 1024)) MB = $((rss * 1024 / n)) bytes a square (columns kept: ~66 bytes a square)"
