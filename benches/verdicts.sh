#!/usr/bin/env bash
# How `qpv check` judges real perimeters (issue 19): the official 2024 QPVs of Nord, the
# 2015 QPs of Haute-Garonne against their published population and medians, and the same
# shapes moved 2.5 km onto ground that is no quartier (kept where `qpv compare` finds they
# overlap no official perimeter, and touch an inhabited square). Accuracy, not speed:
# benches/check.sh times the check.
#
#   benches/verdicts.sh
#
# Skips with a message when ../shared is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/common.sh
national_grid " (benches/verdicts.sh needs the national grid)"
cargo build --release --quiet -p qpv-cli -p qpv-benches
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
target/release/score-verdicts target/release/qpv ../shared/data "$grid" "$out"
echo
echo "$(date -u +%F), $(git rev-parse --short HEAD)"
