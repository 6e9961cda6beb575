"""run, check, scenarios, scenario: the API, its tables and its errors."""

import _thread
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import counterweight as cw
from conftest import run_cli, same_table

CONTRACT = [
    "replicate", "step", "time", "hhi", "effective_number", "gini", "theil_t",
    "top1_share", "top10pct_share", "nakamoto_1_3", "nakamoto_1_2",
]


def test_the_readme_one_liner():
    df = cw.run("core-claim", progress=False).metrics.to_pandas()
    assert list(df.columns[:12]) == ["variant"] + CONTRACT
    assert len(df.tail()) == 5


@pytest.mark.parametrize("name,seed", [("two-oh-two", None), ("cheetah-and-tortoise", 5), ("core-claim", 3), ("oligarchy", 2)])
def test_metrics_equal_the_cli_metrics(cli, tmp_path, name, seed):
    """Same scenario and seed: Run.metrics holds exactly the CLI's metrics (Parquet:
    same schema and values; CSV: same header, same numbers)."""
    import pandas as pd

    out = tmp_path / "run"
    args = ["run", name, "--out", str(out), "--quiet"]
    if seed is not None:
        args += ["--seed", str(seed)]
    run_cli(cli, *args)
    r = cw.run(name, seed=seed, progress=False)
    m = r.metrics
    assert same_table(m, pq.read_table(out / "metrics.parquet"))
    csv = pd.read_csv(out / "metrics.csv", keep_default_na=False, na_values=["NaN"])
    df = m.to_pandas()
    assert list(csv.columns) == list(df.columns) == m.column_names
    for c in csv.columns:
        a, b = csv[c].to_numpy(), df[c].to_numpy()
        if a.dtype.kind in "fiu" and b.dtype.kind in "fiu":
            assert ((a == b) | (pd.isna(a) & pd.isna(b))).all(), c
        else:
            assert [str(x) for x in a] == [str(x) for x in b], c


def test_dataframes_from_the_tables():
    import polars as pl

    r = cw.run("two-oh-two", actors=True, progress=False)
    assert r.metrics.num_rows == 6
    pdf = r.actors.to_pandas()
    assert list(pdf.columns) == ["replicate", "step", "time", "actor", "group", "value"]
    last = pdf[pdf.step == 1].set_index("group")["value"]
    assert last["me"] / last["you"] == pytest.approx(2.02, rel=1e-12)
    ldf = pl.from_arrow(r.metrics)
    assert ldf.shape == (6, r.metrics.num_columns)
    assert pl.from_arrow(r.actors)["group"].to_list()[:2] == ["you", "me"]


def test_actors_final_only_and_none():
    r = cw.run("two-oh-two", actors="final", progress=False)
    assert r.actors.column("step").to_pylist() == [5, 5]
    assert cw.run("two-oh-two", progress=False).actors is None
    with pytest.raises(ValueError):
        cw.run("two-oh-two", actors="sometimes", progress=False)


def test_scenario_given_as_name_path_text_or_dict(root):
    by_name = cw.run("cheetah-and-tortoise", progress=False).metrics
    path = root / "scenarios" / "cheetah-and-tortoise.toml"
    assert same_table(cw.run(path, progress=False).metrics, by_name)
    assert same_table(cw.run(str(path), progress=False).metrics, by_name)
    assert same_table(cw.run(path.read_text(), progress=False).metrics, by_name)
    d = cw.scenario("cheetah-and-tortoise")
    assert isinstance(d, dict) and d["name"] == "cheetah-and-tortoise"
    assert same_table(cw.run(d, progress=False).metrics, by_name)
    assert cw.scenario("cheetah-and-tortoise", toml=True) == path.read_text()


def test_seed_set_and_replicates(small):
    a = cw.run(small, seed=1, progress=False).metrics
    b = cw.run(small, seed=2, progress=False).metrics
    assert not same_table(a, b)
    assert same_table(cw.run(small, set={"seed": 1}, progress=False).metrics, a)
    assert same_table(cw.run(small, set=["seed=1"], progress=False).metrics, a)
    c = cw.run(small, set={"growth.returns_to_scale": 1.3, "time.end": 1.0}, progress=False)
    assert c.metrics.column("time").to_pylist()[-1] == pytest.approx(1.0)
    assert "returns_to_scale = 1.3" in c.scenario_toml
    r = cw.run(small, replicates=3, progress=False)
    assert sorted(set(r.metrics.column("replicate").to_pylist())) == [0, 1, 2]


def test_scenarios_and_check():
    names = [s["name"] for s in cw.scenarios()]
    assert "core-claim" in names and "two-oh-two" in names
    assert [s for s in cw.scenarios() if s["default"]][0]["name"] == "core-claim"
    v = cw.check("cheetah-and-tortoise")
    assert v[0]["actors"] == 2 and v[0]["steps"] == 500 and v[0]["replicates"] == 1
    assert len(cw.check("core-claim")) == 3


