#!/usr/bin/env bash
# The README's maps: `qpv map` (default: candidates over the density background) of the
# CAPH sample, Nord and metropolitan France, their PNGs copied to docs/maps/.
#
#   scripts/docs-maps.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/common.sh
national_grid " (scripts/docs-maps.sh needs ../shared/data)"
nord="../shared/data/filosofi2019/carreaux_200m_dep59.csv"
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/qpv"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
map() {
  "$bin" -q map --grid "$2" --title "$3" --out "$out/$1"
  cp "$out/$1/map.png" "docs/maps/$1.png"
  echo "wrote docs/maps/$1.png ($(( $(stat -c %s "docs/maps/$1.png") / 1000 )) KB)"
}
map caph sample "Statistical candidates: CAPH sample (Filosofi 2019)"
map nord "$nord" "Statistical candidates: Nord (Filosofi 2019)"
map france "$grid" "Statistical candidates: metropolitan France (Filosofi 2019)"
