//! Scenarios: resolving what the user passed (an embedded name, a path, TOML text or a
//! dict), `run`, `check` and the embedded examples.

use std::path::{Path, PathBuf};

use counterweight::io::IoError;
use counterweight::io::run::{RunRecord, card_html, summary, write_run_dir};
use counterweight::runner::{self, ExperimentOutput, RunOptions};
use counterweight::scenario::{self, Experiment, ScenarioError, examples};
use pyo3::exceptions::{PyFileExistsError, PyKeyboardInterrupt, PyOSError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

use crate::convert::{overrides, py_to_toml, table_to_pyarrow, toml_to_py};
use crate::errors;
use crate::supervise::supervise;

/// Scenario text with where it came from: what `scenario::parse` and sweeps take.
pub struct Source {
    pub text: String,
    pub origin: String,
    pub base_dir: Option<PathBuf>,
}

fn not_found(what: &str) -> ScenarioError {
    let names: Vec<&str> = examples::EXAMPLES.iter().map(|e| e.name).collect();
    ScenarioError {
        origin: what.to_string(),
        location: None,
        field: None,
        message: format!("no scenario file and no embedded example named \"{what}\""),
        help: Some(format!(
            "a path to a scenario TOML file, TOML text, a dict, or one of: {}",
            names.join(", ")
        )),
        source_line: None,
        suggestion: counterweight::scenario::suggest::example_name(what)
            .map(|n| format!("did you mean the example `{n}`?")),
    }
}

/// Resolve a scenario argument. `str`: TOML text when it has a newline or `=`, else an
/// existing file, else an embedded example (the CLI's rule); `os.PathLike`: a file; `dict`:
/// the fields of the TOML.
pub fn source(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<Source> {
    if let Ok(d) = obj.cast::<PyDict>() {
        let value = py_to_toml(d.as_any(), "")?;
        let text = toml::to_string_pretty(&value)
            .map_err(|e| PyTypeError::new_err(format!("the scenario dict is not TOML: {e}")))?;
        return Ok(Source {
            text,
            origin: "<dict>".into(),
            base_dir: std::env::current_dir().ok(),
        });
    }
    let path: Option<PathBuf> = if obj.is_instance_of::<PyString>() {
        let s: String = obj.extract()?;
        if s.contains('\n') || s.contains('=') {
            return Ok(Source {
                text: s,
                origin: "<string>".into(),
                base_dir: std::env::current_dir().ok(),
            });
        }
        let p = PathBuf::from(&s);
        if !p.exists()
            && let Some(ex) = examples::find(&s)
        {
            return Ok(Source {
                text: ex.toml.to_string(),
                origin: format!("<embedded {}>", ex.name),
                base_dir: None,
            });
        }
        if !p.exists() {
            return Err(errors::scenario(py, &not_found(&s)));
        }
        Some(p)
    } else if obj.hasattr("__fspath__")? {
        Some(PathBuf::from(
            obj.call_method0("__fspath__")?.extract::<String>()?,
        ))
    } else {
        None
    };
    let Some(path) = path else {
        return Err(PyTypeError::new_err(format!(
            "a scenario is an embedded name, a path, TOML text or a dict, not a {}",
            obj.get_type().name()?
        )));
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        errors::scenario(
            py,
            &ScenarioError {
                origin: path.display().to_string(),
                location: None,
                field: None,
                message: format!("cannot read the scenario: {e}"),
                help: Some("the path of a scenario TOML file".into()),
                source_line: None,
                suggestion: None,
            },
        )
    })?;
    Ok(Source {
        text,
        origin: path.display().to_string(),
        base_dir: path.parent().map(Path::to_path_buf),
    })
}

/// A validated scenario (all its `[[compare]]` variants) with the overrides applied.
#[pyclass(module = "counterweight._core", frozen)]
pub struct Scenario {
    pub exp: Experiment,
}

#[pymethods]
impl Scenario {
    #[getter]
    fn name(&self) -> &str {
        &self.exp.name
    }

    #[getter]
    fn description(&self) -> &str {
        &self.exp.description
    }

    /// The resolved scenario (overrides applied) as TOML.
    #[getter]
    fn resolved_toml(&self) -> &str {
        &self.exp.resolved_toml
    }

    /// Total steps over all variants and replicates (the length of a progress bar).
    #[getter]
    fn total_steps(&self) -> u64 {
        runner::total_steps(&self.exp)
    }

    /// One dict per variant: label, model, actors, groups, steps, dt, end, replicates,
    /// policies, seed (what `counterweight check` prints).
    fn variants<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let out = PyList::empty(py);
        for v in &self.exp.variants {
            let s = &v.scenario;
            let d = PyDict::new(py);
            d.set_item("label", &v.label)?;
            d.set_item("model", s.model.name())?;
            d.set_item("actors", s.actor_count())?;
            d.set_item(
                "groups",
                s.groups.iter().map(|g| g.name.clone()).collect::<Vec<_>>(),
            )?;
            d.set_item("steps", s.time.steps)?;
            d.set_item("dt", s.time.dt)?;
            d.set_item("end", s.time.end)?;
            d.set_item("replicates", s.replicates)?;
            d.set_item("policies", s.policy_count)?;
            d.set_item("seed", s.seed)?;
            out.append(d)?;
        }
        Ok(out)
    }
}

