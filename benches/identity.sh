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
#     a file written by one binary only is `DIFFERENT`, but for the one allowed case:
#     `qpv run` always writes its GeoJSON layers (even with --format shapefile), so a
#     *.geojson or *.qml written by NEW only, in the output folder of a `run` whose
#     command line has --format without geojson, is `new: written by NEW only (GeoJSON
#     always written)`;
#   - manifest.json whose bytes differ: `manifest differs (expected: settings)`; then
#     (python3) every member other than `settings`, `parameters` (OLD) and `method` (NEW:
#     the facts that are not settings) must be equal: same JSON text, same order, a member
#     present on one side only is a difference; and every value of OLD `parameters` must
#     be found in NEW `settings`: a key of the same name (calibration_factor, ratio...),
#     fill_empty_holes = not keep_empty_holes, medians_source = medians,
#     min_density_per_km2 = min_density, income_model.X = X (every X but the
#     `distribution` text). The diffs of `settings` and of `parameters` -> `method` are
#     printed for a human to read;
#   - *.gpkg whose bytes differ: a GeoPackage written by OLD stamps the time of writing
#     in gpkg_contents.last_change and layer_styles.update_time (schema DEFAULT
#     strftime('now')), NEW writes 1970-01-01T00:00:00.000Z there. The CONTENT is compared
#     (python3 sqlite3): application_id and user_version, sqlite_master (type, name,
#     table, SQL text with the DEFAULT clause of those two columns normalised), every
#     table's rows by rowid (values and SQLite types) with those two columns blanked:
#     `same content (write timestamps differ)`, else `DIFFERENT` and the first differing
#     table/row. QPV_IDENTITY_STRICT=1 counts the same-content case as a difference too;
#   - the settings file written by `qpv calibrate` (its -o), bytes differing: NEW writes
#     every setting resolved, so (python3 tomllib) every key of OLD must have the same
#     value (and TOML type) in NEW, and the first comment line must be the same:
#     `same settings (resolved keys added: ...)`, else `DIFFERENT`;
#   - each command's exit status must be the same and 0, stdout the same (qpv writes
#     nothing there); stderr is diffed after blanking durations ("in 0.52 s"), and its
#     differing lines are printed without failing.
# Exit status: 0 when everything is the same, 1 otherwise, 64 on bad usage.
# Scopes (commands in commands_SCOPE below; time for both binaries on 2 cores): caph, the
# embedded sample (23 commands, ~6 s); nord, the Nord grid (4, ~2 s) and france, the
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

# manifest_check OLD NEW: members other than settings/parameters/method equal (same
# order, same JSON text, none on one side only)? OLD parameters found again in NEW
# settings? Prints the differences, then the diffs of settings and parameters -> method.
cat > "$tmp/manifest_check.py" << 'EOF'
import difflib, json, sys

EXPECTED = ("settings", "parameters", "method")
ABSENT = object()  # a member missing on one side
# OLD parameters key -> (NEW settings key, OLD value -> the NEW value it must equal)
RENAMED = {
    "fill_empty_holes": ("keep_empty_holes", lambda v: (not v) if isinstance(v, bool) else ("not a boolean", v)),
    "medians_source": ("medians", lambda v: v),
    "min_density_per_km2": ("min_density", lambda v: v),
}
NOT_SETTINGS = {"distribution"}  # income_model members that describe, not set

a_path, b_path = sys.argv[1], sys.argv[2]
try:
    a = json.load(open(a_path, encoding="utf-8"))
    b = json.load(open(b_path, encoding="utf-8"))
    if not isinstance(a, dict) or not isinstance(b, dict):
        raise ValueError("not a JSON object")
except ValueError as e:
    print(f"    members other than settings/parameters/method: DIFFERENT (not JSON: {e})")
    sys.exit(1)

def text(v):
    return ["(absent)"] if v is ABSENT else json.dumps(v, indent=2, ensure_ascii=False).splitlines()

def exact(x, y):  # same JSON text, member order included
    return x is y or (x is not ABSENT and y is not ABSENT and json.dumps(x) == json.dumps(y))

