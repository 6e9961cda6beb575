#!/usr/bin/env bash
# Refresh the vendored uPlot (https://github.com/leeoniya/uPlot, MIT) from the npm registry.
# `cargo build` never runs this: the built files below are committed and embedded in the
# binary with include_str!. To upgrade: change the version in package.json, then run
#   bash crates/counterweight-serve/assets/vendor/uplot/update.sh
# and commit package.json, package-lock.json and the copied files.
set -euo pipefail
cd "$(dirname "$0")"
npm install --no-audit --no-fund --ignore-scripts
cp node_modules/uplot/dist/uPlot.iife.min.js node_modules/uplot/dist/uPlot.min.css .
cp node_modules/uplot/LICENSE LICENSE
node -e 'console.log("uPlot " + require("./node_modules/uplot/package.json").version + " vendored")'
rm -rf node_modules
