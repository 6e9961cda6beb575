//! `measure`: concentration metrics on data a user brings (a CSV of values, optionally
//! per entity and per time). This module reads the CSV and turns rows into a metric table
//! with the same contract columns as a run's `metrics.csv` ([`MetricColumns`]).
//!
//! * Rows with the same (time, entity) are summed (in file order). Without an entity
//!   column each row is its own holder, named `line N`.
//! * Without a time column: one row of metrics. With one: a row per distinct time, times
//!   sorted numerically if every time parses as a number, otherwise lexicographically
//!   (ISO dates sort correctly).
//! * Values must be numbers >= 0 and finite; a time whose values are all zero gets a row of
//!   undefined metrics (NaN, empty Nakamoto); a file whose values are all zero is an error.
//! * Times and entities are grouped by their text (after trimming), so `1` and `1.0` are
//!   two different times.
//! * Line numbers in messages count physical lines of the file with the header as line 1,
//!   i.e. the row number a spreadsheet shows for an ordinary file.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::io::{Column, Table};
use crate::metrics::{MetricColumns, MetricOptions, MetricsError, concentration};

/// What to read from the CSV.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureOptions {
    /// Column holding the values (stake, wealth, market share, …).
    pub value: String,
    /// Column naming the holder; rows of the same holder (and time) are summed.
    pub entity: Option<String>,
    /// Column holding the time; one row of metrics per distinct time.
    pub time: Option<String>,
    /// k of the `top{k}_share` column.
    pub top_k: usize,
    /// Entities to leave out (e.g. an `Other` row that aggregates unidentified holders).
    /// Requires `entity`.
    pub exclude: Vec<String>,
}

impl MeasureOptions {
    /// Options for a value column, no entity or time column, top_k = 3.
    pub fn new(value: impl Into<String>) -> Self {
        MeasureOptions {
            value: value.into(),
            entity: None,
            time: None,
            top_k: MetricOptions::default().top_k,
            exclude: Vec::new(),
        }
    }
}

/// The result of `measure`.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    /// Columns: `time` (F64 if every time is numeric, else Str; only when a time column was
    /// given), `n_entities` (U64), then the [`MetricColumns`] with an empty suffix.
    pub table: Table,
    /// The last time's distribution (entity, value), sorted by value descending (ties by
    /// entity name).
    pub final_values: Vec<(String, f64)>,
    /// The distinct times as written in the file, in table order (empty without a time
    /// column).
    pub times: Vec<String>,
}

/// Why `measure` failed. Every message is one line and names the file.
#[derive(Debug, Error)]
pub enum MeasureError {
    #[error("{}: file not found", path.display())]
    NotFound { path: PathBuf },
    #[error("{source_name}: cannot read the file: {message}")]
    Unreadable {
        source_name: String,
        message: String,
    },
    #[error("{source_name}: the file is empty (no header line)")]
    EmptyFile { source_name: String },
    #[error("{source_name}: no data rows after the header")]
    NoDataRows { source_name: String },
    #[error("{source_name}: not valid CSV at line {line}: {message}")]
    Malformed {
        source_name: String,
        line: u64,
        message: String,
    },
    #[error("{source_name}: no column \"{column}\" (the columns are: {})", available.join(", "))]
    MissingColumn {
        source_name: String,
        column: String,
        available: Vec<String>,
    },
    #[error(
        "{source_name}, line {line} (header = line 1): column \"{column}\" holds \"{value}\", which is not a number"
    )]
    NotNumeric {
        source_name: String,
        line: u64,
        column: String,
        value: String,
    },
    #[error(
        "{source_name}, line {line} (header = line 1): column \"{column}\" holds {value}; values must be finite and >= 0"
    )]
    InvalidValue {
        source_name: String,
        line: u64,
        column: String,
        value: f64,
    },
    #[error("{source_name}, row {row}: column \"{column}\" holds {value}, which is not a number")]
    NotNumericRow {
        source_name: String,
        row: u64,
        column: String,
        value: String,
    },
    #[error(
        "{source_name}, row {row}: column \"{column}\" holds {value}; values must be finite and >= 0"
    )]
    InvalidRowValue {
        source_name: String,
        row: u64,
        column: String,
        value: f64,
    },
    #[error("{source_name}: all values in column \"{column}\" are zero; shares are undefined")]
    AllZero { source_name: String, column: String },
    #[error("{source_name}{}: {error}", time.as_ref().map(|t| format!(", time {t}")).unwrap_or_default())]
    Metrics {
        source_name: String,
        time: Option<String>,
        error: MetricsError,
    },
}

/// Measure a CSV file. See the module documentation for the rules.
pub fn measure_csv(path: &Path, opts: &MeasureOptions) -> Result<Measurement, MeasureError> {
    let source_name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => MeasureError::NotFound {
            path: path.to_path_buf(),
        },
        _ => MeasureError::Unreadable {
            source_name: source_name.clone(),
            message: e.to_string(),
        },
    })?;
    measure_reader(file, &source_name, opts)
}

