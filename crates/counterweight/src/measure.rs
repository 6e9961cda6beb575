//! `measure`: concentration metrics on data a user brings (a CSV of values, optionally
//! per entity and per time). This module reads the CSV and turns rows into a metric table
//! with the same metric columns as a run's `metrics.csv` ([`MetricColumns`]);
//! [`crate::io::measured`] writes it out with the top holders, charts and a report.
//!
//! * Rows with the same (time, entity) are summed (in file order). Without an entity
//!   column each row is its own holder, named `line N`.
//! * Without a time column: one row of metrics. With one: a row per distinct time, in
//!   time order. Times are of one [`TimeKind`]: numbers if every time parses as a number;
//!   dates if every time is an ISO 8601 date or date-time (`2024-02-01`,
//!   `2024-02-01T12:00:00`, `2024-02-01 12:00`, optional `Z`); otherwise text, sorted
//!   lexicographically.
//! * The `time` column is always a float (one documented type): the number itself; for
//!   dates the decimal year (`2024-02-01` is 2024 + 31/366 = 2024.0847, so times are
//!   ordered and evenly spaced on an axis); for text the rank (0, 1, 2, ...) in sorted
//!   order. `time_label` holds the time as written in the file.
//! * Values must be numbers >= 0 and finite; a time whose values are all zero gets a row of
//!   undefined metrics (NaN, empty Nakamoto); a file whose values are all zero is an error.
//! * Times and entities are grouped by their text (after trimming), so `1` and `1.0` are
//!   two different times.
//! * Line numbers in messages count physical lines of the file with the header as line 1,
//!   i.e. the row number a spreadsheet shows for an ordinary file, whatever the line
//!   endings (LF or CRLF): they are counted from the byte offset of each record.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::rc::Rc;

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

/// What the times of a time column are (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeKind {
    /// Every time is a number; `time` is that number.
    Number,
    /// Every time is an ISO 8601 date or date-time; `time` is the decimal year.
    Date,
    /// Anything else; `time` is the rank in lexicographic order.
    Text,
}

impl TimeKind {
    pub fn name(self) -> &'static str {
        match self {
            TimeKind::Number => "number",
            TimeKind::Date => "date",
            TimeKind::Text => "text",
        }
    }
}

/// An ISO 8601 date or date-time as a decimal year: the year plus the elapsed fraction of
/// it (`2024-01-01` is 2024.0, `2024-07-02` is 2024.5). `None` if `s` is not one.
pub fn decimal_year(s: &str) -> Option<f64> {
    use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
    let t = s.trim();
    let t = t.strip_suffix('Z').unwrap_or(t);
    let dt = NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .or_else(|| {
            [
                "%Y-%m-%dT%H:%M:%S",
                "%Y-%m-%dT%H:%M",
                "%Y-%m-%d %H:%M:%S",
                "%Y-%m-%d %H:%M",
                "%Y-%m-%dT%H:%M:%S%.f",
            ]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
        })?;
    let year = dt.year();
    let days = if NaiveDate::from_ymd_opt(year, 12, 31)?.ordinal() == 366 {
        366.0
    } else {
        365.0
    };
    let seconds = dt.num_seconds_from_midnight() as f64 + dt.nanosecond() as f64 * 1e-9;
    Some(year as f64 + (dt.ordinal0() as f64 + seconds / 86_400.0) / days)
}

/// The result of `measure`.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    /// Columns: `time` (F64, see the module documentation) and `time_label` (Str, as
    /// written) when a time column was given, `n_entities` (U64), then the
    /// [`MetricColumns`] with an empty suffix.
    pub table: Table,
    /// The last time's distribution (entity, value), sorted by value descending (ties by
    /// entity name).
    pub final_values: Vec<(String, f64)>,
    /// The distinct times as written in the file, in table order (empty without a time
    /// column).
    pub times: Vec<String>,
    /// What the times are (`None` without a time column).
    pub time_kind: Option<TimeKind>,
}

/// One of the largest holders at the latest time.
#[derive(Debug, Clone, PartialEq)]
pub struct Holder {
    /// 1 for the largest.
    pub rank: usize,
    pub entity: String,
    pub value: f64,
    /// value / total of all holders at that time.
    pub share: f64,
}

impl Measurement {
    /// The `n` largest holders at the latest time (ties by name), with their shares.
    pub fn top_holders(&self, n: usize) -> Vec<Holder> {
        let total: f64 = self.final_values.iter().map(|(_, v)| v).sum();
        self.final_values
            .iter()
            .take(n)
            .enumerate()
            .map(|(i, (e, v))| Holder {
                rank: i + 1,
                entity: e.clone(),
                value: *v,
                share: if total > 0.0 { v / total } else { f64::NAN },
            })
            .collect()
    }
}