def equal(x, y):  # same values and JSON types (1 is not 1.0, true is not 1), any member order
    return x is not ABSENT and y is not ABSENT and json.dumps(x, sort_keys=True) == json.dumps(y, sort_keys=True)

def show(v):
    return "(absent)" if v is ABSENT else json.dumps(v, ensure_ascii=False)

def diff(name, x, y, limit=40, new_name=None):
    lines = list(difflib.unified_diff(text(x), text(y), f"OLD {name}", f"NEW {new_name or name}", n=1, lineterm=""))
    more = [f"... {len(lines) - limit} more lines"] if len(lines) > limit else []
    return ["      " + line for line in lines[:limit] + more]

# 0. a run whose --format left GeoJSON out: NEW also writes (and lists) its GeoJSON
# layers and styles, the documented fix "GeoJSON is always written"
old_settings = a.get("settings") if isinstance(a.get("settings"), dict) else {}
fmt = old_settings.get("format")
if isinstance(fmt, list) and "geojson" not in fmt and isinstance(b.get("outputs"), list):
    old_files = {o.get("file") for o in a.get("outputs", []) if isinstance(o, dict)}
    extra = [o for o in b["outputs"] if isinstance(o, dict) and o.get("file") not in old_files
             and str(o.get("file", "")).endswith((".geojson", ".qml"))]
    if extra:
        b = dict(b)
        b["outputs"] = [o for o in b["outputs"] if o not in extra]
        print("    outputs: NEW also lists " + ", ".join(o["file"] for o in extra) + " (GeoJSON always written)")

# 1. every other member
members = []
ka = [k for k in a if k not in EXPECTED]
kb = [k for k in b if k not in EXPECTED]
for k in ka:
    if k not in b:
        members.append(f"    member '{k}' DIFFERENT: in OLD only")
for k in kb:
    if k not in a:
        members.append(f"    member '{k}' DIFFERENT: in NEW only")
if [k for k in ka if k in b] != [k for k in kb if k in a]:
    members.append(f"    members in a different order: OLD {ka}, NEW {kb}")
for k in ka:
    if k in b and not exact(a[k], b[k]):
        members.append(f"    member '{k}' DIFFERENT:")
        members += diff(k, a[k], b[k])
print("    members other than settings/parameters/method: " + ("DIFFERENT" if members else "equal"))

# 2. OLD parameters against NEW settings
params, settings = a.get("parameters", ABSENT), b.get("settings", ABSENT)
settings = settings if isinstance(settings, dict) else {}
pairs, unchecked = [], []  # (OLD name, OLD value, NEW name, NEW value expected, NEW value)
if isinstance(params, dict):
    for k, v in params.items():
        if k in RENAMED:
            nk, f = RENAMED[k]
            pairs.append((k, v, nk, f(v), settings.get(nk, ABSENT)))
        elif k == "income_model" and isinstance(v, dict):
            for sk, sv in v.items():
                if sk in NOT_SETTINGS:
                    unchecked.append(f"{k}.{sk}")
                else:
                    pairs.append((f"{k}.{sk}", sv, sk, sv, settings.get(sk, ABSENT)))
        elif k in settings:
            pairs.append((k, v, k, v, settings[k]))
        else:
            unchecked.append(k)
mismatches = [
    f"    parameters.{ok} = {show(ov)} but settings.{nk} = {show(nv)}"
    + ("" if want is ov else f" (must be {show(want)})") + ": DIFFERENT"
    for ok, ov, nk, want, nv in pairs if not equal(want, nv)
]
if params is not ABSENT:
    note = f"{len(pairs) - len(mismatches)} of {len(pairs)} equal"
    note += f"; no setting of that name, not checked: {', '.join(unchecked)}" if unchecked else ""
    print(f"    OLD parameters in NEW settings: {'DIFFERENT' if mismatches else 'equal'} ({note})")

report = members + mismatches
bad = bool(report)

# 3. for a human: settings, and parameters -> method
ps, ns = a.get("settings", ABSENT), b.get("settings", ABSENT)
if not exact(ps, ns):
    report.append("    'settings' differs (expected; for a human to read):")
    report += diff("settings", ps, ns, limit=200)
