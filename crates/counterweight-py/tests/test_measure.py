"""measure: a CSV file and the same data as a pandas, polars or pyarrow table give the
same metrics."""

import pyarrow as pa
import pytest

import counterweight as cw
from conftest import same_table

CSV = """date,entity,stake
2023-01-01,Lido,300
2023-01-01,Coinbase,120
2023-01-01,Kraken,80.5
2023-01-01,Lido,20
2023-01-01,Other,250
2023-02-01,Lido,330
2023-02-01,Coinbase,125
2023-02-01,Kraken,70
2023-02-01,Rocket Pool,40.25
2023-02-01,Other,260
"""


@pytest.fixture
def data(tmp_path):
    f = tmp_path / "stakes.csv"
    f.write_text(CSV)
    return f


@pytest.mark.parametrize("kw", [
    dict(value="stake"),
    dict(value="stake", entity="entity"),
    dict(value="stake", entity="entity", time="date"),
    dict(value="stake", entity="entity", time="date", exclude=["Other"]),
])
def test_dataframes_equal_the_csv(data, kw):
    import pandas as pd
    import polars as pl

    from_csv = cw.measure(data, **kw)
    pdf = pd.read_csv(data)
    for frame in [pdf, pl.read_csv(data), pa.Table.from_pandas(pdf)]:
        m = cw.measure(frame, **kw)
        assert same_table(m.metrics, from_csv.metrics), type(frame)
        assert m.times == from_csv.times
        if "entity" in kw:
            assert same_table(m.holders, from_csv.holders)
    assert from_csv.metrics.column_names[:3] == (["time", "time_label", "n_entities"] if "time" in kw else ["n_entities", "hhi", "effective_number"])


def test_measure_values_against_hand_computation(data):
    m = cw.measure(data, value="stake", entity="entity", time="date", exclude=["Other"])
    last = {r["entity"]: r["value"] for r in m.holders.to_pylist()}
    assert last == {"Lido": 330.0, "Coinbase": 125.0, "Kraken": 70.0, "Rocket Pool": 40.25}
    total = sum(last.values())
    hhi = sum((v / total) ** 2 for v in last.values())
    assert m.metrics.column("hhi").to_pylist()[-1] == pytest.approx(hhi, rel=1e-12)
    assert m.times == ["2023-01-01", "2023-02-01"]
    # ISO dates: `time` is the decimal year (2023-02-01 = 2023 + 31/365), `time_label` the text.
    assert m.metrics.column("time").to_pylist() == pytest.approx([2023.0, 2023 + 31 / 365], rel=1e-15)
    assert m.metrics.column("time_label").to_pylist() == ["2023-01-01", "2023-02-01"]


def test_measure_errors(data):
    import pandas as pd

    with pytest.raises(cw.MeasureError, match='no column "wealth"'):
        cw.measure(data, value="wealth")
    with pytest.raises(cw.MeasureError, match='no column "wealth"'):
        cw.measure(pd.read_csv(data), value="wealth")
    with pytest.raises(cw.MeasureError, match='no column "who"'):
        cw.measure(pd.read_csv(data), value="stake", entity="who")
    bad = pd.DataFrame({"v": [1.0, -2.0, 3.0]})
    with pytest.raises(cw.MeasureError, match="row 1"):
        cw.measure(bad, value="v")
    with pytest.raises(cw.MeasureError, match="row 2"):
        cw.measure(pd.DataFrame({"v": ["1", "2", "x"]}), value="v")
    with pytest.raises(cw.MeasureError, match="row 0"):
        cw.measure(pd.DataFrame({"v": [None, 1.0]}), value="v")
    with pytest.raises(cw.MeasureError, match="all values"):
        cw.measure(pd.DataFrame({"v": [0, 0]}), value="v")
    f = data.parent / "neg.csv"
    f.write_text("v\n1\n-2\n")
    with pytest.raises(cw.MeasureError, match="line 3"):
        cw.measure(f, value="v")
    with pytest.raises(TypeError):
        cw.measure(42, value="v")