/// Load and validate a scenario with `key=value` overrides.
#[pyfunction]
#[pyo3(signature = (scenario, set=None))]
fn load(
    py: Python<'_>,
    scenario: &Bound<'_, PyAny>,
    set: Option<&Bound<'_, PyAny>>,
) -> PyResult<Scenario> {
    let src = source(py, scenario)?;
    let sets = overrides(set)?;
    let exp = scenario::parse(&src.text, &src.origin, src.base_dir.as_deref(), &sets)
        .map_err(|e| errors::scenario(py, &e))?;
    Ok(Scenario { exp })
}

/// The result of a run, held in Rust; tables are converted on request.
#[pyclass(module = "counterweight._core", frozen)]
pub struct RunOutput {
    exp: Experiment,
    out: ExperimentOutput,
}

#[pymethods]
impl RunOutput {
    /// The metrics of every variant as a `pyarrow.Table` (the columns of `metrics.csv`).
    fn metrics(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let t = py.detach(|| self.out.metrics_table());
        table_to_pyarrow(py, t)
    }

    /// The actors table (`replicate, step, time, actor, group, value`), or None when the
    /// run did not record actors.
    fn actors(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        match py.detach(|| self.out.actors_table()) {
            Some(t) => table_to_pyarrow(py, t).map(Some),
            None => Ok(None),
        }
    }

    #[getter]
    fn name(&self) -> &str {
        &self.exp.name
    }

    #[getter]
    fn resolved_toml(&self) -> &str {
        &self.exp.resolved_toml
    }

    /// Variant labels, in order.
    #[getter]
    fn labels(&self) -> Vec<String> {
        self.out.variants.iter().map(|(l, _)| l.clone()).collect()
    }

    /// Early stops (`growth.stop_at_share`), as dicts.
    fn early_stops<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let out = PyList::empty(py);
        for (label, o) in &self.out.variants {
            for s in &o.early_stops {
                let d = PyDict::new(py);
                d.set_item("variant", label)?;
                d.set_item("replicate", s.replicate)?;
                d.set_item("step", s.step)?;
                d.set_item("time", s.time)?;
                d.set_item("top1_share", s.top1_share)?;
                out.append(d)?;
            }
        }
        Ok(out)
    }

    /// Write the run directory (as `counterweight run --out DIR`: the library's
    /// `RunRecord::from_output` and `write_run_dir`, so the same files, report included)
    /// and return its path. The directory appears complete or not at all.
    fn save(&self, py: Python<'_>, dir: PathBuf) -> PyResult<PathBuf> {
        py.detach(|| write_run_dir(&dir, &RunRecord::from_output(&self.exp, &self.out)))
            .map_err(|e| match e {
                IoError::OutputExists { .. } => PyFileExistsError::new_err(format!(
                    "{e} (Run.save writes a new directory; choose another path)"
                )),
                _ => PyOSError::new_err(e.to_string()),
            })?;
        Ok(dir)
    }

    /// `summary.json` of the run directory, as JSON text (the library's `io::run::summary`,
    /// which the file writer and `counterweight run --json` use too).
    fn summary_json(&self, py: Python<'_>) -> String {
        py.detach(|| {
            let v = summary(&RunRecord::from_output(&self.exp, &self.out));
            serde_json::to_string(&v).unwrap_or_else(|_| "null".into())
        })
    }

    /// The notebook card (the library's `io::run::card_html`): key numbers and the shares
    /// chart.
    fn card_html(&self, py: Python<'_>) -> String {
        py.detach(|| card_html(&RunRecord::from_output(&self.exp, &self.out)))
    }
}