if "parameters" in a and "method" in b and "method" not in a and "parameters" not in b:
    if not exact(a["parameters"], b["method"]):
        report.append("    OLD 'parameters' -> NEW 'method' (expected; for a human to read):")
        report += diff("parameters", a["parameters"], b["method"], limit=200, new_name="method")
else:
    for k in ("parameters", "method"):
        x, y = a.get(k, ABSENT), b.get(k, ABSENT)
        if not exact(x, y):
            report.append(f"    '{k}' differs (expected; for a human to read):")
            report += diff(k, x, y, limit=200)
for line in report:
    print(line)
sys.exit(1 if bad else 0)
EOF

# gpkg_check OLD NEW: the same content once the write timestamps are set aside? Compares
# application_id and user_version, sqlite_master (type, name, tbl_name, SQL with the
# DEFAULT clause of last_change/update_time normalised), then every table's rows by rowid
# (value and SQLite type of each column) with last_change/update_time blanked. Prints
# `same content (...)` (exit 0) or `DIFFERENT` and the first difference (exit 1).
cat > "$tmp/gpkg_check.py" << 'EOF'
import re, sqlite3, sys, urllib.request

STAMPS = ("last_change", "update_time")
STAMP = "<write time>"
DEFAULT = re.compile(r'(?i)(?<![\w"])"?(?:last_change|update_time)"?\s[^,()]*?\bDEFAULT\s*')

def skip_quoted(s, j):  # s[j] is a quote; index after the closing one ('' is a quote)
    q, j = s[j], j + 1
    while j < len(s):
        if s[j] == q:
            if s[j + 1 : j + 2] != q:
                return j + 1
            j += 1
        j += 1
    return j

def skip_expr(s, j):  # index after the DEFAULT expression starting at s[j]
    if s[j : j + 1] in ("'", '"'):
        return skip_quoted(s, j)
    if s[j : j + 1] == "(":
        depth = 0
        while j < len(s):
            if s[j] in ("'", '"'):
                j = skip_quoted(s, j)
                continue
            depth += {"(": 1, ")": -1}.get(s[j], 0)
            j += 1
            if depth == 0:
                return j
        return j
    return re.compile(r"[^\s,()]*").match(s, j).end()

def normalised(sql):
    if sql is None:
        return None
    out, i = [], 0
    for m in DEFAULT.finditer(sql):
        if m.start() < i:
            continue
        out += [sql[i : m.end()], STAMP]
        i = skip_expr(sql, m.end())
    return "".join(out + [sql[i:]])

def quote(name):
    return '"' + name.replace('"', '""') + '"'

def typed(v):  # value and SQLite storage class: 1 and 1.0, text and blob, differ
    return (type(v).__name__, repr(v) if isinstance(v, float) else v)