/// A reader that remembers where its newlines are, so that a record's byte offset can be
/// turned into a line number (the CSV reader's own line count is off by one per record
/// with CRLF endings). Only the newlines not yet asked about are kept: memory stays
/// bounded by the CSV reader's read-ahead.
struct LineCounter<R> {
    inner: R,
    offset: u64,
    state: Rc<RefCell<Lines>>,
}

#[derive(Default)]
struct Lines {
    /// Offsets of line-ending bytes (`\r` or `\n`, with whether it is `\n`) not yet
    /// passed, ascending.
    pending: VecDeque<(u64, bool)>,
    /// Newlines before the last offset asked about.
    counted: u64,
}

impl Lines {
    /// 1-based line of the record that starts at byte `offset` (offsets asked in
    /// ascending order). The CSV reader may place a record's start on the line ending
    /// before it (the `\n` of a CRLF, a skipped blank line): line-ending bytes at the
    /// offset are stepped over first.
    fn line_at(&mut self, mut offset: u64) -> u64 {
        loop {
            match self.pending.front().copied() {
                Some((o, nl)) if o < offset => {
                    self.pending.pop_front();
                    self.counted += u64::from(nl);
                }
                Some((o, nl)) if o == offset => {
                    self.pending.pop_front();
                    self.counted += u64::from(nl);
                    offset += 1;
                }
                _ => break,
            }
        }
        self.counted + 1
    }
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut st = self.state.borrow_mut();
        for (i, &b) in buf[..n].iter().enumerate() {
            if b == b'\n' || b == b'\r' {
                st.pending.push_back((self.offset + i as u64, b == b'\n'));
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
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
    // Regular files only (a device such as /dev/zero, or a FIFO, would grow memory or
    // hang); no size limit: a large table is what `measure` is for.
    let file = crate::io::input::open_regular(path, u64::MAX).map_err(|e| {
        if e.is_not_found() {
            MeasureError::NotFound {
                path: path.to_path_buf(),
            }
        } else {
            MeasureError::Unreadable {
                source_name: source_name.clone(),
                message: e.to_string(),
            }
        }
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
    let lines = Rc::new(RefCell::new(Lines::default()));
    let line_of = |pos: Option<&csv::Position>| -> u64 {
        pos.map_or(0, |p| lines.borrow_mut().line_at(p.byte()))
    };
    let csv_err = |e: csv::Error| {
        if e.is_io_error() {
            MeasureError::Unreadable {
                source_name: src(),
                message: e.to_string(),
            }
        } else {
            let line = line_of(e.position());
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
        .from_reader(LineCounter {
            inner: reader,
            offset: 0,
            state: lines.clone(),
        });
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

    // time -> (entity -> slot, slots of (entity, summed value)); times in first-seen order.
    let mut time_index: HashMap<String, usize> = HashMap::new();
    let mut slices: Vec<Slice> = Vec::new();
    let mut any_positive = false;
    let mut rows = 0usize;

    let mut record = csv::StringRecord::new();
    while rdr.read_record(&mut record).map_err(csv_err)? {
        let line = line_of(record.position());
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
        rows += 1;
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
        if entity_col.is_some() && opts.exclude.contains(&entity) {
            continue;
        }
        any_positive |= value > 0.0;
        let t = *time_index.entry(time.clone()).or_insert_with(|| {
            slices.push(Slice::new(time));
            slices.len() - 1
        });
        slices[t].add(entity, value);
    }
    if rows == 0 {
        return Err(MeasureError::NoDataRows { source_name: src() });
    }
    if !any_positive {
        return Err(MeasureError::AllZero {
            source_name: src(),
            column: opts.value.clone(),
        });
    }

    // Order the times: numbers, else dates, else text.
    let (time_kind, numeric): (Option<TimeKind>, Option<Vec<f64>>) = if time_col.is_some() {
        let numbers: Option<Vec<f64>> = slices
            .iter()
            .map(|s| s.time.parse::<f64>().ok().filter(|t| t.is_finite()))
            .collect();
        match numbers {
            Some(t) => (Some(TimeKind::Number), Some(t)),
            None => match slices.iter().map(|s| decimal_year(&s.time)).collect() {
                Some(t) => (Some(TimeKind::Date), Some(t)),
                None => (Some(TimeKind::Text), None),
            },
        }
    } else {
        (None, None)
    };
    let mut order: Vec<usize> = (0..slices.len()).collect();
    match &numeric {
        Some(t) => order.sort_by(|&a, &b| {
            t[a].total_cmp(&t[b])
                .then_with(|| slices[a].time.cmp(&slices[b].time))
        }),
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
        let time = match &numeric {
            Some(t) => order.iter().map(|&i| t[i]).collect(),
            None => (0..order.len()).map(|r| r as f64).collect(),
        };
        table.push("time", Column::F64(time));
        table.push(
            "time_label",
            Column::Str(order.iter().map(|&i| slices[i].time.clone()).collect()),
        );
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
        time_kind,
    })
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
