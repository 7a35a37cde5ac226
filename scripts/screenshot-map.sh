#!/usr/bin/env bash
# Screenshots of `qpv map`'s HTML page in headless Chromium, to look at the page as a
# user sees it (the page must draw with no network: Chromium runs with networking off).
#
#   scripts/screenshot-map.sh [OUT_DIR]
#
# Makes the map of the embedded CAPH sample (squares by estimated median, REP schools),
# then two screenshots: the page as opened, and map.html#59701-01 (the Denain candidate
# selected, its figures in the side panel: this runs the page's click handler).
# Installs Debian's chromium when it is missing (root or sudo needed).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/screenshots}"
mkdir -p "$out"
if ! command -v chromium >/dev/null 2>&1; then
  sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_="sudo"
  $sudo_ apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq chromium >/dev/null
fi
cargo build --release --quiet
target/release/qpv -q map --squares --schools data-samples/rep_colleges_caph_2021.geojson \
  --title "CAPH: statistical candidates (Filosofi 2019)" --out "$out/map"
page="file://$(realpath "$out/map/map.html")"
shot() {
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$(mktemp -d)" --window-size=1500,1100 --virtual-time-budget=2000 \
    --screenshot="$1" "$2" 2>/dev/null
  echo "wrote $1"
}
shot "$out/map-page.png" "$page"
shot "$out/map-page-selected.png" "$page#59701-01"