def read(path):
    db = sqlite3.connect(f"file:{urllib.request.pathname2url(path)}?mode=ro", uri=True)
    db.text_factory = lambda b: b.decode("utf-8", "surrogateescape")
    head = {p: db.execute(f"PRAGMA {p}").fetchone()[0] for p in ("application_id", "user_version")}
    master = [r for r in db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid")]
    schema = sorted((t, n, tn, normalised(sql)) for t, n, tn, sql in master)
    raw_defaults = sorted(sql for t, n, tn, sql in master if sql and normalised(sql) != sql)
    tables, stamps = {}, set()
    for t, n, tn, sql in master:
        if t != "table":
            continue
        try:
            cur = db.execute(f"SELECT rowid, * FROM {quote(n)} ORDER BY rowid")
        except sqlite3.OperationalError:
            try:  # WITHOUT ROWID: primary key order
                cur = db.execute(f"SELECT NULL, * FROM {quote(n)}")
            except sqlite3.OperationalError as e:  # a virtual table of a missing module
                tables[n] = ([], [(None, (("unreadable", str(e)),))])
                continue
        cols = [d[0] for d in cur.description[1:]]
        blank = [c.lower() in STAMPS for c in cols]
        rows = []
        for r in cur:
            stamps.update(v for v, x in zip(r[1:], blank) if x and v is not None)
            rows.append((r[0], tuple(("", STAMP) if x else typed(v) for v, x in zip(r[1:], blank))))
        tables[n] = (cols, rows)
    db.close()
    return head, [n for t, n, tn, sql in master if t == "table"], schema, tables, stamps, raw_defaults

def short(v, n=100):
    s = repr(v[1]) if isinstance(v, tuple) else repr(v)
    return s if len(s) <= n else s[: n - 3] + "..."

def first_difference(A, B):
    if A[0] != B[0]:
        return f"header: OLD {A[0]}, NEW {B[0]}"
    if A[1] != B[1]:
        return f"tables: OLD {A[1]}, NEW {B[1]}"
    if A[2] != B[2]:
        only_a = [x for x in A[2] if x not in B[2]]
        only_b = [x for x in B[2] if x not in A[2]]
        return f"sqlite_master: OLD only {only_a or 'nothing'}; NEW only {only_b or 'nothing'}"
    for name in A[1]:
        (ca, ra), (cb, rb) = A[3][name], B[3][name]
        if ca != cb:
            return f"table {name}: columns OLD {ca}, NEW {cb}"
        counts = f"OLD {len(ra)} rows, NEW {len(rb)} rows; " if len(ra) != len(rb) else ""
        for i in range(max(len(ra), len(rb))):
            x = ra[i] if i < len(ra) else None
            y = rb[i] if i < len(rb) else None
            if x is None or y is None:
                return f"table {name}: {counts}row {i + 1} (rowid {(x or y)[0]}) in {'OLD' if y is None else 'NEW'} only"
            if x[1] != y[1]:
                cols = [f"{c}: OLD {short(u)} ({u[0]}), NEW {short(v)} ({v[0]})"
                        for c, u, v in zip(ca, x[1], y[1]) if u != v]
                more = [f"and {len(cols) - 4} more columns"] if len(cols) > 4 else []
                where = f"rowid {x[0]}" if x[0] == y[0] else f"rowid OLD {x[0]}, NEW {y[0]}"
                return f"table {name}: {counts}first differing row {i + 1} ({where}): " + "; ".join(cols[:4] + more)
    return None

try:
    side = "OLD"
    A = read(sys.argv[1])
    side = "NEW"
    B = read(sys.argv[2])
except sqlite3.Error as e:
    print(f"DIFFERENT ({side} is not a readable SQLite file: {e})")
    sys.exit(1)
d = first_difference(A, B)
if d:
    print("DIFFERENT")
    print(d)
    sys.exit(1)
if A[4] != B[4] or A[5] != B[5]:
    def stamps(s):
        s = sorted(s)
        return "none" if not s else s[0] if len(s) == 1 else f"{s[0]} .. {s[-1]} ({len(s)} values)"
    print(f"same content (write timestamps differ: OLD {stamps(A[4])}, NEW {stamps(B[4])}"
          + ("; DEFAULT clauses too" if A[5] != B[5] else "") + ")")
else:
    print("same content (bytes differ, write timestamps the same)")
EOF

# settings_check OLD NEW: settings files (TOML) written by `qpv calibrate`: every key of
# OLD with the same value and TOML type in NEW, the same first comment line? Keys in NEW
# only are listed (NEW writes every setting resolved).
cat > "$tmp/settings_check.py" << 'EOF'
import math, sys, tomllib

def same(x, y):
    if type(x) is not type(y):
        return False
    if isinstance(x, dict):
        return x.keys() == y.keys() and all(same(x[k], y[k]) for k in x)
    if isinstance(x, list):
        return len(x) == len(y) and all(same(u, v) for u, v in zip(x, y))
    if isinstance(x, float) and math.isnan(x):
        return math.isnan(y)
    return x == y

def first_comment(text):
    return next((l for l in text.splitlines() if l.lstrip().startswith("#")), None)

texts, tables = [], []
for side, path in (("OLD", sys.argv[1]), ("NEW", sys.argv[2])):
    try:
        texts.append(open(path, encoding="utf-8").read())
        tables.append(tomllib.loads(texts[-1]))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        print(f"DIFFERENT ({side} is not TOML: {e})")
        sys.exit(1)
old, new = tables
problems = []
ca, cb = first_comment(texts[0]), first_comment(texts[1])
if ca != cb:
    problems += ["first comment line differs:", f"  OLD {ca}", f"  NEW {cb}"]
for k, v in old.items():
    if k not in new:
        problems.append(f"{k}: OLD {v!r}, absent in NEW")
    elif not same(v, new[k]):
        problems.append(f"{k}: OLD {v!r} ({type(v).__name__}), NEW {new[k]!r} ({type(new[k]).__name__})")
if problems:
    print("DIFFERENT")
    print("\n".join(problems))
    sys.exit(1)
added = [f"{k} = {new[k]!r}" for k in new if k not in old]
print(f"same settings (resolved keys added: {', '.join(added) or 'none'})")
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
  note_outputs "$@"
  t0=$EPOCHREALTIME
  "$bin" "$@" > "$log.stdout" 2> "$log.stderr" || rc=$?
  t1=$EPOCHREALTIME
  echo "$rc" > "$log.rc"
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", b - a }' > "$log.secs"
}

