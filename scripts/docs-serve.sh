#!/usr/bin/env bash
# The screenshots of `qpv serve`'s page in docs/serve/ (page.png, painted.png, two-windows-a.png,
# two-windows-b.png, read-only.png,
# compare.png, undone.png, undecided.png): the browser tests of
# crates/cli/tests/serve_page.rs, in Debian's headless chromium through chromedriver, run
# with QPV_SCREENSHOTS=docs/serve.
#
#   scripts/docs-serve.sh
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p docs/serve
QPV_SCREENSHOTS="$PWD/docs/serve" cargo test --quiet -p qpv-cli --test serve_page -- --include-ignored
for f in docs/serve/*.png; do
  echo "wrote $f ($(( $(stat -c %s "$f") / 1000 )) KB)"
done
