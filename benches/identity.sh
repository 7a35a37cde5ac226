#!/usr/bin/env bash
# Byte-identity check of two qpv binaries (e.g. built before and after a refactor):
# every output file of a fixed list of commands must be byte for byte the same.
#
#   bash benches/identity.sh OLD_QPV NEW_QPV [caph|nord|france|all]     (default: all)
#
# For each scope the commands below run with OLD, then with NEW, each time in the same
# work folder ($TMP/work: same absolute and relative paths, inputs copied or linked under
# the same names), which is then moved aside to $TMP/SCOPE/old or $TMP/SCOPE/new. Then:
#   - every file written (inputs left out) is compared with `cmp`: `same` / `DIFFERENT`,
#     a file written by one binary only is `DIFFERENT`;
#   - manifest.json: `same`, or `manifest differs (expected: settings)` when the bytes
#     differ; then every member other than `settings` and `parameters` must be equal
#     (python3: same members in the same order, same JSON text), and the diff of
#     `settings`/`parameters` is printed for a human to read;
#   - qpv.gpkg / comparison.gpkg: a GeoPackage stamps the time of writing in
#     gpkg_contents.last_change and layer_styles.update_time (SQLite 'now', ms), so two
#     runs of one binary never give the same bytes. A .gpkg whose bytes differ is
#     compared again with those stamps blanked in the raw bytes of both files (whole, or
#     split across pages; same length, so every other byte must still be equal):
#     `same except write timestamps`, else `DIFFERENT`. QPV_IDENTITY_STRICT=1 counts the
#     timestamp-only case as a difference too;
#   - each command's exit status must be the same and 0, stdout the same (qpv writes
#     nothing there); stderr is diffed after blanking durations ("in 0.52 s"), and its
#     differing lines are printed without failing.
# Exit status: 0 when everything is the same, 1 otherwise, 64 on bad usage.
# Scopes (commands in commands_SCOPE below; time for both binaries on 2 cores): caph, the
# embedded sample (18 commands, ~3 s); nord, the Nord grid (4, ~2 s) and france, the
# national .csv.gz (4, 15-55 s by machine load), both from ../shared/data/filosofi2019 beside the
# repository and skipped with a message when it is absent.
# QPV_IDENTITY_KEEP=1 keeps $TMP (kept anyway when a check fails).
set -euo pipefail
export LC_ALL=C