# note_outputs ARGS...: from the command line, what later checks need, as paths relative
# to the work folder: the output folder (-o/--out, default qpv-out) of a `run` with
# --format but not geojson, in $logs/$side/geojson-always.dirs (the GeoJSON that NEW
# writes there anyway is allowed); the file (-o/--out, default qpv-calibrated.toml) of a
# `calibrate`, in $logs/$side/settings.files.
note_outputs() {
  local cmd="${1:-}" out="" formats=() a f geojson=0
  shift || true
  while [ $# -gt 0 ]; do
    a="$1"
    shift
    case "$a" in
      --format) formats+=("${1:-}"); shift || true ;;
      --format=*) formats+=("${a#--format=}") ;;
      -o | --out) out="${1:-}"; shift || true ;;
      --out=*) out="${a#--out=}" ;;
      -o*) out="${a#-o}" ;;
    esac
  done
  case "$cmd" in
    run)
      [ "${#formats[@]}" -gt 0 ] || return 0
      for f in $(printf '%s\n' "${formats[@]}" | tr ',' ' '); do
        [ "$f" != geojson ] || geojson=1
      done
      [ "$geojson" = 1 ] || realpath -m --relative-to="$PWD" -- "${out:-qpv-out}" >> "$logs/$side/geojson-always.dirs"
      ;;
    calibrate) realpath -m --relative-to="$PWD" -- "${out:-qpv-calibrated.toml}" >> "$logs/$side/settings.files" ;;
  esac
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
  step check check --perimeters data-samples/drawn_perimeters_l93.shp \
    --schools data-samples/rep_colleges_caph_2021.geojson --out check
  step check-buildings check --perimeters data-samples/drawn_perimeters_l93.shp \
    --buildings data-samples/buildings_cite_bdtopo.geojson --out check-buildings
  step adjust adjust --perimeters data-samples/drawn_perimeters_l93.shp \
    --edits data-samples/drawn_edits.toml --out adjust
  step atlas atlas --schools data-samples/rep_colleges_caph_2021.geojson --out atlas
  step atlas-file atlas --perimeters edits/adjusted.geojson --reference qpv-out/candidates.geojson --out atlas-file
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
  local s="$1" od="$tmp/$1/old" nd="$tmp/$1/new" f out status d
  local -a files
  local -A geojson_dirs=() settings_files=()
  # The command lines are the same for both binaries: NEW's notes serve.
  if [ -f "$tmp/$s/logs/new/geojson-always.dirs" ]; then
    while IFS= read -r d; do geojson_dirs["$d"]=1; done < "$tmp/$s/logs/new/geojson-always.dirs"
  fi
  if [ -f "$tmp/$s/logs/new/settings.files" ]; then
    while IFS= read -r d; do settings_files["$d"]=1; done < "$tmp/$s/logs/new/settings.files"
  fi
  mapfile -t files < <({
    (cd "$od" && find . -type f ! -path './data-samples/*')
    (cd "$nd" && find . -type f ! -path './data-samples/*')
  } | sed 's|^\./||' | sort -u)
  echo "files ($s: ${#files[@]}):"
  for f in "${files[@]}"; do
    if [ ! -f "$od/$f" ] && [[ "$f" == *.geojson || "$f" == *.qml ]] \
      && [ -n "${geojson_dirs[$(dirname -- "$f")]:-}" ]; then
      line "$f" "new: written by NEW only (GeoJSON always written)"
      nnew=$((nnew + 1))
    elif [ ! -f "$od/$f" ] || [ ! -f "$nd/$f" ]; then
      line "$f" "DIFFERENT (written by $([ -f "$od/$f" ] && echo OLD || echo NEW) only)"
      fail
    elif cmp -s "$od/$f" "$nd/$f"; then
      line "$f" same
      nsame=$((nsame + 1))
    elif [ "$(basename "$f")" = manifest.json ]; then
      line "$f" "manifest differs (expected: settings)"
      nmanifest=$((nmanifest + 1))
      if out="$(python3 "$tmp/manifest_check.py" "$od/$f" "$nd/$f" 2>&1)"; then status=0; else status=1; fi
      # The same settings/parameters diff is printed once.
      local key
      key="$(printf '%s' "$out" | md5sum | cut -d' ' -f1)"
      if [ "$status" = 0 ] && [ -n "${seen_diff[$key]:-}" ]; then
        echo "    members other than settings/parameters/method, parameters in settings: equal; diffs as in ${seen_diff[$key]}"
      else
        printf '%s\n' "$out"
        seen_diff[$key]="$s/$f"
      fi
      [ "$status" = 0 ] || fail
    elif [[ "$f" == *.gpkg ]]; then
      if out="$(python3 "$tmp/gpkg_check.py" "$od/$f" "$nd/$f" 2>&1)"; then
        line "$f" "$out"
        ngpkg=$((ngpkg + 1))
        [ "$strict" != 1 ] || fail
      else
        line "$f" "$(printf '%s\n' "$out" | head -1)"
        printf '%s\n' "$out" | tail -n +2 | sed 's/^/    /' | clip 20
        fail
      fi
    elif [ -n "${settings_files[$f]:-}" ]; then
      if out="$(python3 "$tmp/settings_check.py" "$od/$f" "$nd/$f" 2>&1)"; then
        line "$f" "$out"
        nsettings=$((nsettings + 1))
      else
        line "$f" "$(printf '%s\n' "$out" | head -1)"
        printf '%s\n' "$out" | tail -n +2 | sed 's/^/    /' | clip 40
        fail
      fi
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
nsame=0 nmanifest=0 ngpkg=0 nsettings=0 nnew=0
echo "OLD $old"
echo "NEW $new"
if [ "$scope" = all ]; then scopes=(caph nord france); else scopes=("$scope"); fi
for s in "${scopes[@]}"; do run_scope "$s"; done
echo "== summary: $nsame files same, $nmanifest manifests differing in bytes," \
  "$ngpkg GeoPackages with the same content, $nsettings settings files with the same settings," \
  "$nnew GeoJSON/QML files written by NEW only (GeoJSON always written), $failures difference(s)"
if [ "$failures" -gt 0 ]; then
  echo "DIFFERENT"
  exit 1
fi
if [ $((nsame + nmanifest + ngpkg + nsettings + nnew)) = 0 ]; then
  echo "nothing compared (every scope skipped)"
elif [ $((nmanifest + ngpkg + nsettings + nnew)) -gt 0 ]; then
  allowed=()
  [ "$nmanifest" = 0 ] || allowed+=("settings/parameters/method of $nmanifest manifests")
  [ "$ngpkg" = 0 ] || allowed+=("write timestamps of $ngpkg GeoPackages")
  [ "$nsettings" = 0 ] || allowed+=("resolved keys of $nsettings settings files")
  [ "$nnew" = 0 ] || allowed+=("$nnew GeoJSON/QML files written by NEW only")
  echo "IDENTICAL (but for the allowed: $(printf '%s, ' "${allowed[@]}" | sed 's/, $//'))"
else
  echo "IDENTICAL"
fi
