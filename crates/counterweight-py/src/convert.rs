//! Conversions between Python values and the library's inputs and outputs.
//!
//! Tables go to `pyarrow.Table` through the Arrow C data interface: the numeric columns of a
//! library [`Table`] are moved into Arrow buffers (no copy) and handed to pyarrow, which
//! takes ownership; strings and nullable integers are re-encoded once.

use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, UInt64Array};
use arrow_pyarrow::IntoPyArrow;
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use counterweight::io::{Column, Table};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

/// The Arrow schema of a library table: the types its Parquet files have
/// (`counterweight::io::parquet`): `F64` → Float64, `U64` → UInt64, `OptU64` → nullable
/// UInt64, `Str` → Utf8.
pub fn arrow_schema(table: &Table) -> SchemaRef {
    let fields: Vec<Field> = table
        .names
        .iter()
        .zip(&table.columns)
        .map(|(name, col)| match col {
            Column::F64(_) => Field::new(name, DataType::Float64, false),
            Column::U64(_) => Field::new(name, DataType::UInt64, false),
            Column::OptU64(_) => Field::new(name, DataType::UInt64, true),
            Column::Str(_) => Field::new(name, DataType::Utf8, false),
        })
        .collect();
    Arc::new(Schema::new(fields))
}

/// A library table as a `pyarrow.Table` (one record batch). Numeric columns are not copied.
pub fn table_to_pyarrow(py: Python<'_>, table: Table) -> PyResult<Py<PyAny>> {
    table
        .validate()
        .map_err(|m| PyValueError::new_err(format!("invalid table: {m}")))?;
    let schema = arrow_schema(&table);
    let arrays: Vec<ArrayRef> = table
        .columns
        .into_iter()
        .map(|c| -> ArrayRef {
            match c {
                // `From<Vec<_>>` wraps the vector's allocation in an Arrow buffer.
                Column::F64(v) => Arc::new(Float64Array::from(v)),
                Column::U64(v) => Arc::new(UInt64Array::from(v)),
                Column::OptU64(v) => Arc::new(UInt64Array::from(v)),
                Column::Str(v) => {
                    Arc::new(StringArray::from_iter_values(v.iter().map(String::as_str)))
                }
            }
        })
        .collect();
    let batch = RecordBatch::try_new(schema.clone(), arrays)
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    let t = arrow_pyarrow::Table::try_new(vec![batch], schema)
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(t.into_pyarrow(py)?.unbind())
}

/// A Python value as a TOML value (for a scenario given as a dict, and `set=` values).
/// `where_` names the value in errors (e.g. `growth.base_rate`).
pub fn py_to_toml(obj: &Bound<'_, PyAny>, where_: &str) -> PyResult<toml::Value> {
    if obj.is_instance_of::<PyBool>() {
        return Ok(toml::Value::Boolean(obj.extract()?));
    }
    if obj.is_instance_of::<PyInt>() {
        let i: i64 = obj.extract().map_err(|_| {
            PyValueError::new_err(format!(
                "{where_}: the integer {obj} does not fit in a TOML integer (64 bits, signed)"
            ))
        })?;
        return Ok(toml::Value::Integer(i));
    }
    if obj.is_instance_of::<PyFloat>() {
        return Ok(toml::Value::Float(obj.extract()?));
    }
    if obj.is_instance_of::<PyString>() {
        return Ok(toml::Value::String(obj.extract()?));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut t = toml::Table::new();
        for (k, v) in d.iter() {
            let key: String = k.extract().map_err(|_| {
                PyTypeError::new_err(format!("{where_}: keys must be strings, not {k:?}"))
            })?;
            let path = if where_.is_empty() {
                key.clone()
            } else {
                format!("{where_}.{key}")
            };
            if v.is_none() {
                // TOML has no null: a missing key means "the default".
                continue;
            }
            t.insert(key, py_to_toml(&v, &path)?);
        }
        return Ok(toml::Value::Table(t));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut a = Vec::new();
        for (i, v) in obj.try_iter()?.enumerate() {
            a.push(py_to_toml(&v?, &format!("{where_}[{i}]"))?);
        }
        return Ok(toml::Value::Array(a));
    }
    // numpy scalars and other numbers: through float/int.
    if let Ok(i) = obj.call_method0("__index__") {
        return py_to_toml(&i, where_);
    }
    if let Ok(f) = obj.call_method0("__float__") {
        return py_to_toml(&f, where_);
    }
    Err(PyTypeError::new_err(format!(
        "{where_}: a {} has no TOML equivalent (use str, int, float, bool, list or dict)",
        obj.get_type().name()?
    )))
}

/// A TOML value as a Python value (tables as dicts, arrays as lists, dates as strings).
pub fn toml_to_py(py: Python<'_>, v: &toml::Value) -> PyResult<Py<PyAny>> {
    Ok(match v {
        toml::Value::String(s) => s.into_pyobject(py)?.into_any().unbind(),
        toml::Value::Integer(i) => i.into_pyobject(py)?.into_any().unbind(),
        toml::Value::Float(f) => f.into_pyobject(py)?.into_any().unbind(),
        toml::Value::Boolean(b) => b.into_pyobject(py)?.to_owned().into_any().unbind(),
        toml::Value::Datetime(d) => d.to_string().into_pyobject(py)?.into_any().unbind(),
        toml::Value::Array(a) => {
            let items = a
                .iter()
                .map(|x| toml_to_py(py, x))
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_any().unbind()
        }
        toml::Value::Table(t) => {
            let d = PyDict::new(py);
            for (k, x) in t {
                d.set_item(k, toml_to_py(py, x)?)?;
            }
            d.into_any().unbind()
        }
    })
}

/// `set=` as `key=value` overrides: a dict (values converted to TOML), or a list of
/// `"key=value"` strings as the CLI's `--set` takes them.
pub fn overrides(set: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<String>> {
    let Some(set) = set.filter(|s| !s.is_none()) else {
        return Ok(Vec::new());
    };
    if let Ok(d) = set.cast::<PyDict>() {
        let mut out = Vec::new();
        for (k, v) in d.iter() {
            let key: String = k.extract()?;
            let value = py_to_toml(&v, &key)?;
            out.push(format!("{key}={}", inline(&value)));
        }
        return Ok(out);
    }
    if set.is_instance_of::<PyString>() {
        return Ok(vec![set.extract()?]);
    }
    set.try_iter()?
        .map(|x| {
            x?.extract::<String>().map_err(|_| {
                PyTypeError::new_err("set= takes a dict, or a list of \"key=value\" strings")
            })
        })
        .collect()
}

/// A TOML value written inline (tables as `{ a = 1 }`), as `--set` parses it.
fn inline(v: &toml::Value) -> String {
    match v {
        toml::Value::Table(t) => {
            let parts: Vec<String> = t
                .iter()
                .map(|(k, x)| format!("{} = {}", toml_key(k), inline(x)))
                .collect();
            format!("{{ {} }}", parts.join(", "))
        }
        toml::Value::Array(a) => {
            let parts: Vec<String> = a.iter().map(inline).collect();
            format!("[{}]", parts.join(", "))
        }
        other => other.to_string(),
    }
}

fn toml_key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        toml::Value::String(k.to_string()).to_string()
    }
}
