#!/usr/bin/env bash
# qpv serve's speed, as a person meets it (issue 14):
#   1. page ready: from starting `qpv serve` on a grid to its address printed (the grid
#      read and run, the session replayed), then in a real headless Chromium from
#      navigation to the page drawn (`data-ready`: state, perimeters and the first view's
#      squares or blocks), median of 3 fresh pages (benches/serve_page.mjs);
#   2. an edit's re-check: POST /api/edit removing two squares of the largest perimeter,
#      then /api/undo, N times; the median answer time of each (curl's time_total);
#   3. the national grid served: the same on France, with squares asked by view.
# Usage: benches/serve.sh [N=20] [nord|france|sample|all=all]. Needs ../shared for Nord
# and France (skipped with a message without it), curl, python3, node and chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/common.sh
n="${1:-20}"
which="${2:-all}"
cargo build --release -q -p qpv-cli
qpv="$PWD/target/release/qpv"
tmp="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

now() { date +%s.%N; }

# bench NAME GRID-ARGS...: starts the server, measures, stops it.
bench() {
  local name="$1"
  shift
  local out="$tmp/$name" log="$tmp/$name.log"
  local t0
  t0=$(now)
  "$qpv" serve --port 0 --out "$out" "$@" 2> "$log" &
  local pid=$!
  local url=""
  for _ in $(seq 600); do
    # The first address printed is the edit one (the read-only link follows).
    url=$(grep -o 'http://[^ ]*' "$log" | head -n 1 || true)
    [ -n "$url" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.05
  done
  local started
  started=$(echo "$(now) - $t0" | bc)
  local base="${url%%/#token=*}" token="${url##*token=}"
  local auth="Authorization: Bearer $token"
  local browser squares_drawn
  read -r browser squares_drawn < <(node --experimental-websocket benches/serve_page.mjs "$url" 3 \
    "$tmp/$name.png" 2> /dev/null)
  curl -sf -H "$auth" "$base/api/state" > "$tmp/state.json"
  # The first view: the grid's extent (a département's 46 000 squares are over the
  # 40 000 limit: they come as blocks).
  local bbox
  bbox=$(python3 -c "import json; print(','.join(map(str, json.load(open('$tmp/state.json'))['bbox'])))")
  curl -sf -H "$auth" "$base/api/squares?bbox=$bbox" > "$tmp/squares.json"
  # The largest perimeter and two of its squares, from a 0.02° box around its centre.
  read -r id box < <(python3 - "$tmp/state.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
p = max(s["perimeters"]["features"], key=lambda f: f["properties"]["inhabitants"])["properties"]
print(p["id"], f'{p["lon"]-0.01},{p["lat"]-0.01},{p["lon"]+0.01},{p["lat"]+0.01}')
EOF
  )
  curl -sf -H "$auth" "$base/api/squares?bbox=$box" > "$tmp/near.json"
  local squares
  squares=$(python3 -c "
import json; q=[s['id'] for s in json.load(open('$tmp/near.json'))['squares'] if s['perimeter']=='$id']
print(json.dumps(q[:2]))")
  local edits=() undos=() version
  version=$(python3 -c "import json; print(json.load(open('$tmp/state.json'))['version'])")
  for _ in $(seq "$n"); do
    edits+=("$(curl -sf -o /dev/null -w '%{time_total}' -H "$auth" -X POST "$base/api/edit" \
      -d "{\"version\":$version,\"step\":{\"op\":\"remove\",\"candidate\":\"$id\",\"squares\":$squares}}")")
    undos+=("$(curl -sf -o /dev/null -w '%{time_total}' -H "$auth" -X POST "$base/api/undo" \
      -d "{\"version\":$((version + 1))}")")
    version=$((version + 2))
  done
  local rss
  rss=$(awk '/VmHWM/ {print int($2/1024)}' "/proc/$pid/status")
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  local n_per view
  n_per=$(python3 -c "import json; print(len(json.load(open('$tmp/state.json'))['perimeters']['features']))")
  view=$(python3 -c "
import json; s=json.load(open('$tmp/squares.json'))
print(f\"{s['count']} squares\" + (f\" as {len(s['blocks'])} blocks of {s['block_m']} m\" if s.get('blocks') else ''))")
  printf '%-7s started %5.2f s + page drawn %5.2f s | edit (remove 2 squares of %s) median %5.1f ms, undo %5.1f ms | %s perimeters; first view %s | peak %s MB\n' \
    "$name" "$started" "$browser" "$id" "$(echo "$(median "${edits[@]}") * 1000" | bc)" \
    "$(echo "$(median "${undos[@]}") * 1000" | bc)" "$n_per" "$view" "$rss"
}

case "$which" in sample | all) bench sample ;; esac
nord="../shared/data/filosofi2019/carreaux_200m_dep59.csv"
if [ -f "$nord" ]; then
  case "$which" in nord | all) bench nord --grid "$nord" ;; esac
else
  echo "skipped nord: $nord is absent"
fi
case "$which" in
  france | all)
    national_grid " (France)"
    bench france --grid "$grid"
    ;;
esac