BAD = """name = "demo"
model = "growth"
time = { end = 1.0, dt = 0.1 }
[[actors]]
group = "a"
count = 0
initial = { constant = 1.0 }
"""


def test_scenario_errors_carry_line_column_field_and_the_cli_message(cli, tmp_path):
    f = tmp_path / "demo.toml"
    f.write_text(BAD)
    with pytest.raises(cw.ScenarioError) as info:
        cw.check(f)
    e = info.value
    assert (e.path, e.line, e.column, e.field) == (str(f), 6, 9, "actors[0].count")
    assert e.valid and "integer" in e.valid
    assert e.source_line == "count = 0"
    p = run_cli(cli, "check", str(f), check=False)
    assert p.returncode == 2
    assert p.stderr == f"error: {e}\n"
    with pytest.raises(cw.ScenarioError) as info:
        cw.run(BAD, progress=False)
    assert (info.value.path, info.value.line, info.value.column) == ("<string>", 6, 9)
    assert isinstance(info.value, ValueError) and isinstance(info.value, cw.CounterweightError)


def test_override_and_name_errors():
    with pytest.raises(cw.ScenarioError) as info:
        cw.run("two-oh-two", set={"growth.returns_to_scale": "high"}, progress=False)
    assert info.value.path == '--set growth.returns_to_scale="high"'
    assert "expected a number" in info.value.problem
    with pytest.raises(cw.ScenarioError) as info:
        cw.run("two-oh-two", set={"time.dt": -1.0}, progress=False)
    assert info.value.path == "--set time.dt=-1.0"
    assert info.value.field == "time.dt" and info.value.valid
    with pytest.raises(cw.ScenarioError) as info:
        cw.run("no-such-scenario", progress=False)
    assert "core-claim" in info.value.valid
    with pytest.raises(cw.ScenarioError) as info:
        cw.run({"name": "x", "model": "growth", "time": {"end": 1.0, "dt": 0.1}, "actors": [{"group": "a", "count": 0, "initial": {"constant": 1.0}}]}, progress=False)
    assert info.value.field == "actors[0].count" and info.value.path == "<dict>"
    with pytest.raises(TypeError):
        cw.run(42)


def test_a_blow_up_is_a_run_error(small):
    with pytest.raises(cw.RunError, match="blow-up"):
        cw.run(small, set={"time.end": 20.0, "growth.base_rate": 0.5, "growth.volatility": 0.0, "growth.returns_to_scale": 2.0}, progress=False)


def test_progress_callback_reaches_the_total(small):
    seen = []
    cw.run(small, set={"actors[0].count": 20000, "time.end": 30.0}, progress=lambda done, total: seen.append((done, total)))
    assert seen, "the callback was never called"
    assert seen[-1] == (300, 300)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


LONG = {"actors[0].count": 200000, "time.end": 100000.0, "output.every": 1000, "growth.volatility": 0.1,
        "growth.returns_to_scale": 1.0, "growth.spillover": 0.0}


def test_the_gil_is_released_during_a_run(small):
    """Another Python thread keeps running while the engine works."""
    ticks = 0
    stop = threading.Event()

    def count():
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    t = threading.Thread(target=count)
    t.start()
    try:
        started = time.perf_counter()
        cw.run(small, set={**LONG, "time.end": 60.0}, progress=False)
        elapsed = time.perf_counter() - started
    finally:
        stop.set()
        t.join()
    assert elapsed > 0.2, "the run is too short to tell"
    # With the GIL held for the whole run the counter would stay near 0.
    assert ticks > 0.3 * elapsed / 0.002, (ticks, elapsed)


def test_ctrl_c_stops_a_run_promptly(small):
    """An interrupt (as Ctrl-C or a notebook's stop button) raises KeyboardInterrupt within
    a step; the run keeps nothing."""
    timer = threading.Timer(0.5, _thread.interrupt_main)
    started = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        cw.run(small, set=LONG, progress=False)  # hours if not stopped
    elapsed = time.perf_counter() - started
    assert elapsed < 3.0, elapsed


def test_run_repr_and_html(tmp_path):
    """Jupyter's view: the library's card with the key numbers and the shares chart (the
    drawing of the run directory's shares.svg, scaled to the page)."""
    r = cw.run("core-claim", progress=False)
    assert "core-claim" in repr(r)
    h = r._repr_html_()
    assert "counterweight run: core-claim" in h
    for k in r.summary["key_numbers"]:
        assert k.replace("'", "&#39;") in h, k
    svg = (r.save(tmp_path / "run") / "shares.svg").read_text()
    assert h.count("<svg") == 1 and '<svg width="100%"' + svg[svg.index(" viewBox="):] in h
    assert "<script" not in h
    # A model without shares: key numbers, no chart.
    v = cw.run("veto-default", replicates=2, progress=False)
    hv = v._repr_html_()
    assert "<svg" not in hv and "mean final" in hv


@pytest.mark.parametrize("name,extra", [("two-oh-two", ["--seed", "3"]), ("core-claim", ["--actors", "final"]),
                                        ("veto-default", ["--set", "replicates=2"])])
