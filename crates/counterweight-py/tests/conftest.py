"""Shared fixtures: the repository root and the `counterweight` command (the CLI), whose
outputs the Python API must reproduce."""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

SMALL = """
name = "small"
seed = 11
time = { end = 2.0, dt = 0.1 }

[growth]
returns_to_scale = 1.1
base_rate = 0.1
spillover = 0.2
volatility = 0.3

[[actors]]
group = "a"
count = 30
initial = { lognormal = { mu = 0.0, sigma = 0.5 } }
openness = 0.5

[output]
every = 5
"""


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def cli() -> Path:
    """The CLI binary (scripts/test.d/python.sh builds it; COUNTERWEIGHT_BIN overrides)."""
    path = Path(os.environ.get("COUNTERWEIGHT_BIN", ROOT / "target" / "release" / "counterweight"))
    if not path.exists():
        pytest.fail(f"the counterweight command is not built at {path} (cargo build --release -p counterweight-cli)")
    return path


def run_cli(cli: Path, *args: str, cwd=None, check=True) -> subprocess.CompletedProcess:
    p = subprocess.run([str(cli), *args], capture_output=True, text=True, cwd=cwd)
    if check and p.returncode != 0:
        raise AssertionError(f"counterweight {' '.join(args)} exited {p.returncode}:\n{p.stderr}")
    return p


@pytest.fixture
def small(tmp_path: Path) -> Path:
    f = tmp_path / "small.toml"
    f.write_text(SMALL)
    return f


def same_table(a, b) -> bool:
    """Same schema and bit-identical values (NaN equals NaN; pyarrow's equals says not)."""
    import numpy as np
    import pyarrow as pa

    if not a.schema.equals(b.schema) or a.num_rows != b.num_rows:
        return False
    for x, y in zip(a.columns, b.columns):
        if pa.types.is_floating(x.type):
            xa = x.combine_chunks() if x.num_chunks else pa.array([], x.type)
            ya = y.combine_chunks() if y.num_chunks else pa.array([], y.type)
            if xa.null_count or ya.null_count:
                if not xa.is_null().equals(ya.is_null()):
                    return False
            if not np.array_equal(np.asarray(xa.fill_null(0)).view(np.uint64), np.asarray(ya.fill_null(0)).view(np.uint64)):
                return False
        elif not x.equals(y):
            return False
    return True
