//! `measure`: concentration of data the user brings, from a CSV file or from columns
//! (a pandas or polars DataFrame, a pyarrow Table) handed over as Arrow arrays.

use std::path::PathBuf;

use arrow_array::{Array, Float64Array, StringArray, make_array};
use arrow_pyarrow::FromPyArrow;
use counterweight::measure::{
    MeasureError, MeasureOptions, Measurement, ValueColumn, measure_columns, measure_csv,
};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use crate::convert::table_to_pyarrow;
use crate::errors;

/// A pyarrow array as Rust values: float64 or string.
enum Values {
    Numbers(Vec<Option<f64>>),
    Text(Vec<Option<String>>),
}

fn values(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Values> {
    let data =
        arrow_array::ArrayRef::from(make_array(arrow_data::ArrayData::from_pyarrow_bound(obj)?));
    if let Some(a) = data.as_any().downcast_ref::<Float64Array>() {
        return Ok(Values::Numbers(a.iter().collect()));
    }
    if let Some(a) = data.as_any().downcast_ref::<StringArray>() {
        return Ok(Values::Text(
            a.iter().map(|s| s.map(str::to_string)).collect(),
        ));
    }
    Err(PyTypeError::new_err(format!(
        "the {what} column must arrive as float64 or string, not {}",
        data.data_type()
    )))
}

fn text(obj: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<Option<Vec<String>>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    match values(obj, what)? {
        Values::Text(v) => Ok(Some(v.into_iter().map(Option::unwrap_or_default).collect())),
        Values::Numbers(_) => Err(PyTypeError::new_err(format!(
            "the {what} column must arrive as string"
        ))),
    }
}

/// `(table, holders, times)`: the metrics per time, the last time's holders (entity,
/// value) largest first, and the times as written.
type Result3 = (Py<PyAny>, Vec<(String, f64)>, Vec<String>);

fn result(py: Python<'_>, m: Measurement) -> PyResult<Result3> {
    let holders = m.named_final_values().into_owned();
    let table = table_to_pyarrow(py, m.table)?;
    Ok((table, holders, m.times))
}

fn options(
    value: String,
    entity: Option<String>,
    time: Option<String>,
    exclude: Vec<String>,
    top_k: Option<usize>,
) -> MeasureOptions {
    let mut o = MeasureOptions::new(value);
    o.entity = entity;
    o.time = time;
    o.exclude = exclude;
    if let Some(k) = top_k {
        o.top_k = k;
    }
    o
}

/// Measure a CSV file (as `counterweight measure`).
#[pyfunction]
#[pyo3(signature = (path, value, entity=None, time=None, exclude=Vec::new(), top_k=None))]
fn measure_file(
    py: Python<'_>,
    path: PathBuf,
    value: String,
    entity: Option<String>,
    time: Option<String>,
    exclude: Vec<String>,
    top_k: Option<usize>,
) -> PyResult<Result3> {
    let opts = options(value, entity, time, exclude, top_k);
    let m = py
        .detach(|| measure_csv(&path, &opts))
        .map_err(|e| errors::measure(py, &e))?;
    result(py, m)
}

/// Measure columns: `values` a pyarrow float64 or string array; `entities` and `times`
/// pyarrow string arrays. `value`, `entity`, `time` are the column names; an array that is
/// None where its name is given means the data has no such column (`columns` lists those
/// it has).
#[pyfunction]
#[pyo3(signature = (source_name, columns, values_array, value, entities=None, entity=None, times=None, time=None, exclude=Vec::new(), top_k=None))]
#[allow(clippy::too_many_arguments)]
fn measure_arrays(
    py: Python<'_>,
    source_name: String,
    columns: Vec<String>,
    values_array: Option<&Bound<'_, PyAny>>,
    value: String,
    entities: Option<&Bound<'_, PyAny>>,
    entity: Option<String>,
    times: Option<&Bound<'_, PyAny>>,
    time: Option<String>,
    exclude: Vec<String>,
    top_k: Option<usize>,
) -> PyResult<Result3> {
    let missing = |name: &str| {
        errors::measure(
            py,
            &MeasureError::MissingColumn {
                source_name: source_name.clone(),
                column: name.to_string(),
                available: columns.clone(),
            },
        )
    };
    let Some(values_array) = values_array.filter(|v| !v.is_none()) else {
        return Err(missing(&value));
    };
    for (name, array) in [(&entity, entities), (&time, times)] {
        if let Some(name) = name
            && array.is_none_or(|a| a.is_none())
        {
            return Err(missing(name));
        }
    }
    let v = values(values_array, "value")?;
    let e = text(entities, "entity")?;
    let t = text(times, "time")?;
    let opts = options(value, entity, time, exclude, top_k);
    let m = py
        .detach(|| {
            let col = match &v {
                Values::Numbers(x) => ValueColumn::Numbers(x),
                Values::Text(x) => ValueColumn::Text(x),
            };
            measure_columns(&source_name, col, e.as_deref(), t.as_deref(), &opts)
        })
        .map_err(|err| errors::measure(py, &err))?;
    result(py, m)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(measure_file, m)?)?;
    m.add_function(wrap_pyfunction!(measure_arrays, m)?)?;
    Ok(())
}