/// Measure CSV text from any reader; `source_name` is used in error messages.
pub fn measure_reader<R: Read>(
    reader: R,
    source_name: &str,
    opts: &MeasureOptions,
) -> Result<Measurement, MeasureError> {
    let src = || source_name.to_string();
    let csv_err = |e: csv::Error| {
        if e.is_io_error() {
            MeasureError::Unreadable {
                source_name: src(),
                message: e.to_string(),
            }
        } else {
            let line = e.position().map_or(0, |p| p.line());
            let message = match e.kind() {
                csv::ErrorKind::Utf8 { .. } => "not UTF-8 text".to_string(),
                _ => e.to_string(),
            };
            MeasureError::Malformed {
                source_name: src(),
                line,
                message,
            }
        }
    };

    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(reader);
    let headers: Vec<String> = rdr
        .headers()
        .map_err(csv_err)?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    if headers.is_empty() || (headers.len() == 1 && headers[0].is_empty()) {
        return Err(MeasureError::EmptyFile { source_name: src() });
    }
    let find = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| MeasureError::MissingColumn {
                source_name: src(),
                column: name.to_string(),
                available: headers.clone(),
            })
    };
    let value_col = find(&opts.value)?;
    let entity_col = opts.entity.as_deref().map(find).transpose()?;
    let time_col = opts.time.as_deref().map(find).transpose()?;

    let mut acc = Accumulator::new(source_name, opts);
    let mut record = csv::StringRecord::new();
    while rdr.read_record(&mut record).map_err(csv_err)? {
        let line = record.position().map_or(0, |p| p.line());
        // A line of whitespace only is not a data row.
        if record.len() == 1 && record[0].is_empty() && headers.len() > 1 {
            continue;
        }
        if record.len() != headers.len() {
            return Err(MeasureError::Malformed {
                source_name: src(),
                line,
                message: format!(
                    "{} fields where the header has {}",
                    record.len(),
                    headers.len()
                ),
            });
        }
        let raw = record.get(value_col).unwrap_or("");
        let value: f64 = raw.parse().map_err(|_| MeasureError::NotNumeric {
            source_name: src(),
            line,
            column: opts.value.clone(),
            value: raw.to_string(),
        })?;
        if !(value.is_finite() && value >= 0.0) {
            return Err(MeasureError::InvalidValue {
                source_name: src(),
                line,
                column: opts.value.clone(),
                value,
            });
        }
        let time = time_col.map_or(String::new(), |c| record.get(c).unwrap_or("").to_string());
        let entity = match entity_col {
            Some(c) => record.get(c).unwrap_or("").to_string(),
            None => format!("line {line}"),
        };
        acc.add(value, entity, time);
    }
    acc.finish()
}

/// The values of one column of a data frame (or any columnar table), row by row.
#[derive(Debug, Clone, Copy)]
pub enum ValueColumn<'a> {
    /// Numbers (`None` = a missing value, an error).
    Numbers(&'a [Option<f64>]),
    /// Text, parsed as the CSV reader parses a cell (`None` = a missing value, an error).
    Text(&'a [Option<String>]),
}

impl ValueColumn<'_> {
    fn len(&self) -> usize {
        match self {
            ValueColumn::Numbers(v) => v.len(),
            ValueColumn::Text(v) => v.len(),
        }
    }
}

/// Measure columns already in memory (a pandas or polars DataFrame, an Arrow table): the
/// same rules and results as [`measure_reader`] on the same data written as CSV, with rows
/// numbered from 0 in messages and, without an entity column, holders named `row N`.
/// Entities and times are given as text (missing ones as empty text), as a CSV holds them.
pub fn measure_columns(
    source_name: &str,
    value: ValueColumn<'_>,
    entity: Option<&[String]>,
    time: Option<&[String]>,
    opts: &MeasureOptions,
) -> Result<Measurement, MeasureError> {
    let rows = value.len();
    for (name, len) in [
        ("entity", entity.map(<[String]>::len)),
        ("time", time.map(<[String]>::len)),
    ] {
        if let Some(len) = len
            && len != rows
        {
            return Err(MeasureError::Unreadable {
                source_name: source_name.to_string(),
                message: format!("the {name} column has {len} rows and the value column {rows}"),
            });
        }
    }
    let mut acc = Accumulator::new(source_name, opts);
    acc.time_given = time.is_some();
    for i in 0..rows {
        let bad = |shown: String| MeasureError::NotNumericRow {
            source_name: source_name.to_string(),
            row: i as u64,
            column: opts.value.clone(),
            value: shown,
        };
        let v = match value {
            ValueColumn::Numbers(v) => v[i].ok_or_else(|| bad("a missing value".into()))?,
            ValueColumn::Text(v) => match &v[i] {
                None => return Err(bad("a missing value".into())),
                Some(t) => t.trim().parse().map_err(|_| bad(format!("\"{t}\"")))?,
            },
        };
        if !(v.is_finite() && v >= 0.0) {
            return Err(MeasureError::InvalidRowValue {
                source_name: source_name.to_string(),
                row: i as u64,
                column: opts.value.clone(),
                value: v,
            });
        }
        let t = time.map_or(String::new(), |t| t[i].trim().to_string());
        let e = match entity {
            Some(e) => e[i].trim().to_string(),
            None => format!("row {i}"),
        };
        acc.add(v, e, t);
    }
    acc.finish()
}