usage() {
  echo "usage: bash benches/identity.sh OLD_QPV NEW_QPV [caph|nord|france|all]" >&2
  exit 64
}
[ $# -ge 2 ] && [ $# -le 3 ] || usage
resolve() {
  local p
  case "$1" in
    */*) p="$1" ;;
    *) p="$(command -v -- "$1" || true)" ;;
  esac
  if [ -z "$p" ] || [ ! -f "$p" ] || [ ! -x "$p" ]; then
    echo "error: $1 is not an executable file" >&2
    exit 64
  fi
  realpath -- "$p"
}
old="$(resolve "$1")"
new="$(resolve "$2")"
scope="${3:-all}"
case "$scope" in caph | nord | france | all) ;; *) usage ;; esac
command -v python3 > /dev/null || { echo "error: python3 is needed (manifest and GeoPackage checks)" >&2; exit 64; }

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="$(realpath -m "$root/../shared/data/filosofi2019")"
strict="${QPV_IDENTITY_STRICT:-0}"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/qpv-identity.XXXXXX")"
failures=0
cleanup() {
  if [ "${QPV_IDENTITY_KEEP:-0}" = 1 ] || [ "$failures" -gt 0 ]; then
    echo "outputs and logs kept in $tmp"
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT

# ---------------------------------------------------------------- helpers (python3)

# manifest_check OLD NEW: members other than settings/parameters equal (same order, same
# JSON text)? Prints the differing members, then the diff of settings and parameters.
cat > "$tmp/manifest_check.py" << 'EOF'
import difflib, json, sys

EXPECTED = ("settings", "parameters")
a_path, b_path = sys.argv[1], sys.argv[2]
try:
    a = json.load(open(a_path, encoding="utf-8"))
    b = json.load(open(b_path, encoding="utf-8"))
except ValueError as e:
    print(f"    members other than settings/parameters: DIFFERENT (not JSON: {e})")
    sys.exit(1)

def text(v):
    return json.dumps(v, indent=2, ensure_ascii=False).splitlines() if v is not ... else ["(absent)"]

def diff(name, x, y, limit=40):
    lines = list(difflib.unified_diff(text(x), text(y), f"OLD {name}", f"NEW {name}", n=1, lineterm=""))
    more = [f"... {len(lines) - limit} more lines"] if len(lines) > limit else []
    return ["      " + line for line in lines[:limit] + more]

report = []
ka = [k for k in a if k not in EXPECTED]
kb = [k for k in b if k not in EXPECTED]
if ka != kb:
    report.append(f"    members differ: OLD {ka}, NEW {kb}")
for k in ka:
    if k in b and json.dumps(a[k]) != json.dumps(b[k]):
        report.append(f"    member '{k}' DIFFERENT:")
        report += diff(k, a[k], b[k])
bad = bool(report)
print("    members other than settings/parameters: " + ("DIFFERENT" if bad else "equal"))
for k in EXPECTED:
    x, y = a.get(k, ...), b.get(k, ...)
    if json.dumps(x) != json.dumps(y):
        report.append(f"    '{k}' differs (expected; for a human to read):")
        report += diff(k, x, y, limit=200)
for line in report:
    print(line)
sys.exit(1 if bad else 0)
EOF

# gpkg_check OLD NEW: the same bytes once the write timestamps are blanked in both? The
# stamps are read with SQLite, then blanked in the raw bytes: whole, and split where a
# long row (the QGIS style) continues on an overflow page (a prefix of the stamp ends its
# part of the row; the rest starts the overflow page, after its 4-byte pointer). Every
# other byte must be equal. Prints how many stamps were blanked.
cat > "$tmp/gpkg_check.py" << 'EOF'
import sqlite3, sys

STAMPS = (("gpkg_contents", "last_change"), ("layer_styles", "update_time"))

def blanked(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    stamps = set()
    for table, column in STAMPS:
        try:
            stamps.update(r[0].encode() for r in db.execute(f"SELECT {column} FROM {table}") if r[0])
        except sqlite3.OperationalError:
            pass  # no such table
    db.close()
    data = bytearray(open(path, "rb").read())
    if data[:16] != b"SQLite format 3\0":
        sys.exit(1)
    page = int.from_bytes(data[16:18], "big")
    page = 65536 if page == 1 else page
    def common(i, s):
        k = 0
        while k < len(s) and i + k < len(data) and data[i + k] == s[k]:
            k += 1
        return k

    whole = split = 0
    for head in {s[:5] for s in stamps}:
        i = data.find(head)
        while i >= 0:
            k = max(common(i, s) for s in stamps)
            data[i : i + k] = b"~" * k  # the stamp, or its part before a page or pointer
            whole += any(k == len(s) for s in stamps)
            split += all(k < len(s) for s in stamps)
            i = data.find(head, i + k)
    for s in stamps:
        for q in range(page, len(data), page):  # continuations on overflow pages
            for p in range(1, len(s)):
                if data[q + 4 : q + 4 + len(s) - p] == s[p:]:
                    data[q + 4 : q + 4 + len(s) - p] = b"~" * (len(s) - p)
                    break
    return f"{whole + split} copies of the write time, {split} split across pages", bytes(data)

na, a = blanked(sys.argv[1])
nb, b = blanked(sys.argv[2])
print(na)
sys.exit(0 if a == b and na == nb else 1)
EOF

# untimed FILE: durations blanked ("in 0.52 s", "   0.123 s").
untimed() { sed -E 's/\b[0-9]+(\.[0-9]+)? s\b/<t> s/g' "$1"; }

# ---------------------------------------------------------------- the commands

# step NAME ARGS...: runs the current binary with ARGS in the work folder; keeps its
# stdout, stderr, exit status and wall time under $logs/$side/NN-NAME.*.
step() {
  local name="$1" id log t0 t1 rc=0
  shift
  nstep=$((nstep + 1))
  id="$(printf '%02d-%s' "$nstep" "$name")"
  log="$logs/$side/$id"
  printf '%q ' "$@" > "$log.cmd"
  t0=$EPOCHREALTIME
  "$bin" "$@" > "$log.stdout" 2> "$log.stderr" || rc=$?
  t1=$EPOCHREALTIME
  echo "$rc" > "$log.rc"
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", b - a }' > "$log.secs"
}

commands_caph() {
  step run run --out qpv-out
  step run-edits run --edits data-samples/caph_edits.toml --format geojson,shapefile,gpkg --out edits
  step run-crs3035 run --crs EPSG:3035 --format shapefile --out crs3035
  step run-conn4-holes run --connectivity 4 --keep-empty-holes --out conn4
  step run-settings run --settings qpv-out/manifest.json --out again
  step compare compare --reference qpv-out/candidates.geojson --other edits/adjusted.geojson \
    --grid sample --format shapefile,gpkg --out compare
  step compare-shp compare --reference edits/candidates.shp --other edits/adjusted.shp \
    --grid sample --out compare-shp
  step indicators indicators --by commune,epci -o indicators/ind.csv
  step indicators-perimeters indicators --perimeters edits/adjusted.geojson -o indicators/adjusted.csv
  step map map --squares --schools data-samples/rep_colleges_caph_2021.geojson --out map
  step map-diff map --diff compare/diff.geojson --title "Candidates and adjusted perimeters" --out map-diff
  step sweep sweep --set factor=1.2..1.4:0.1 --set connectivity=4,8 --out sweep
  step calibrate calibrate --from 1.2 --to 1.4 --step 0.05 -o calibrate/calibrated.toml
  step run-calibrated run --settings calibrate/calibrated.toml --out fromcalibrated
  step import import -o cache/grid.qpvgrid
  step run-cache run --grid cache/grid.qpvgrid --out fromcache
  step reference-build reference build -o reference/medians.json
  step reference-totals reference totals -o reference/totals.csv.gz
}

commands_nord() {
  local g=carreaux_200m_dep59.csv
  step run run --grid "$g" --format geojson,shapefile,gpkg --out qpv-out
  step indicators indicators --grid "$g" --by commune -o indicators/ind.csv
  step map map --grid "$g" --out map
  step sweep sweep --grid "$g" --set factor=1.3,1.32 --out sweep
}

commands_france() {
  local g=carreaux_200m_met.csv.gz
  step run run --grid "$g" --format geojson,gpkg --out qpv-out
  step sweep sweep --grid "$g" --set factor=1.3,1.32 --out sweep
  step reference-build reference build --grid "$g" -o reference/medians.json
  step reference-totals reference totals --grid "$g" -o reference/totals.csv.gz
}

# inputs SCOPE: puts the scope's inputs in the work folder (left out of the comparison).
inputs() {
  cp -r "$root/data-samples" data-samples
  case "$1" in
    nord) ln -s "$shared/carreaux_200m_dep59.csv" carreaux_200m_dep59.csv ;;
    france) ln -s "$shared/carreaux_200m_met.csv.gz" carreaux_200m_met.csv.gz ;;
  esac
}

# ---------------------------------------------------------------- the comparison

declare -A seen_diff=()
fail() { failures=$((failures + 1)); }
# clip N: the first N lines of stdin, then how many were left out.
clip() { awk -v n="$1" 'NR <= n { print } END { if (NR > n) printf "    ... %d more lines\n", NR - n }'; }
line() { printf '  %-52s %s\n' "$1" "$2"; }

compare_files() {
  local s="$1" od="$tmp/$1/old" nd="$tmp/$1/new" f out status
  local -a files
  mapfile -t files < <({
    (cd "$od" && find . -type f ! -path './data-samples/*')
    (cd "$nd" && find . -type f ! -path './data-samples/*')
  } | sed 's|^\./||' | sort -u)
  echo "files ($s: ${#files[@]}):"
  for f in "${files[@]}"; do
    if [ ! -f "$od/$f" ] || [ ! -f "$nd/$f" ]; then
      line "$f" "DIFFERENT (written by $([ -f "$od/$f" ] && echo OLD || echo NEW) only)"
      fail
    elif cmp -s "$od/$f" "$nd/$f"; then
      line "$f" same
      nsame=$((nsame + 1))
    elif [ "$(basename "$f")" = manifest.json ]; then
      line "$f" "manifest differs (expected: settings)"
      nmanifest=$((nmanifest + 1))
      if out="$(python3 "$tmp/manifest_check.py" "$od/$f" "$nd/$f")"; then status=0; else status=1; fi
      # The same settings/parameters diff is printed once.
      local key
      key="$(printf '%s' "$out" | md5sum | cut -d' ' -f1)"
      if [ "$status" = 0 ] && [ -n "${seen_diff[$key]:-}" ]; then
        echo "    members other than settings/parameters: equal; settings/parameters diff as in ${seen_diff[$key]}"
      else
        printf '%s\n' "$out"
        seen_diff[$key]="$s/$f"
      fi
      [ "$status" = 0 ] || fail
    elif [[ "$f" == *.gpkg ]] && out="$(python3 "$tmp/gpkg_check.py" "$od/$f" "$nd/$f")"; then
      line "$f" "same except write timestamps ($out)"
      nstamps=$((nstamps + 1))
      [ "$strict" != 1 ] || fail
    else
      line "$f" DIFFERENT
      cmp "$od/$f" "$nd/$f" 2>&1 | sed 's/^/    /' || true
      fail
    fi
  done
}

compare_steps() {
  local s="$1" lo="$tmp/$1/logs/old" ln="$tmp/$1/logs/new" id ro rn d
  echo "commands ($s; wall time OLD / NEW):"
  for id in $(cd "$lo" && ls -- *.rc | sed 's/\.rc$//'); do
    ro="$(cat "$lo/$id.rc")"
    rn="$(cat "$ln/$id.rc")"
    local what="exit $ro"
    if [ "$ro" != "$rn" ]; then
      what="DIFFERENT exit status: OLD $ro, NEW $rn"
      fail
    elif [ "$ro" != 0 ]; then
      what="FAILED with both binaries (exit $ro)"
      fail
    fi
    if ! cmp -s "$lo/$id.stdout" "$ln/$id.stdout"; then
      what="$what, stdout DIFFERENT"
      fail
    fi
    if d="$(diff <(untimed "$lo/$id.stderr") <(untimed "$ln/$id.stderr"))"; then
      what="$what, stderr same"
    else
      what="$what, stderr differs (not counted)"
    fi
    printf '  %-26s %6s s / %6s s  %s\n' "$id" "$(cat "$lo/$id.secs")" "$(cat "$ln/$id.secs")" "$what"
    echo "    qpv $(cat "$lo/$id.cmd")"
    if [ "$ro" = "$rn" ] && [ "$ro" != 0 ]; then
      sed 's/^/    OLD stderr: /' "$lo/$id.stderr" | tail -5
      sed 's/^/    NEW stderr: /' "$ln/$id.stderr" | tail -5
    fi
    [ -z "$d" ] || printf '%s\n' "$d" | sed 's/^/    /' | clip 20
  done
}

# run_scope SCOPE: both binaries, then the comparison.
run_scope() {
  local s="$1" t0 t1
  case "$s" in
    nord) [ -f "$shared/carreaux_200m_dep59.csv" ] || { echo "== nord: skipped: $shared/carreaux_200m_dep59.csv is absent"; return; } ;;
    france) [ -f "$shared/carreaux_200m_met.csv.gz" ] || { echo "== france: skipped: $shared/carreaux_200m_met.csv.gz is absent"; return; } ;;
  esac
  echo "== $s"
  mkdir -p "$tmp/$s/logs/old" "$tmp/$s/logs/new"
  logs="$tmp/$s/logs"
  for side in old new; do
    if [ "$side" = old ]; then bin="$old"; else bin="$new"; fi
    rm -rf "$tmp/work"
    mkdir "$tmp/work"
    t0=$EPOCHREALTIME
    (
      cd "$tmp/work"
      inputs "$s"
      nstep=0
      "commands_$s"
    )
    t1=$EPOCHREALTIME
    mv "$tmp/work" "$tmp/$s/$side"
    secs["$s-$side"]="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
  done
  compare_steps "$s"
  compare_files "$s"
  echo "time ($s): OLD ${secs[$s-old]} s, NEW ${secs[$s-new]} s"
}

declare -A secs=()
nsame=0 nmanifest=0 nstamps=0
echo "OLD $old"
echo "NEW $new"
if [ "$scope" = all ]; then scopes=(caph nord france); else scopes=("$scope"); fi
for s in "${scopes[@]}"; do run_scope "$s"; done
echo "== summary: $nsame files same, $nmanifest manifests differing in bytes," \
  "$nstamps GeoPackages differing only in write timestamps, $failures difference(s)"
if [ "$failures" -gt 0 ]; then
  echo "DIFFERENT"
  exit 1
fi
if [ $((nsame + nmanifest + nstamps)) = 0 ]; then
  echo "nothing compared (every scope skipped)"
elif [ "$nmanifest" -gt 0 ] || [ "$nstamps" -gt 0 ]; then
  echo "IDENTICAL (but for the allowed: settings/parameters of $nmanifest manifests, write timestamps of $nstamps GeoPackages)"
else
  echo "IDENTICAL"
fi
