#!/usr/bin/env bash
# Python: the `counterweight` package (crates/counterweight-py) in its own virtual
# environment, .venv-test/ (created on first use, reused after; its packages are pinned in
# crates/counterweight-py/requirements-test.txt), built with maturin into the workspace's
# target directory, then pytest. Run alone: COUNTERWEIGHT_TEST_ONLY=python bash scripts/test
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=.venv-test
req=crates/counterweight-py/requirements-test.txt
python=${PYTHON:-python3}

if [ ! -x "$venv/bin/python" ]; then
  echo "python: creating $venv"
  "$python" -m venv "$venv"
fi
# (Re)install the pinned packages when the requirements change.
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  echo "python: installing $req"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet -r "$req"
  echo "$want" > "$stamp"
fi

# The tests compare against the CLI's outputs; the Rust part of scripts/test has usually
# built it already. The same command as there (not `cargo build -p counterweight-cli`, whose
# different feature unification would rebuild the library and the binary), so this is a
# no-op after it.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo test --release --quiet --workspace --lib --bins --tests --no-run
export COUNTERWEIGHT_BIN="$CARGO_TARGET_DIR/release/counterweight"

# The package, exactly as a user installs it (pip + maturin), sharing the workspace's
# compiled dependencies through CARGO_TARGET_DIR.
echo "python: building and installing crates/counterweight-py"
PATH="$PWD/$venv/bin:$PATH" "$venv/bin/python" -m pip install --quiet --no-build-isolation --no-deps --force-reinstall ./crates/counterweight-py

set +e
"$venv/bin/python" -m pytest crates/counterweight-py/tests -q -p no:cacheprovider
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "python: pytest collected no tests" >&2
  exit 1
fi
exit "$status"
