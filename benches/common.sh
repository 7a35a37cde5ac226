# Shared by the whole-run scripts (national.sh, peer.sh, large.sh); sourced, not run.

# national_grid HINT: sets $grid to the national CSV, decompressed once from
# ../shared into $TMPDIR, or exits 0 with a message when ../shared is absent.
national_grid() {
  local gz="../shared/data/filosofi2019/carreaux_200m_met.csv.gz"
  if [ ! -f "$gz" ]; then
    echo "skipped: $gz is absent$1"
    exit 0
  fi
  grid="${TMPDIR:-/tmp}/qpv-bench-met.csv"
  [ -f "$grid" ] || { echo "decompressing $gz -> $grid"; gzip -dc "$gz" > "$grid"; }
}

# timed LOG CMD...: runs CMD under /usr/bin/time -v (its stderr to LOG, stdout
# dropped); sets $wall (seconds) and $rss (peak resident set, KB). Stops on failure.
timed() {
  local log="$1"
  shift
  [ -x /usr/bin/time ] || { echo "error: /usr/bin/time is needed (apt-get install time)" >&2; exit 1; }
  /usr/bin/time -v "$@" 2> "$log" >/dev/null || { cat "$log"; exit 1; }
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(k=1;k<=n;k++) s=s*60+a[k]; print s}' "$log")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
}

# median N...: the median of numbers.
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# measure LOG RUNS CMD...: runs CMD RUNS times with `timed`; sets $walls (array of
# seconds), $median_wall (seconds) and $median_mb (median peak resident set, MB).
measure() {
  local log="$1" n="$2"
  shift 2
  walls=(); local rsss=()
  for _ in $(seq "$n"); do
    timed "$log" "$@"
    walls+=("$wall"); rsss+=("$rss")
  done
  median_wall=$(median "${walls[@]}")
  median_mb=$(( $(median "${rsss[@]}" | cut -d. -f1) / 1024 ))
}
