//! Library errors as the exceptions of `counterweight._errors` (a pure-Python module, so
//! the classes are ordinary, picklable Python classes with documented attributes).
//! Messages are the library's own one-screen text ([`counterweight::diagnostic`]).

use counterweight::governance::dual::timeline::TimelineError;
use counterweight::measure::MeasureError;
use counterweight::runner::RunError;
use counterweight::scenario::ScenarioError;
use counterweight::sweep::SweepError;
use pyo3::exceptions::PyKeyboardInterrupt;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// An instance of `counterweight._errors.<class>(message, **attrs)` as a `PyErr`.
fn make(py: Python<'_>, class: &str, message: String, attrs: &Bound<'_, PyDict>) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let cls = py.import("counterweight._errors")?.getattr(class)?;
        let exc = cls.call((message.clone(),), Some(attrs))?;
        Ok(PyErr::from_value(exc))
    };
    build().unwrap_or_else(|e| e)
}

/// `ScenarioError` with `.path`, `.line`, `.column`, `.field`, `.valid`, `.problem` and
/// `.source_line`; the message is the block the CLI prints.
pub fn scenario(py: Python<'_>, e: &ScenarioError) -> PyErr {
    let attrs = PyDict::new(py);
    let _ = attrs.set_item("path", &e.origin);
    let _ = attrs.set_item("line", e.location.map(|l| l.line));
    let _ = attrs.set_item("column", e.location.map(|l| l.col));
    let _ = attrs.set_item("field", e.field.as_deref());
    let _ = attrs.set_item("valid", e.help.as_deref());
    let _ = attrs.set_item("problem", &e.message);
    let _ = attrs.set_item("source_line", e.source_line.as_deref());
    make(
        py,
        "ScenarioError",
        counterweight::diagnostic::scenario(e)
            .trim_end()
            .to_string(),
        &attrs,
    )
}

/// `TimelineError` with `.path`, `.line`, `.column` (when the error has a place).
pub fn timeline(py: Python<'_>, origin: &str, src: &str, e: &TimelineError) -> PyErr {
    let attrs = PyDict::new(py);
    let lc = e.line_col(src);
    let _ = attrs.set_item("path", origin);
    let _ = attrs.set_item("line", lc.map(|x| x.0));
    let _ = attrs.set_item("column", lc.map(|x| x.1));
    let _ = attrs.set_item("problem", &e.message);
    make(
        py,
        "TimelineError",
        counterweight::diagnostic::timeline(origin, src, e)
            .trim_end()
            .to_string(),
        &attrs,
    )
}

/// `MeasureError` (one line naming the data).
pub fn measure(py: Python<'_>, e: &MeasureError) -> PyErr {
    make(py, "MeasureError", e.to_string(), &PyDict::new(py))
}

/// A run that failed (`RunError`), or `KeyboardInterrupt` when it was cancelled.
pub fn run(py: Python<'_>, e: &RunError) -> PyErr {
    match e {
        RunError::Cancelled => PyKeyboardInterrupt::new_err("interrupted: nothing was kept"),
        other => make(py, "RunError", other.to_string(), &PyDict::new(py)),
    }
}

/// A sweep that could not be set up, run or written.
pub fn sweep(py: Python<'_>, e: &SweepError) -> PyErr {
    match e {
        SweepError::Scenario(se) => scenario(py, se),
        other => make(py, "SweepError", other.to_string(), &PyDict::new(py)),
    }
}

/// Any other library error, with a message (e.g. an output that cannot be written).
pub fn other(py: Python<'_>, class: &str, message: impl std::fmt::Display) -> PyErr {
    make(py, class, message.to_string(), &PyDict::new(py))
}
