//! Dual Governance: replay a timeline (as `counterweight govern replay --json`).

use counterweight::governance::dual::timeline::{self, STEP_FIELDS, step_json};
use pyo3::prelude::*;

use crate::errors;

/// Replay timeline text: `(rows_json, failed_expectations, fields)`, where `rows_json` is
/// a JSON array with one object per step (the objects of `govern replay --json`) and
/// `fields` their keys in contract order.
#[pyfunction]
fn replay(py: Python<'_>, src: &str, origin: &str) -> PyResult<(String, usize, Vec<&'static str>)> {
    let tl = timeline::parse(src).map_err(|e| errors::timeline(py, origin, src, &e))?;
    let rp = py
        .detach(|| timeline::replay(&tl))
        .map_err(|e| errors::timeline(py, origin, src, &e))?;
    let rows: Vec<serde_json::Value> = rp.records.iter().map(|r| step_json(&tl, r)).collect();
    Ok((
        serde_json::Value::Array(rows).to_string(),
        rp.failures(),
        STEP_FIELDS.to_vec(),
    ))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(replay, m)?)?;
    Ok(())
}
