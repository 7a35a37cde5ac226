#!/usr/bin/env bash
# Runs a qpv binary with the method of before issue 20 (calibration factor 1.32, no
# closing, no splitting), so that `benches/identity.sh OLD benches/previous-method.sh`
# checks that the new code gives the old outputs byte for byte when asked for the old
# method. The binary is $QPV (default: target/release/qpv beside this script).
#
#   QPV=target/release/qpv bash benches/identity.sh OLD_QPV benches/previous-method.sh caph
#
# The method flags go after the subcommand of every command that takes the rule; the
# factor is left out where a settings file or the calibration sets it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
qpv="${QPV:-$here/../target/release/qpv}"
[ $# -ge 1 ] || exec "$qpv"
sub="$1"
shift
case "$sub" in
  run | check | adjust | indicators | map | atlas | serve | sweep | calibrate)
    method=(--close 0 --no-split)
    case " $* " in
      *" --settings "*) ;;
      *) [ "$sub" = calibrate ] || method+=(--calibration-factor 1.32) ;;
    esac
    exec "$qpv" "$sub" "${method[@]}" "$@"
    ;;
  *) exec "$qpv" "$sub" "$@" ;;
esac
