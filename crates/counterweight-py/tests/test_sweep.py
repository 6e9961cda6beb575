"""sweep (local), counterweight.dask.sweep and `python -m counterweight sweep`: the same
dataset as `counterweight sweep`, byte for byte."""

import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import counterweight as cw
from conftest import run_cli, same_table

VARY = {"growth.returns_to_scale": "1.0:1.2:0.1", "growth.spillover": [0.0, 0.4]}
VARY_CLI = ["--vary", "growth.returns_to_scale=1.0:1.2:0.1", "--vary", "growth.spillover=0.0,0.4"]


def files_equal(a: Path, b: Path, names=("results.csv", "summary.csv", "summary_series.csv")):
    for n in names:
        assert (a / n).read_bytes() == (b / n).read_bytes(), n


@pytest.fixture
def cli_sweep(cli, small, tmp_path) -> Path:
    out = tmp_path / "cli-sweep"
    run_cli(cli, "sweep", str(small), *VARY_CLI, "--replicates", "3", "--out", str(out), "--quiet")
    return out


def test_local_sweep_equals_the_cli_sweep(small, cli_sweep, tmp_path):
    out = tmp_path / "py-sweep"
    s = cw.sweep(small, VARY, replicates=3, out=out, progress=False)
    files_equal(out, cli_sweep)
    assert (out / "report.html").exists()
    assert s.runs == 18 and s.failed == 0 and s.out == out
    cols = s.results.column_names
    assert cols[:6] == ["point", "replicate", "seed", "growth.returns_to_scale", "growth.spillover", "status"]
    assert s.results.num_rows == 18 and s.summary.num_rows == 6
    assert "top1_share_mean" in s.summary.column_names and "top1_share_ci_low" in s.summary.column_names
    import pyarrow.parquet as pq

    assert same_table(s.results, pq.read_table(cli_sweep / "results.parquet"))


def test_temporary_sweep_threads_and_resume(small, cli_sweep, tmp_path):
    one = cw.sweep(small, VARY, replicates=3, threads=1, progress=False)
    two = cw.sweep(small, VARY, replicates=3, threads=2, progress=False)
    assert one.out is None
    assert same_table(one.results, two.results) and same_table(one.summary, two.summary)
    import pyarrow.parquet as pq

    assert same_table(one.results, pq.read_table(cli_sweep / "results.parquet"))
    # Resume: remove some parts, call again, same bytes.
    out = tmp_path / "resume"
    cw.sweep(small, VARY, replicates=3, out=out, progress=False)
    first = (out / "results.csv").read_bytes()
    parts = sorted((out / "parts").iterdir())
    for p in parts[::2]:
        p.unlink()
    calls = []
    cw.sweep(small, VARY, replicates=3, out=out, progress=lambda d, t: calls.append(d))
    assert (out / "results.csv").read_bytes() == first
    assert calls[0] > 0, "a resumed sweep starts from the runs on disk"
    with pytest.raises(cw.SweepError, match="resume=True"):
        cw.sweep(small, VARY, replicates=3, out=out, resume=False, progress=False)


def test_sweep_spec_forms_and_errors(small):
    a = cw.sweep(small, ["growth.spillover=0,0.5"], progress=False)
    b = cw.sweep(small, {"growth.spillover": [0, 0.5]}, progress=False)
    assert same_table(a.results, b.results)
    z = cw.sweep(small, {"growth.spillover": [0.0, 0.5], "growth.volatility": [0.1, 0.2]}, zip=True, progress=False)
    assert z.summary.num_rows == 2
    h = cw.sweep(small, {"growth.spillover": "0:1:0.1"}, sample=4, progress=False)
    assert h.summary.num_rows == 4
    with pytest.raises(cw.ScenarioError) as info:
        cw.sweep(small, {"growth.spillover": [-1.0]}, progress=False)
    assert info.value.field == "growth.spillover"
    with pytest.raises(cw.SweepError):
        cw.sweep(small, {"seed": [1, 2]}, progress=False)


def test_a_failed_run_is_a_row(small):
    s = cw.sweep(small, {"growth.returns_to_scale": [1.0, 2.0]}, replicates=2,
                 set={"time.end": 20.0, "growth.base_rate": 0.5, "growth.volatility": 0.0}, progress=False)
    status = s.results.column("status").to_pylist()
    assert status[:2] == ["ok", "ok"]
    assert all(x.startswith("error: ") and "blow-up" in x for x in status[2:])
    assert s.failed == 2 and s.failures