/// Rows grouped by time and entity, then the metrics per time: the part of `measure` that
/// does not depend on where the rows come from.
struct Accumulator<'a> {
    source_name: &'a str,
    opts: &'a MeasureOptions,
    /// Whether a time column was given (a `time` column in the result).
    time_given: bool,
    // time -> slot; slots of (entity, summed value), times in first-seen order.
    time_index: HashMap<String, usize>,
    slices: Vec<Slice>,
    any_positive: bool,
    rows: usize,
}

impl<'a> Accumulator<'a> {
    fn new(source_name: &'a str, opts: &'a MeasureOptions) -> Self {
        Accumulator {
            source_name,
            opts,
            time_given: opts.time.is_some(),
            time_index: HashMap::new(),
            slices: Vec::new(),
            any_positive: false,
            rows: 0,
        }
    }

    /// One data row with a valid value (finite, >= 0).
    fn add(&mut self, value: f64, entity: String, time: String) {
        self.rows += 1;
        if self.opts.entity.is_some() && self.opts.exclude.contains(&entity) {
            return;
        }
        self.any_positive |= value > 0.0;
        let slices = &mut self.slices;
        let t = *self.time_index.entry(time.clone()).or_insert_with(|| {
            slices.push(Slice::new(time));
            slices.len() - 1
        });
        self.slices[t].add(entity, value);
    }

    fn finish(self) -> Result<Measurement, MeasureError> {
        let src = || self.source_name.to_string();
        let opts = self.opts;
        let slices = self.slices;
        let time_col = self.time_given.then_some(());
        if self.rows == 0 {
            return Err(MeasureError::NoDataRows { source_name: src() });
        }
        if !self.any_positive {
            return Err(MeasureError::AllZero {
                source_name: src(),
                column: opts.value.clone(),
            });
        }
        // Order the times.
        let numeric: Option<Vec<f64>> = if time_col.is_some() {
            slices
                .iter()
                .map(|s| s.time.parse::<f64>().ok().filter(|t| t.is_finite()))
                .collect()
        } else {
            None
        };
        let mut order: Vec<usize> = (0..slices.len()).collect();
        match &numeric {
            Some(t) => order.sort_by(|&a, &b| t[a].total_cmp(&t[b])),
            None => order.sort_by(|&a, &b| slices[a].time.cmp(&slices[b].time)),
        }

        let metric_opts = MetricOptions {
            top_k: opts.top_k,
            hill_k: None,
        };
        let mut cols = MetricColumns::new(opts.top_k);
        let mut n_entities = Vec::with_capacity(order.len());
        for &i in &order {
            let s = &slices[i];
            n_entities.push(s.values.len() as u64);
            match concentration(&s.values, &metric_opts) {
                Ok(c) => cols.push(&c),
                Err(MetricsError::ZeroTotal) => cols.push_undefined(0.0),
                Err(error) => {
                    return Err(MeasureError::Metrics {
                        source_name: src(),
                        time: time_col.map(|_| s.time.clone()),
                        error,
                    });
                }
            }
        }

        let mut table = Table::new();
        if time_col.is_some() {
            let column = match &numeric {
                Some(t) => Column::F64(order.iter().map(|&i| t[i]).collect()),
                None => Column::Str(order.iter().map(|&i| slices[i].time.clone()).collect()),
            };
            table.push("time", column);
        }
        table.push("n_entities", Column::U64(n_entities));
        for (name, column) in cols.into_columns("") {
            table.push(name, column);
        }

        let times = if time_col.is_some() {
            order.iter().map(|&i| slices[i].time.clone()).collect()
        } else {
            Vec::new()
        };
        let last = &slices[*order.last().expect("at least one row")];
        let mut final_values: Vec<(String, f64)> = last
            .entities
            .iter()
            .cloned()
            .zip(last.values.iter().copied())
            .collect();
        final_values.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));

        Ok(Measurement {
            table,
            final_values,
            times,
        })
    }
}

/// The holders at one time, in first-seen order, with their summed values.
struct Slice {
    time: String,
    index: HashMap<String, usize>,
    entities: Vec<String>,
    values: Vec<f64>,
}

impl Slice {
    fn new(time: String) -> Self {
        Slice {
            time,
            index: HashMap::new(),
            entities: Vec::new(),
            values: Vec::new(),
        }
    }

    fn add(&mut self, entity: String, value: f64) {
        match self.index.get(&entity) {
            Some(&i) => self.values[i] += value,
            None => {
                self.index.insert(entity.clone(), self.values.len());
                self.entities.push(entity);
                self.values.push(value);
            }
        }
    }
}
