"""govern.replay: one row per step with the columns of `govern replay --json`."""

import json

import pytest

import counterweight as cw
from conftest import run_cli


def test_replay_equals_the_cli_json(cli, root):
    files = sorted((root / "scenarios" / "governance").glob("*.toml"))
    assert len(files) >= 10
    for f in files:
        t = cw.govern.replay(f)
        p = run_cli(cli, "govern", "replay", str(f), "--json", check=False)
        rows = [json.loads(line) for line in p.stdout.splitlines()]
        assert t.to_pylist() == rows, f.name
        assert t.column_names[:5] == ["step", "line", "time", "time_human", "action"]
        assert t.schema.metadata[b"failed_expectations"] == b"0"


def test_replay_text_failures_and_errors(tmp_path):
    text = '[[step]]\nat = "0s"\ndo = "lock"\nholder = "a"\namount = "2%"\nexpect_state = "Normal"\n'
    t = cw.govern.replay(text)
    assert t.num_rows == 1
    assert t.column("persisted_state").to_pylist() == ["VetoSignalling"]
    assert t.schema.metadata[b"failed_expectations"] == b"1"
    assert t.column("expectation_failures").to_pylist()[0]
    bad = tmp_path / "bad.toml"
    bad.write_text('[[step]]\nat = "0s"\ndo = "fly"\n')
    with pytest.raises(cw.TimelineError) as info:
        cw.govern.replay(bad)
    e = info.value
    assert (e.path, e.line) == (str(bad), 3) and e.column >= 1
    assert "fly" in str(e) and "^" in str(e)
