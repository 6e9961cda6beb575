//! # counterweight._core — the Python extension module
//!
//! A thin shell over the `counterweight` library, like the CLI: it converts Python values
//! to the library's inputs, calls the library, and converts its outputs back (tables as
//! Arrow, without copying the numeric columns). The pythonic layer (`counterweight/*.py`)
//! wraps these functions; nothing here is called per actor or per step.
//!
//! - `convert`: Python <-> TOML values, library tables -> `pyarrow.Table`;
//! - `errors`: library errors -> the exceptions of `counterweight._errors`;
//! - `supervise`: long calls without the GIL, with progress and Ctrl-C;
//! - `scenarios`: scenario resolution, `run`, `check`, the embedded examples;
//! - `sweeps`: sweep plans, local execution and the pieces a Dask sweep needs;
//! - `measure`, `govern`: measurement of data, Dual Governance replay.

use pyo3::prelude::*;

mod convert;
mod errors;
mod govern;
mod measure;
mod scenarios;
mod supervise;
mod sweeps;

/// The Rust extension of the `counterweight` package. Use the functions of `counterweight`
/// itself; this module's API is private and may change.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // A misspelt COUNTERWEIGHT_SIMD would otherwise silently mean `auto`.
    counterweight::simd::limit_from_env()
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    m.add("__version__", counterweight::VERSION)?;
    scenarios::register(m)?;
    sweeps::register(m)?;
    measure::register(m)?;
    govern::register(m)?;
    Ok(())
}
