#!/usr/bin/env bash
# Candidates at the scale of real quartiers (issue 20): scores `qpv run` on the Nord grid
# against the 94 official 2024 perimeters of Nord, each perimeter taken on the lattice
# (the squares whose centre it contains), with `score-quartiers`: population-weighted
# square precision / recall / F1, official quartiers found (more than half their residents
# in one candidate), candidates true (more than half their residents in one official
# quartier; in brackets, in the official perimeters together), the largest candidate, the
# most official quartiers one candidate holds, candidates over 20 000, and the count error
# |official − candidates| / official. Then the national totals and run time of the same
# variants, and the same measures on Haute-Garonne against the 19 quartiers of the 2015 list
# (out of Nord, an older vintage). Accuracy, not speed: the time is one run each, for orientation.
#
#   benches/quartiers.sh ["LABEL:ARGS" ...]
#
# Without arguments: the default, the previous default (1.32, no closing, no split), each
# step left out, and a few other settings of each. Skips with a message
# when ../shared is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/common.sh
nord_grid=../shared/data/filosofi2019/carreaux_200m_dep59.csv
official=../shared/data/qpv-official/qpv2024_nord.geojson
hg=../shared/data/qpv-official/qp2015_haute_garonne.geojson
[ -f "$official" ] || { echo "skipped: $official is absent (benches/quartiers.sh needs ../shared)"; exit 0; }
national_grid " (benches/quartiers.sh needs the national grid)"
cargo build --release --quiet -p qpv-cli -p qpv-benches
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
if [ $# -eq 0 ]; then
  set -- "default:" "before (1.32, no closing, no split):--calibration-factor 1.32 --close 0 --no-split" \
    "no split:--no-split" "no closing:--close 0" "no closing, factor 1.32:--close 0 --calibration-factor 1.32" \
    "closing at 5, factor 1.30:--close 5 --calibration-factor 1.30" "closing at 6, factor 1.31:--close 6 --calibration-factor 1.31" \
    "max 10 000:--split-max 10000" "max 30 000:--split-max 30000" "depth 0.5:--split-depth 0.5" \
    "depth 1 (size only):--split-depth 1" "at communes:--split-at-communes"
fi
echo "Nord (59), Filosofi 2019 grid, against the 94 official 2024 perimeters:"
echo
echo "| run | candidates | inhabitants | precision | recall | F1 | quartiers found | candidates true [in any] | largest | most official in one | over 20 000 | count error |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for variant in "$@"; do
  label="${variant%%:*}"; args="${variant#*:}"
  # shellcheck disable=SC2086
  target/release/qpv -q run --grid "$nord_grid" --out "$out/nord" $args
  target/release/score-quartiers "$nord_grid" "$official" "$out/nord/candidates.geojson" "$label"
  rm -rf "$out/nord"
done
echo
echo "Metropolitan France, Filosofi 2019 grid (published 2024: 1 362 quartiers, about 5.3 M inhabitants):"
echo
echo "| run | candidates | inhabitants | largest | over 20 000 | wall time (one run) |"
echo "|---|---:|---:|---:|---:|---:|"
for variant in "$@"; do
  label="${variant%%:*}"; args="${variant#*:}"
  # shellcheck disable=SC2086
  timed "$out/time.txt" target/release/qpv -q run --grid "$grid" --out "$out/fr" $args
  python3 - "$out/fr/candidates.csv" "$label" "$wall" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
inh = [float(r["inhabitants"]) for r in rows]
n = lambda x: f"{x:,.0f}".replace(",", " ")
print(f"| {sys.argv[2]} | {len(rows)} | {n(sum(inh))} | {n(max(inh))} | {sum(x > 20000 for x in inh)} | {sys.argv[3]} s |")
PY
  # The 2015 quartiers of Haute-Garonne, out of Nord (an older vintage: 2011 incomes).
  python3 - "$out/fr" <<'PY'
import csv, json, sys
d = sys.argv[1]
ids = {r["id"] for r in csv.DictReader(open(f"{d}/candidates.csv")) if any(c.strip().startswith("31") for c in r["communes"].split(","))}
g = json.load(open(f"{d}/candidates.geojson"))
g["features"] = [f for f in g["features"] if f["properties"]["id"] in ids]
json.dump(g, open(f"{d}/candidates_31.geojson", "w"))
PY
  target/release/score-quartiers "$grid" "$hg" "$out/fr/candidates_31.geojson" "$label" >> "$out/hg.md"
  rm -rf "$out/fr"
done
echo
echo "Haute-Garonne (31), national grid: the candidates touching a commune of 31 against the 19 quartiers"
echo "of the 2015 list (out of Nord; drawn on 2011 incomes, so the map has moved since):"
echo
echo "| run | candidates | inhabitants | precision | recall | F1 | quartiers found | candidates true [in any] | largest | most official in one | over 20 000 | count error |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
cat "$out/hg.md"
echo
echo "$(nproc) cores, $(date -u +%F), $(git rev-parse --short HEAD)"