/// Run a scenario (all variants and replicates) without the GIL, with progress and Ctrl-C.
#[pyfunction]
#[pyo3(signature = (scenario, progress=None))]
fn run(
    py: Python<'_>,
    scenario: &Scenario,
    progress: Option<&Bound<'_, PyAny>>,
) -> PyResult<RunOutput> {
    let exp = &scenario.exp;
    let result = supervise(py, progress, |hooks| {
        let tick = |n: u64| hooks.report(n);
        let opts = RunOptions {
            progress: Some(&tick),
            cancel: Some(&hooks.cancel),
        };
        // Boxed: the error is large, the result moves between threads once.
        runner::run_experiment(exp, &opts).map_err(Box::new)
    })
    .map_err(|e| {
        if e.is_instance_of::<PyKeyboardInterrupt>(py) {
            PyKeyboardInterrupt::new_err(
                "interrupted: the run stopped at a step boundary and kept nothing",
            )
        } else {
            e
        }
    })?;
    let out = result.map_err(|e| errors::run(py, &e))?;
    Ok(RunOutput {
        exp: exp.clone(),
        out,
    })
}

/// The embedded examples: (name, summary, is_default, in_gallery).
#[pyfunction]
fn examples_list() -> Vec<(&'static str, &'static str, bool, bool)> {
    examples::EXAMPLES
        .iter()
        .map(|e| {
            (
                e.name,
                e.summary,
                e.name == examples::DEFAULT,
                examples::in_gallery(e.name),
            )
        })
        .collect()
}

/// An embedded example's TOML text.
#[pyfunction]
fn example_toml(py: Python<'_>, name: &str) -> PyResult<&'static str> {
    examples::find(name)
        .map(|e| e.toml)
        .ok_or_else(|| errors::scenario(py, &not_found(name)))
}

/// `set=` as a list of `key=value` overrides (the CLI's `--set`): a dict's values are
/// written as TOML; a list of strings is returned as it is.
#[pyfunction]
#[pyo3(signature = (set=None))]
fn assignments(set: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<String>> {
    overrides(set)
}

/// TOML text as a dict (for `counterweight.scenario(name)`).
#[pyfunction]
fn toml_to_dict(py: Python<'_>, text: &str) -> PyResult<Py<PyAny>> {
    let v: toml::Value = toml::from_str(text)
        .map_err(|e| PyTypeError::new_err(format!("not TOML: {}", e.message())))?;
    toml_to_py(py, &v)
}

/// A dict as TOML text (the inverse of `toml_to_dict`).
#[pyfunction]
fn dict_to_toml(d: &Bound<'_, PyDict>) -> PyResult<String> {
    let v = py_to_toml(d.as_any(), "")?;
    toml::to_string_pretty(&v).map_err(|e| PyTypeError::new_err(e.to_string()))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Scenario>()?;
    m.add_class::<RunOutput>()?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(examples_list, m)?)?;
    m.add_function(wrap_pyfunction!(example_toml, m)?)?;
    m.add_function(wrap_pyfunction!(toml_to_dict, m)?)?;
    m.add_function(wrap_pyfunction!(assignments, m)?)?;
    m.add_function(wrap_pyfunction!(dict_to_toml, m)?)?;
    m.add("DEFAULT_SCENARIO", examples::DEFAULT)?;
    Ok(())
}
