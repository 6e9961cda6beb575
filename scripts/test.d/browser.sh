#!/usr/bin/env bash
# Browser tests of `counterweight serve` in real headless Chromium (crates/counterweight-cli/tests/browser.rs):
# the pages load without console errors; a run with changed returns to scale gives the
# CLI's numbers; a bad edit shows the CLI's located error; the Dual Governance page replays
# a reference timeline; measure; cancel; responsiveness at N = 10^6; refusals; Reset; adding
# a policy; conditional parameters and optional tables. Screenshots go to the test's
# temporary directory, so a test run leaves the tree clean; to regenerate the docs' images
# (full pages) run: COUNTERWEIGHT_SCREENSHOTS=docs/img bash scripts/test.d/browser.sh
#
# Needs Debian's chromium and chromium-driver: installed here if missing (as CI does).
# Where they cannot be installed (no root, no apt), the tests are skipped with a loud
# message; set COUNTERWEIGHT_REQUIRE_BROWSER=1 to make that an error instead.
set -euo pipefail
cd "$(dirname "$0")/../.."

# Where Debian puts them (chromedriver also under /usr/lib/chromium); empty when missing.
find_browser() {
  driver=$(command -v chromedriver || true)
  [ -z "$driver" ] && [ -x /usr/lib/chromium/chromedriver ] && driver=/usr/lib/chromium/chromedriver
  chromium=$(command -v chromium || true)
}
find_browser

if [ -z "$chromium" ] || [ -z "$driver" ]; then
  echo "browser: chromium or chromedriver missing; installing Debian's chromium and chromium-driver"
  # Status 3: cannot install here (no root or no apt-get), reported below; others fail.
  rc=0
  bash scripts/apt-install chromium chromium-driver || rc=$?
  [ "$rc" = 0 ] || [ "$rc" = 3 ] || exit "$rc"
  find_browser
fi

if [ -z "$chromium" ] || [ -z "$driver" ]; then
  cat >&2 <<'MSG'
###########################################################################################
#  BROWSER TESTS SKIPPED: chromium / chromedriver are not installed and cannot be installed
#  here (no root or no apt-get). Install Debian's `chromium` and `chromium-driver` (or set
#  CHROMIUM and CHROMEDRIVER) and run: bash scripts/test.d/browser.sh
###########################################################################################
MSG
  [ "${COUNTERWEIGHT_REQUIRE_BROWSER:-0}" = 1 ] && exit 1
  exit 0
fi

echo "browser: $("$chromium" --version 2> /dev/null || echo chromium), $("$driver" --version 2> /dev/null | head -1)"
# --workspace: the same feature set as the Rust part's build, so nothing is rebuilt.
CHROMIUM="$chromium" CHROMEDRIVER="$driver" \
  cargo test --release --workspace --test browser -- --ignored --nocapture --test-threads=1