def test_save_writes_the_cli_run_directory(cli, tmp_path, name, extra):
    """Run.save writes the CLI's run directory: the same files with the same bytes
    (report and charts included); Run.summary is its summary.json."""
    import json

    kw = {"two-oh-two": dict(seed=3), "core-claim": dict(actors="final"),
          "veto-default": dict(replicates=2)}[name]
    r = cw.run(name, progress=False, **kw)
    out = tmp_path / "py"
    assert r.save(out) == out
    run_cli(cli, "run", name, *extra, "--out", str(tmp_path / "cli"), "--quiet")
    cli_files = sorted(p.name for p in (tmp_path / "cli").iterdir())
    assert sorted(p.name for p in out.iterdir()) == cli_files
    assert "report.html" in cli_files and "summary.json" in cli_files
    for f in cli_files:
        assert (out / f).read_bytes() == (tmp_path / "cli" / f).read_bytes(), f
    summary = json.loads((tmp_path / "cli" / "summary.json").read_text())
    assert r.summary == summary
    assert list(r.summary) == list(summary)  # same keys, same order
    assert r.summary["name"] == name
    # --json prints the same summary.
    printed = run_cli(cli, "run", name, *extra, "--out", str(tmp_path / "cli2"), "--json").stdout
    assert json.loads(printed) == r.summary
    # A second save into a non-empty directory is refused, nothing is overwritten.
    with pytest.raises(FileExistsError):
        r.save(out)


def test_veto_simulation_through_run(cli, tmp_path):
    """The Dual Governance veto simulation is a model like the others: run("veto-default")
    gives the CLI's metrics for the same seed and replicates."""
    r = cw.run("veto-default", replicates=3, seed=9, progress=False)
    m = r.metrics
    assert r.summary["model"] == "veto"
    for c in ["harmful_blocked_share", "honest_executed_share", "rage_quits", "state"]:
        assert c in m.column_names, c
    assert m.num_rows == 6  # start and end of each replicate
    out = tmp_path / "cli"
    run_cli(cli, "run", "veto-default", "--set", "replicates=3", "--seed", "9", "--out", str(out), "--quiet")
    assert same_table(m, pq.read_table(out / "metrics.parquet"))
    assert cw.check("veto-default")[0]["model"] == "veto"


def test_tables_are_zero_copy():
    """The numeric columns come from Rust's buffers: importing them allocates nothing in
    pyarrow's pool, and NumPy views them in place."""
    import numpy as np

    r = cw.run("two-oh-two", set={"actors[0].count": 50_000}, actors=True, progress=False)
    before = pa.total_allocated_bytes()
    t = r.actors
    assert pa.total_allocated_bytes() == before
    assert t.num_rows >= 100_000
    col = t.column("value").chunk(0)
    view = col.to_numpy(zero_copy_only=True)
    assert view.ctypes.data == col.buffers()[1].address
    assert np.isfinite(view).all()


def test_type_stubs_match_the_extension():
    """_core.pyi declares exactly what the extension module defines (functions, classes and
    their public methods), so editors complete what exists."""
    import ast
    import inspect

    from counterweight import _core

    stub = ast.parse((Path(cw.__file__).parent / "_core.pyi").read_text())
    declared = {}
    for node in stub.body:
        if isinstance(node, ast.FunctionDef):
            declared[node.name] = None
        elif isinstance(node, ast.ClassDef):
            declared[node.name] = {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            declared[node.target.id] = None
    public = {n for n in dir(_core) if not n.startswith("_")}
    assert public == {n for n in declared if not n.startswith("_")}
    for name, methods in declared.items():
        if methods is None:
            continue
        cls = getattr(_core, name)
        have = {n for n, _ in inspect.getmembers(cls) if not n.startswith("_")}
        assert {m for m in methods if not m.startswith("_")} == have, name


def test_the_simd_limit_is_checked_at_import_and_keeps_the_results():
    """COUNTERWEIGHT_SIMD: a misspelt value stops the import with the accepted values;
    every level gives the same metrics (the portable code included)."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, COUNTERWEIGHT_SIMD="avx-2")
    p = subprocess.run([sys.executable, "-c", "import counterweight"], env=env,
                       capture_output=True, text=True)
    assert p.returncode != 0
    assert 'COUNTERWEIGHT_SIMD="avx-2" is not an instruction set' in p.stderr
    assert "expected auto, avx512, avx2 or baseline" in p.stderr
    code = ("import counterweight as cw; "
            "print(cw.run('core-claim', progress=False).metrics.to_pandas().to_csv())")
    tables = set()
    for level in ("auto", "avx2", "baseline"):
        env = dict(os.environ, COUNTERWEIGHT_SIMD=level)
        p = subprocess.run([sys.executable, "-c", code], env=env,
                           capture_output=True, text=True, check=True)
        tables.add(p.stdout)
    assert len(tables) == 1