# --- interrupting -----------------------------------------------------------------------

SLOW_SWEEP = textwrap.dedent("""
    import sys, counterweight as cw
    print("started", flush=True)
    cw.sweep(sys.argv[1], {"growth.spillover": "0:1:0.05"}, replicates=4, out=sys.argv[2],
             set={"actors[0].count": 3000, "time.end": 40.0}, progress=False, threads=2)
    print("finished", flush=True)
""")


def test_ctrl_c_stops_a_sweep_promptly_and_it_resumes(small, tmp_path):
    out = tmp_path / "interrupted"
    p = subprocess.Popen([sys.executable, "-c", SLOW_SWEEP, str(small), str(out)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "started"
    time.sleep(2.0)
    sent = time.perf_counter()
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    stopped = time.perf_counter() - sent
    assert p.returncode != 0 and "KeyboardInterrupt" in err, err
    assert "saved in" in err
    assert stopped < 5.0, stopped
    # Nothing half-written: whole part files only, no temporaries, no final tables yet.
    names = [f.name for d in (out, out / "parts", out / "series") for f in d.iterdir()]
    assert not [n for n in names if ".tmp-" in n], names
    assert not (out / "results.csv").exists()
    done = sorted(f.name for f in (out / "parts").iterdir())
    for name in done:
        assert (out / "series" / name).exists()
    # Resuming finishes it, identical to an uninterrupted sweep.
    kw = dict(replicates=4, set={"actors[0].count": 3000, "time.end": 40.0}, progress=False)
    cw.sweep(small, {"growth.spillover": "0:1:0.05"}, out=out, **kw)
    fresh = tmp_path / "fresh"
    cw.sweep(small, {"growth.spillover": "0:1:0.05"}, out=fresh, **kw)
    files_equal(out, fresh)


# --- Dask ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                      dashboard_address=None, silence_logs=logging.ERROR) as c, Client(c) as client:
        yield c, client


def test_dask_sweep_equals_the_local_sweep(cluster, small, cli_sweep, tmp_path):
    _, client = cluster
    from counterweight import dask as cwdask

    out = tmp_path / "dask"
    s = cwdask.sweep(small, VARY, client=client, replicates=3, out=out, progress=False)
    files_equal(out, cli_sweep)
    local = cw.sweep(small, VARY, replicates=3, progress=False)
    assert same_table(s.results, local.results) and same_table(s.summary, local.summary)
    # Both workers took part.
    assert len(client.scheduler_info()["workers"]) == 2


def test_dask_sweep_shared_chunked_and_resumed(cluster, small, cli_sweep, tmp_path):
    _, client = cluster
    from counterweight import dask as cwdask

    out = tmp_path / "shared"
    cwdask.sweep(small, VARY, client=client, replicates=3, out=out, shared=True, chunk=5, progress=False)
    files_equal(out, cli_sweep)
    # Each worker wrote a manifest with its own parts; the client then records them all,
    # exactly as the one-process CLI sweep does.
    manifest = json.loads((out / "manifest.json").read_text())
    cli_manifest = json.loads((cli_sweep / "manifest.json").read_text())
    assert len(manifest["parts"]) == len(list((out / "parts").iterdir()))
    assert manifest["parts"] == cli_manifest["parts"]
    for p in sorted((out / "parts").iterdir())[1::2]:
        p.unlink()
    (out / "results.csv").unlink()
    cwdask.sweep(small, VARY, client=client, replicates=3, out=out, progress=False)
    files_equal(out, cli_sweep)
    tmp = cwdask.sweep(small, VARY, client=client, replicates=3, progress=False)
    assert tmp.out is None and tmp.results.num_rows == 18


def test_python_m_counterweight_sweep_on_a_scheduler(cluster, small, cli_sweep, tmp_path):
    c, _ = cluster
    out = tmp_path / "pym"
    p = subprocess.run([sys.executable, "-m", "counterweight", "sweep", str(small), *VARY_CLI,
                        "--replicates", "3", "--out", str(out), "--scheduler", c.scheduler_address, "--quiet"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    files_equal(out, cli_sweep)
    assert (out / "report.html").exists()
    bad = subprocess.run([sys.executable, "-m", "counterweight", "sweep", str(small), "--vary", "growth.nope=1,2",
                          "--out", str(tmp_path / "bad")], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "nope" in bad.stderr
